"""The Backend interface (``reconcile.backend``) for each resource: Workteam, cloud CompilationJob, local
CompilationJob. Each wraps its reconciler; ``sagemaker_reconciler.registry`` picks one per resource."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagemaker_reconciler.plan.compilation_job import plan_compilation_job
from sagemaker_reconciler.plan.model import Action, Plan, contains_unknown
from sagemaker_reconciler.plan.workteam import plan_workteam
from sagemaker_reconciler.reconcile.backend import Adjust, BackendOptions, Clients, Live, Refreshed
from sagemaker_reconciler.reconcile.compilation_job import RUNNING, CompilationJobReconciler, ObservedJob
from sagemaker_reconciler.reconcile.created import create_compilation_job, create_workteam
from sagemaker_reconciler.reconcile.local_compile import LocalCompiler
from sagemaker_reconciler.reconcile.workteam import Observed, WorkteamReconciler
from sagemaker_reconciler.resource_types import COMPILATION_JOB
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec, parse_compilation_job
from sagemaker_reconciler.specs.workteam import WorkteamSpec

__all__ = ["WorkteamBackend", "CloudJobBackend", "LocalJobBackend"]


@dataclass
class WorkteamBackend:
    clients: Clients
    options: BackendOptions

    @property
    def reconciler(self) -> WorkteamReconciler:
        return WorkteamReconciler(self.clients.sagemaker)

    def plan(self, spec: WorkteamSpec) -> tuple[Plan, Observed | None]:
        return self.reconciler.plan(spec)

    def apply(self, spec: WorkteamSpec, plan: Plan, observed: Observed | None) -> dict[str, Any]:
        reconciler = self.reconciler
        if plan.action is Action.NOOP and observed is not None:
            return observed.outputs()
        if plan.action is Action.CREATE:
            return reconciler.create(spec, plan.call("CreateWorkteam"))
        if plan.action is Action.UPDATE:
            return reconciler.update(spec)  # re-plans: what runs is what is true now
        # A fixed name: delete before create; the delete still refuses while labeling work is pending.
        reconciler.delete(spec.workteam_name, force=spec.force_delete)
        return reconciler.create(spec, plan.call("CreateWorkteam"))

    def live(
        self,
        name: str,
        desired: dict[str, Any],
        stored: Mapping[str, Any],
        *,
        adjust: Adjust | None = None,
        program_replaces: bool = False,
    ) -> Live:
        observed = self.reconciler.observe(name, tags="tags" in desired)
        if observed is None:
            return Live(gone=True)
        planned = adjust(desired, observed.props) if adjust else desired
        return Live(plan=plan_workteam(planned, observed.props), props=observed.props)

    def live_props(self, name: str, *, tags: bool) -> dict[str, Any] | None:
        observed = self.reconciler.observe(name, tags=tags)
        return observed.props if observed else None

    def create(self, spec: WorkteamSpec) -> dict[str, Any]:
        return create_workteam(self.reconciler, spec)

    def discard(self, spec: WorkteamSpec) -> None:
        self.reconciler.delete(spec.workteam_name, force=True)

    def update(self, spec: WorkteamSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        return self.reconciler.update(spec)

    def read(self, name: str, stored: Mapping[str, Any]) -> Refreshed | None:
        observed = self.reconciler.read(name)
        if observed is None:
            return None
        return Refreshed(observed.spec_props(), observed.outputs(), "forceDelete")

    def delete(self, name: str, stored: Mapping[str, Any]) -> None:
        self.reconciler.delete(name, force=bool(stored.get("forceDelete", False)))


@dataclass
class CloudJobBackend:
    """mode: cloud: SageMaker Neo compiles; create waits for the job to end."""

    clients: Clients
    options: BackendOptions

    @property
    def reconciler(self) -> CompilationJobReconciler:
        options = self.options
        return CompilationJobReconciler(
            self.clients.sagemaker,
            self.clients.objects,
            backoff=options.backoff,
            log=options.progress,
            timeout=options.timeout,
        )

    def plan(self, spec: CompilationJobSpec) -> tuple[Plan, ObservedJob | None]:
        return self.reconciler.plan(spec)

    def apply(self, spec: CompilationJobSpec, plan: Plan, observed: ObservedJob | None) -> dict[str, Any]:
        reconciler = self.reconciler
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

    def live(
        self,
        name: str,
        desired: dict[str, Any],
        stored: Mapping[str, Any],
        *,
        adjust: Adjust | None = None,
        program_replaces: bool = False,
    ) -> Live:
        observed = self.reconciler.observe(name, tags="tags" in desired)
        if observed is None:
            return Live(gone=True)
        planned = adjust(desired, observed.props) if adjust else desired
        plan = plan_compilation_job(
            planned,
            observed.props,
            status=observed.status,
            artifact_exists=observed.artifact_exists,
            failure_reason=observed.job.get("FailureReason"),
        )
        return Live(plan=plan, props=observed.props)

    def live_props(self, name: str, *, tags: bool) -> dict[str, Any] | None:
        observed = self.reconciler.observe(name, check_artifact=False, tags=tags)
        return observed.props if observed else None

    def create(self, spec: CompilationJobSpec) -> dict[str, Any]:
        return create_compilation_job(self.reconciler, spec)

    def discard(self, spec: CompilationJobSpec) -> None:
        self.reconciler.delete(spec.compilation_job_name)

    def update(self, spec: CompilationJobSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        return self.reconciler.update_tags(spec)

    def read(self, name: str, stored: Mapping[str, Any]) -> Refreshed | None:
        observed = self.reconciler.observe(name, check_artifact=False)
        if observed is None:
            return None
        return Refreshed(
            observed.spec_props(), observed.outputs(), "deleteArtifacts", CompilationJobSpec.prop_defaults()
        )

    def delete(self, name: str, stored: Mapping[str, Any]) -> None:
        self.reconciler.delete(name, delete_artifacts=bool(stored.get("deleteArtifacts", False)))


@dataclass
class LocalJobBackend:
    """mode: local: compiled here with TVM; the published artifact (and its manifest.json) is the live
    state. S3 clients are built only if a location is s3://; file:// needs no region or credentials."""

    clients: Clients
    options: BackendOptions

    @property
    def compiler(self) -> LocalCompiler:
        return LocalCompiler(self.clients.config, progress=self.options.progress)

    def plan(self, spec: CompilationJobSpec) -> tuple[Plan, None]:
        return self.compiler.plan(spec), None

    def apply(self, spec: CompilationJobSpec, plan: Plan, observed: None) -> dict[str, Any]:
        if plan.action is Action.NOOP:
            return self.compiler.published_outputs(spec)
        return self.compiler.create(spec)  # same location: the new artifact replaces the old

    def live(
        self,
        name: str,
        desired: dict[str, Any],
        stored: Mapping[str, Any],
        *,
        adjust: Adjust | None = None,
        program_replaces: bool = False,
    ) -> Live:
        """The artifact's manifest vs the spec (the CLI's rule: model digest, inputs, tuning), plus the
        digest state recorded (an artifact changed on disk). Not looked at once the program itself
        replaces the job, nor while inputs are unknown."""
        if program_replaces or contains_unknown(desired):
            return Live()
        uri = stored.get("compiledArtifactUri")
        if not uri:
            return Live()
        compiler = self.compiler
        if not compiler.digest_matches(uri, stored.get("artifactDigest") or None):
            if not compiler.exists(uri):
                return Live(redo=(f"{name}: the compiled artifact {uri} no longer exists: it will be compiled again",))
            return Live(
                redo=(f"{name}: the compiled artifact {uri} was changed outside Pulumi: it will be compiled again",)
            )
        plan = compiler.plan(parse_compilation_job(desired), uri=uri)
        return Live(redo=tuple(f"{name}: {line}: it will be compiled again" for line in compiler.reasons(plan)))

    def live_props(self, name: str, *, tags: bool) -> dict[str, Any] | None:
        return None  # no service holds a local job: ignored inputs keep the program's value

    def create(self, spec: CompilationJobSpec) -> dict[str, Any]:
        return self.compiler.create(spec)

    def discard(self, spec: CompilationJobSpec) -> None:
        """A failed local compile publishes nothing: nothing to remove."""

    def update(self, spec: CompilationJobSpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        """Only state-only inputs change in place: the artifact and its outputs stay."""
        return {**spec.to_props(), **{k: stored.get(k, "") for k in COMPILATION_JOB.output_names()}}

    def read(self, name: str, stored: Mapping[str, Any]) -> Refreshed | None:
        uri = stored.get("compiledArtifactUri")
        if not uri or not self.compiler.exists(uri):
            return None
        outputs = {k: v for k, v in stored.items() if not k.startswith("__")}
        inputs = {k: v for k, v in stored.items() if k not in COMPILATION_JOB.output_names()}
        return Refreshed({}, outputs, "deleteArtifacts", inputs=inputs)

    def delete(self, name: str, stored: Mapping[str, Any]) -> None:
        if stored.get("deleteArtifacts", False) and stored.get("compiledArtifactUri"):
            self.compiler.delete_own(stored["compiledArtifactUri"], stored.get("artifactDigest") or None)
