"""plan | apply | drift of a whole manifest: the orchestration behind the ``sagemaker-reconcile`` CLI.

Stateless: each declared resource is found by its name in the account and
region, observed, and planned by the same reconcilers the Pulumi provider uses.
Resources are independent, so they are handled concurrently by a bounded pool
(``parallelism``); each worker thread builds its own gateways (boto3 clients
are not shared across threads). Nothing here prints: every function returns a
:class:`sagemaker_reconciler.report.Report`, which ``sagemaker_reconciler.render`` turns into text,
Markdown or JSON and whose ``exit_code`` the CLI returns.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import ConfigError, ReconcilerError
from sagemaker_reconciler.manifest import Manifest, ManifestResource, resolve_outputs
from sagemaker_reconciler.plan.model import Action, Plan
from sagemaker_reconciler.reconcile._time import iso_time
from sagemaker_reconciler.reconcile.compilation_job import RUNNING, CompilationJobReconciler, ObservedJob
from sagemaker_reconciler.reconcile.local_compile import LocalCompiler
from sagemaker_reconciler.reconcile.workteam import Observed, WorkteamReconciler
from sagemaker_reconciler.report import Report, ResourceReport, Unmanaged
from sagemaker_reconciler.resource_types import COMPILATION_JOB, WORKTEAM
from sagemaker_reconciler.waiters import Backoff

__all__ = ["RunOptions", "plan", "apply", "drift", "DEFAULT_PARALLELISM"]

DEFAULT_PARALLELISM = 8


@dataclass(frozen=True)
class RunOptions:
    config: AwsConfig = field(default_factory=AwsConfig)
    parallelism: int = DEFAULT_PARALLELISM
    backoff: Backoff = field(default_factory=Backoff)
    """How a create waits for a compilation job (tests and the demo shorten it)."""
    name_contains: str | None = None
    """drift: only list unmanaged resources whose name contains this."""
    progress: Callable[[str], None] | None = None
    """apply: told about each resource as it finishes (the CLI prints it to stderr)."""


class _Clients(threading.local):
    """One SageMaker gateway and one object store per worker thread, built on first use."""

    def __init__(self, config: AwsConfig):
        self._config = config
        self._sagemaker: SageMakerGateway | None = None
        self._objects: ObjectStore | None = None

    @property
    def sagemaker(self) -> SageMakerGateway:
        if self._sagemaker is None:
            self._sagemaker = SageMakerGateway(self._config)
        return self._sagemaker

    @property
    def objects(self) -> ObjectStore:
        if self._objects is None:
            self._objects = ObjectStore(self._config)
        return self._objects


# --- one handler per resource type: observe + plan, then act -------------------------------------


class _Handler(Protocol):
    def plan(self, resource: ManifestResource) -> tuple[Plan, Any]: ...

    def apply(self, resource: ManifestResource, plan: Plan, observed: Any) -> dict[str, Any]: ...


def _only_outputs(outputs: dict[str, Any], resource: ManifestResource) -> dict[str, Any]:
    return {key: outputs.get(key) for key in resource.kind.output_names()}


class _WorkteamHandler:
    def __init__(self, clients: _Clients, options: RunOptions):
        self._reconciler = WorkteamReconciler(clients.sagemaker)

    def plan(self, resource: ManifestResource) -> tuple[Plan, Observed | None]:
        return self._reconciler.plan(resource.spec)

    def apply(self, resource: ManifestResource, plan: Plan, observed: Observed | None) -> dict[str, Any]:
        spec, reconciler = resource.spec, self._reconciler
        if plan.action is Action.NOOP and observed is not None:
            return observed.outputs()
        if plan.action is Action.CREATE:
            return reconciler.create(spec, plan.call("CreateWorkteam"))
        if plan.action is Action.UPDATE:
            return reconciler.update(spec)  # re-plans: what runs is what is true now
        # A fixed name: delete before create; the delete still refuses while labeling work is pending.
        reconciler.delete(spec.workteam_name, force=spec.force_delete)
        return reconciler.create(spec, plan.call("CreateWorkteam"))


class _CompilationJobHandler:
    def __init__(self, clients: _Clients, options: RunOptions):
        self._reconciler = CompilationJobReconciler(
            clients.sagemaker, clients.objects, backoff=options.backoff, log=options.progress
        )

    def plan(self, resource: ManifestResource) -> tuple[Plan, ObservedJob | None]:
        return self._reconciler.plan(resource.spec)

    def apply(self, resource: ManifestResource, plan: Plan, observed: ObservedJob | None) -> dict[str, Any]:
        spec, reconciler = resource.spec, self._reconciler
        if plan.action in (Action.NOOP, Action.UPDATE) and observed is not None:
            outputs = observed.outputs() if plan.action is Action.NOOP else reconciler.update_tags(spec)
            if observed.status in RUNNING:
                return reconciler.wait(spec)  # the job an interrupted earlier apply started: see it through
            return outputs
        if plan.action is Action.CREATE:
            return reconciler.create(spec, plan.call("CreateCompilationJob"))
        # Jobs are immutable and the name is fixed: the old job goes first, then the new one is created.
        reconciler.delete(spec.compilation_job_name, delete_artifacts=spec.delete_artifacts)
        return reconciler.create(spec, plan.call("CreateCompilationJob"))


class _LocalCompilationJobHandler:
    """mode: local: compiled here with TVM; the published artifact's manifest is the live state."""

    def __init__(self, clients: _Clients, options: RunOptions):
        self._compiler = LocalCompiler(options.config, progress=options.progress)

    def plan(self, resource: ManifestResource) -> tuple[Plan, None]:
        return self._compiler.plan(resource.spec), None

    def apply(self, resource: ManifestResource, plan: Plan, observed: None) -> dict[str, Any]:
        if plan.action is Action.NOOP:
            return self._compiler.published_outputs(resource.spec)
        return self._compiler.create(resource.spec)  # same location: the new artifact replaces the old


