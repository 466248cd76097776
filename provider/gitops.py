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
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sagemaker_reconciler.aws import AwsConfig
from sagemaker_reconciler.errors import ConfigError, ReconcilerError
from sagemaker_reconciler.manifest import Manifest, ManifestResource, resolve_outputs
from sagemaker_reconciler.plan.model import Action, Plan
from sagemaker_reconciler.reconcile.backend import Backend, BackendOptions, Clients
from sagemaker_reconciler.registry import Entry, entries, entry_for
from sagemaker_reconciler.report import Report, ResourceReport, Unmanaged
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


# --- each resource's backend, from the registry: observe + plan, then act ------------------------------


def _backend(resource: ManifestResource, clients: Clients, options: RunOptions) -> Backend:
    backend_options = BackendOptions(options.config, options.backoff, progress=options.progress)
    return entry_for(resource.kind).backend(clients, backend_options, resource.spec.to_props())


def _only_outputs(outputs: dict[str, Any], resource: ManifestResource) -> dict[str, Any]:
    return {key: outputs.get(key) for key in resource.kind.output_names()}


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
    """A manifest of resources each handled offline (local-mode jobs with file:// locations) needs no AWS
    configuration."""
    return not all(entry_for(resource.kind).offline(resource.spec) for resource in manifest.resources)


def _run(tasks: Iterable[Callable[[], Any]], parallelism: int) -> list[Any]:
    if parallelism < 1:
        raise ConfigError(f"parallelism must be at least 1, got {parallelism}")
    with ThreadPoolExecutor(max_workers=parallelism, thread_name_prefix="reconcile") as pool:
        return [future.result() for future in [pool.submit(task) for task in tasks]]


def _plan_one(resource: ManifestResource, clients: Clients, options: RunOptions) -> ResourceReport:
    start = time.monotonic()
    try:
        planned, _ = _backend(resource, clients, options).plan(resource.spec)
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


def _apply_one(resource: ManifestResource, clients: Clients, options: RunOptions) -> ResourceReport:
    start = time.monotonic()
    planned: Plan | None = None
    try:
        backend = _backend(resource, clients, options)
        planned, observed = backend.plan(resource.spec)
        if resource.protect and planned.action is Action.REPLACE:
            raise ConfigError(
                f"{resource.logical_name} is protected (options.protect) and would be replaced "
                f"({', '.join(planned.replaces)} changed); unprotect it to let apply replace it"
            )
        outputs = backend.apply(resource.spec, planned, observed)
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
    manifest: Manifest, options: RunOptions, work: Callable[[ManifestResource, Clients, RunOptions], ResourceReport]
) -> list[Callable[[], Any]]:
    clients = Clients(options.config)
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
    clients = Clients(options.config)

    def listing(entry: Entry) -> Callable[[], Any]:
        declared = frozenset(r.name for r in manifest.resources if r.kind is entry.kind)

        def task() -> list[Unmanaged] | str:
            try:
                return entry.unmanaged(clients, declared, options.name_contains)
            except Exception as exc:
                return f"listing unmanaged resources failed: {_error_text(exc)}"

        return task

    listings = [listing(entry) for entry in entries()]
    results = _run([*_each(manifest, options, _plan_one), *listings], options.parallelism)
    reports, found = results[: len(results) - len(listings)], results[len(results) - len(listings) :]
    errors = tuple(each for each in found if isinstance(each, str))
    unmanaged = [u for each in found if isinstance(each, list) for u in each]
    unmanaged.sort(key=lambda u: (u.type, u.name))
    return Report(
        "drift", manifest.source, tuple(reports), tuple(unmanaged), errors=errors, seconds=time.monotonic() - start
    )