def _handler(resource: ManifestResource, clients: _Clients, options: RunOptions) -> _Handler:
    if resource.kind is WORKTEAM:
        return _WorkteamHandler(clients, options)
    if resource.kind is COMPILATION_JOB:
        if resource.spec.mode == "local":
            return _LocalCompilationJobHandler(clients, options)
        return _CompilationJobHandler(clients, options)
    raise ConfigError(f"no handler for {resource.type_token}")


# --- running the pool ------------------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, ReconcilerError) else f"{type(exc).__name__}: {exc}"


def _check_config(config: AwsConfig) -> None:
    """Fail once, before the pool, on what every worker would fail on (no region, unknown profile, no
    credentials); the credential chain is walked once here rather than once per worker."""
    session = config.session()
    config.client("sagemaker")  # resolves the credential chain: a partial or broken set is a ConfigError here
    if session.get_credentials() is None:
        raise ConfigError(
            "no AWS credentials found: configure a profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        )


def _needs_aws(manifest: Manifest) -> bool:
    """A manifest of local-mode jobs with file:// locations runs offline, with no AWS configuration."""
    for resource in manifest.resources:
        spec = resource.spec
        if resource.kind is not COMPILATION_JOB or spec.mode != "local" or spec.input_config is None:
            return True
        if not all(
            uri.startswith("file://") for uri in (spec.input_config.s3_uri, spec.output_config.s3_output_location)
        ):
            return True
    return False


def _run(tasks: Iterable[Callable[[], Any]], parallelism: int) -> list[Any]:
    if parallelism < 1:
        raise ConfigError(f"parallelism must be at least 1, got {parallelism}")
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="reconcile") as pool:
        return [future.result() for future in [pool.submit(task) for task in tasks]]


def _plan_one(resource: ManifestResource, clients: _Clients, options: RunOptions) -> ResourceReport:
    start = time.monotonic()
    try:
        planned, _ = _handler(resource, clients, options).plan(resource)
    except Exception as exc:  # one resource's failure is reported with it; the others still plan
        return ResourceReport(
            resource.logical_name,
            resource.type_token,
            resource.name,
            error=_error_text(exc),
            seconds=time.monotonic() - start,
        )
    return ResourceReport(
        resource.logical_name,
        resource.type_token,
        resource.name,
        _with_protect_warning(resource, planned),
        seconds=time.monotonic() - start,
    )


def _with_protect_warning(resource: ManifestResource, planned: Plan) -> Plan:
    """A plan that replaces a protected resource says that apply will refuse it."""
    if not (resource.protect and planned.action is Action.REPLACE):
        return planned
    warning = (
        f"warning: {resource.logical_name} is protected (options.protect): apply will refuse to replace it; "
        "unprotect it to let apply replace it"
    )
    return dataclasses.replace(planned, notes=(*planned.notes, warning))


def _apply_one(resource: ManifestResource, clients: _Clients, options: RunOptions) -> ResourceReport:
    start = time.monotonic()
    planned: Plan | None = None
    try:
        handler = _handler(resource, clients, options)
        planned, observed = handler.plan(resource)
        if resource.protect and planned.action is Action.REPLACE:
            raise ConfigError(
                f"{resource.logical_name} is protected (options.protect) and would be replaced "
                f"({', '.join(planned.replaces)} changed); unprotect it to let apply replace it"
            )
        outputs = handler.apply(resource, planned, observed)
        report = ResourceReport(
            resource.logical_name,
            resource.type_token,
            resource.name,
            planned,
            _only_outputs(outputs, resource),
            seconds=time.monotonic() - start,
        )
    except Exception as exc:
        report = ResourceReport(
            resource.logical_name,
            resource.type_token,
            resource.name,
            planned,
            error=_error_text(exc),
            seconds=time.monotonic() - start,
        )
    if options.progress is not None:
        state = f"failed: {report.error}" if report.error else f"{report.action} done"
        options.progress(f"{resource.logical_name}: {state} ({report.seconds:.1f} s)")
    return report


def _each(
    manifest: Manifest, options: RunOptions, work: Callable[[ManifestResource, _Clients, RunOptions], ResourceReport]
) -> list[Callable[[], Any]]:
    clients = _Clients(options.config)
    return [functools.partial(work, resource, clients, options) for resource in manifest.resources]


def _configuration_error(manifest: Manifest, options: RunOptions) -> str | None:
    """The one configuration problem every worker would hit, found before the pool starts."""
    try:
        if _needs_aws(manifest):
            _check_config(options.config)
    except ReconcilerError as exc:
        return str(exc)
    return None


def plan(manifest: Manifest, options: RunOptions | None = None) -> Report:
    """What apply would do, per resource; read-only."""
    options = options or RunOptions()
    start = time.monotonic()
    if (error := _configuration_error(manifest, options)) is not None:
        return Report("plan", manifest.source, errors=(error,))
    reports = _run(_each(manifest, options, _plan_one), options.parallelism)
    return Report("plan", manifest.source, tuple(reports), seconds=time.monotonic() - start)


def apply(manifest: Manifest, options: RunOptions | None = None) -> Report:
    """Bring every resource to its declared state (create, update in place, replace); then the outputs."""
    options = options or RunOptions()
    start = time.monotonic()
    if (error := _configuration_error(manifest, options)) is not None:
        return Report("apply", manifest.source, errors=(error,))
    reports = _run(_each(manifest, options, _apply_one), options.parallelism)
    values = {
        r.logical_name: {**_spec_props(manifest, r.logical_name), **(r.outputs or {})}
        for r in reports
        if r.outputs is not None
    }
    outputs = resolve_outputs(manifest.outputs, values) if manifest.outputs else {}
    failed = {r.logical_name for r in reports if r.outputs is None}
    outputs = {key: None if _refers_to(manifest.outputs[key], failed) else value for key, value in outputs.items()}
    return Report("apply", manifest.source, tuple(reports), outputs=outputs, seconds=time.monotonic() - start)


_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z0-9_.\-]+?)\.[A-Za-z][A-Za-z0-9]*\}")


def _refers_to(value: Any, logical_names: set[str]) -> bool:
    """Whether an output as written refers to one of `logical_names` (a resource that has no outputs:
    it failed): such an output is null, never the unresolved ``${...}`` text."""
    if isinstance(value, str):
        return any(m.group(1) in logical_names for m in _REFERENCE.finditer(value))
    if isinstance(value, dict):
        return any(_refers_to(v, logical_names) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to(v, logical_names) for v in value)
    return False


def _spec_props(manifest: Manifest, logical_name: str) -> dict[str, Any]:
    resource = next(r for r in manifest.resources if r.logical_name == logical_name)
    return resource.spec.to_props()


_NAME_TEXT = re.compile(r"[a-zA-Z0-9-]{1,63}")


def _name_contains_error(name_contains: str | None) -> str | None:
    """--name-contains is checked before any call: names hold only letters, digits and hyphens."""
    if name_contains is None or (_NAME_TEXT.fullmatch(name_contains) and name_contains.strip("-")):
        return None
    return (
        f"--name-contains {name_contains!r}: must be 1-63 letters, digits and hyphens with at least one "
        "letter or digit (work team and compilation job names contain nothing else)"
    )


def _unmanaged_workteams(clients: _Clients, manifest: Manifest, name_contains: str | None) -> list[Unmanaged]:
    """ListWorkteams' NameContains must start and end with a letter or digit, so a prefix such as
    ``team-`` is sent without its edge hyphens and the names are filtered here (ignoring case, as the
    service does)."""
    declared = {r.name for r in manifest.resources if r.kind is WORKTEAM}
    core = name_contains.strip("-") if name_contains else None
    return [
        Unmanaged(
            WORKTEAM.short_token,
            team["WorkteamName"],
            team.get("WorkteamArn", ""),
            created=iso_time(team.get("CreateDate")),
        )
        for team in clients.sagemaker.list_workteams(core)
        if team["WorkteamName"] not in declared
        and (not name_contains or name_contains.lower() in team["WorkteamName"].lower())
    ]


def _unmanaged_jobs(clients: _Clients, manifest: Manifest, name_contains: str | None) -> list[Unmanaged]:
    """Compilation jobs are records: an account keeps every one it ever ran. Unmanaged are the undeclared
    jobs still running (STARTING, INPROGRESS, STOPPING: they cost and write artifacts); finished ones only
    when --name-contains scopes the listing to a naming prefix the user owns."""
    declared = {r.name for r in manifest.resources if r.kind is COMPILATION_JOB}
    return [
        Unmanaged(
            COMPILATION_JOB.short_token,
            job["CompilationJobName"],
            job.get("CompilationJobArn", ""),
            job.get("CompilationJobStatus", ""),
            iso_time(job.get("CreationTime")),
        )
        for job in clients.sagemaker.list_compilation_jobs(name_contains)
        if job["CompilationJobName"] not in declared
        and (name_contains or job.get("CompilationJobStatus") in (*RUNNING, "STOPPING"))
    ]


def drift(manifest: Manifest, options: RunOptions | None = None) -> Report:
    """Read-only: how the live resources differ from the manifest, plus the ones it does not declare."""
    options = options or RunOptions()
    start = time.monotonic()
    if (error := _name_contains_error(options.name_contains)) is not None:
        return Report("drift", manifest.source, errors=(error,))
    try:
        _check_config(options.config)
    except ReconcilerError as exc:
        return Report("drift", manifest.source, errors=(str(exc),))
    clients = _Clients(options.config)

    def listing(find: Callable[[_Clients, Manifest, str | None], list[Unmanaged]]) -> Callable[[], Any]:
        def task() -> list[Unmanaged] | str:
            try:
                return find(clients, manifest, options.name_contains)
            except Exception as exc:
                return f"listing unmanaged resources failed: {_error_text(exc)}"

        return task

    tasks = [*_each(manifest, options, _plan_one), listing(_unmanaged_workteams), listing(_unmanaged_jobs)]
    *reports, teams, jobs = _run(tasks, options.parallelism)
    errors = tuple(found for found in (teams, jobs) if isinstance(found, str))
    unmanaged = [u for found in (teams, jobs) if isinstance(found, list) for u in found]
    unmanaged.sort(key=lambda u: (u.type, u.name))
    return Report(
        "drift", manifest.source, tuple(reports), tuple(unmanaged), errors=errors, seconds=time.monotonic() - start
    )
