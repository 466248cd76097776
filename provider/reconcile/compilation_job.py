"""observe -> plan -> act for one CompilationJob (cloud mode).

Create, then wait with backoff until COMPLETED, bounded by the job's own
stopping condition (pending, running, or the whole wait) plus a margin. An
interrupted earlier create is adopted when the existing job matches the spec
and is still running or COMPLETED; a FAILED or STOPPED one is deleted and
created again. Delete stops a running job first and keeps the S3 artifact
unless asked, and even then never deletes an artifact another job now owns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sagemaker_reconciler.aws import ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import AwsError, ConfigError, Conflict, NotFound, RequiresReplacement, TerminalState
from sagemaker_reconciler.plan.compilation_job import plan_compilation_job
from sagemaker_reconciler.plan.model import Action, ApiCall, Plan
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec
from sagemaker_reconciler.specs.compilation_job_api import (
    delete_request,
    describe_request,
    read_outputs,
    read_props,
    stop_request,
)
from sagemaker_reconciler.waiters import Backoff, wait_for

__all__ = [
    "ObservedJob",
    "CompilationJobReconciler",
    "RUNNING",
    "ENDED",
    "DEFAULT_MAX_RUNTIME",
    "wait_limit",
]

RUNNING = ("STARTING", "INPROGRESS")
DEFAULT_MAX_RUNTIME = 86400  # the service's default when the spec sets none
DEFAULT_MAX_PENDING = 7200  # how long a create waits for a STARTING job when maxPendingTimeInSeconds is unset
WAIT_MARGIN = 300
ENDED = ("FAILED", "STOPPED")  # terminal and never the desired result: recreated, not adopted


@dataclass(frozen=True)
class ObservedJob:
    job: dict[str, Any]
    tags: list[dict[str, str]] | None
    artifact_exists: bool | None = None

    @property
    def status(self) -> str:
        return self.job.get("CompilationJobStatus", "")

    @property
    def props(self) -> dict[str, Any]:
        return read_props(self.job, self.tags)

    def spec_props(self) -> dict[str, Any]:
        props = self.props
        props.pop("compilationJobArn", None)
        props.pop("compiledArtifactUri", None)
        return props

    def outputs(self) -> dict[str, Any]:
        return read_outputs(self.job)


@dataclass
class CompilationJobReconciler:
    sagemaker: SageMakerGateway
    objects: ObjectStore
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    on_poll: Callable[[dict[str, Any], float], None] | None = None
    log: Callable[[str], None] | None = None
    """Told what the reconciler decided on its own (a FAILED job recreated, an artifact kept)."""
    timeout: float | None = None
    """The caller's own bound on any one wait, in seconds (the plugin's request timeout); None: none."""

    def _bound(self, seconds: float) -> float:
        return min(seconds, self.timeout) if self.timeout else seconds

    # --- observe and plan ---------------------------------------------------------------

    def observe(self, name: str, *, check_artifact: bool = True, tags: bool = True) -> ObservedJob | None:
        """Describe, plus ListTags unless tags are not managed, plus HeadObject on the artifact."""
        job = self._describe(name)
        if job is None:
            return None
        live_tags = self.sagemaker.list_tags(job["CompilationJobArn"]) if tags else None
        artifact = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        exists = self.objects.exists(artifact) if check_artifact and artifact else None
        return ObservedJob(job, live_tags, exists)

    def plan(self, spec: CompilationJobSpec) -> tuple[Plan, ObservedJob | None]:
        observed = self.observe(spec.compilation_job_name, tags=spec.tags is not None)
        if observed is None:
            return plan_compilation_job(spec.to_props(), None), None
        return plan_compilation_job(
            spec.to_props(),
            observed.props,
            status=observed.status,
            artifact_exists=observed.artifact_exists,
            failure_reason=observed.job.get("FailureReason"),
        ), observed

    # --- act ----------------------------------------------------------------------------

    def create(self, spec: CompilationJobSpec, call: ApiCall | None = None) -> dict[str, Any]:
        """Send the plan's CreateCompilationJob `call` (a create plan's, when not given) and wait.

        A name already taken by a job with the same spec that is running or COMPLETED is an earlier,
        interrupted create: adopted and waited for. One that ended FAILED or STOPPED is deleted and
        created again (its old FailureReason says nothing about this attempt).
        """
        name = spec.compilation_job_name
        if spec.mode != "cloud":
            raise ConfigError(
                f"compilation job {name}: mode {spec.mode!r} is not served by SageMaker; "
                "this reconciler only runs cloud-mode jobs"
            )
        call = call or plan_compilation_job(spec.to_props(), None).call("CreateCompilationJob")
        assert call is not None  # a known spec always plans its create call
        try:
            self.sagemaker.call(call.operation, name, **call.params)
        except Conflict:
            existing = self.observe(name, check_artifact=False, tags=spec.tags is not None)
            if existing is None:
                raise
            if existing.status in ENDED:
                self._say(
                    f"compilation job {name}: an earlier job under this name ended {existing.status}"
                    f"{' (' + existing.job['FailureReason'] + ')' if existing.job.get('FailureReason') else ''}; "
                    "deleting it and creating the job again"
                )
                self._delete_ended(name)
                self.sagemaker.call(call.operation, name, **call.params)
                return self.wait(spec)
            plan = plan_compilation_job(spec.to_props(), existing.props)
            mismatched = plan.replaces
            if mismatched:
                raise Conflict(
                    "CreateCompilationJob",
                    "ResourceInUse",
                    f"a different compilation job named {name!r} already exists "
                    f"(differs in {', '.join(mismatched)}); choose another name or delete it",
                    name,
                ) from None
            if plan.action is Action.UPDATE:
                self._apply_tags(plan)
        return self.wait(spec)

    def _delete_ended(self, name: str) -> None:
        try:
            self.sagemaker.call("DeleteCompilationJob", name, **delete_request(name))
        except NotFound:
            pass

    def _describe(self, name: str) -> dict[str, Any] | None:
        try:
            return self.sagemaker.call("DescribeCompilationJob", name, **describe_request(name))
        except NotFound:
            return None

    def _say(self, line: str) -> None:
        if self.log is not None:
            self.log(line)

    def wait(self, spec: CompilationJobSpec) -> dict[str, Any]:
        """Wait for the job to end, as long as its stopping condition lets the service keep it going."""
        name = spec.compilation_job_name
        timeout, limit_text = wait_limit(spec)
        job = wait_for(
            lambda: self.sagemaker.call("DescribeCompilationJob", name, **describe_request(name)),
            lambda j: j.get("CompilationJobStatus") not in (*RUNNING, "STOPPING"),
            timeout=self._bound(timeout),
            what=f"compilation job {name}",
            backoff=self.backoff,
            sleep=self.sleep,
            clock=self.clock,
            on_poll=self.on_poll,
            describe=lambda j: str(j.get("CompilationJobStatus", "not done")),
            limit_text=limit_text,
            after_timeout=(
                "the job keeps running in SageMaker: the next apply (or pulumi up) waits for it again, "
                f"or stop it with StopCompilationJob {name}"
            ),
        )
        status = job["CompilationJobStatus"]
        if status != "COMPLETED":
            raise TerminalState(f"compilation job {name}", status, job.get("FailureReason"))
        return {**spec.to_props(), **ObservedJob(job, None).outputs()}

    def update_tags(self, spec: CompilationJobSpec) -> dict[str, Any]:
        """The only in-place change a job allows."""
        plan, observed = self.plan(spec)
        if plan.action is Action.REPLACE or observed is None:
            raise RequiresReplacement("CompilationJob", spec.compilation_job_name, plan.replaces)
        self._apply_tags(plan)
        return {**spec.to_props(), **observed.outputs()}

    def _apply_tags(self, plan: Plan) -> None:
        for call in plan.calls:
            self.sagemaker.call(call.operation, plan.name, **call.params)

    def delete(self, name: str, *, delete_artifacts: bool = False) -> None:
        """Stop a running job and wait for STOPPED, then delete; gone already is success."""
        job = self._describe(name)
        if job is None:
            return
        if job["CompilationJobStatus"] in RUNNING:
            try:
                self.sagemaker.call("StopCompilationJob", name, **stop_request(name))
            except NotFound:
                return
            except AwsError as exc:
                # It ended between our Describe and the Stop (the service refuses to stop a finished job):
                # look again, and go on to delete it unless it is somehow still running.
                if exc.code != "ValidationException":
                    raise
                job = self._describe(name)
                if job is None:
                    return
                if job["CompilationJobStatus"] in RUNNING:
                    raise
        if job["CompilationJobStatus"] in (*RUNNING, "STOPPING"):
            job = wait_for(
                lambda: self.sagemaker.call("DescribeCompilationJob", name, **describe_request(name)),
                lambda j: j.get("CompilationJobStatus") not in (*RUNNING, "STOPPING"),
                timeout=self._bound(WAIT_MARGIN * 4),
                what=f"stopping compilation job {name}",
                backoff=self.backoff,
                sleep=self.sleep,
                clock=self.clock,
            )
        try:
            self.sagemaker.call("DeleteCompilationJob", name, **delete_request(name))
        except NotFound:
            pass
        artifact = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        if delete_artifacts and artifact:
            owner = self._other_owner(job, artifact)
            if owner is None:
                self.objects.delete(artifact)
            else:
                self._say(
                    f"compilation job {name}: kept its artifact {artifact}: compilation job {owner} "
                    "wrote the same location since and its model is there now"
                )

    def _other_owner(self, job: dict[str, Any], artifact: str) -> str | None:
        """Another job created since `job` whose live ModelArtifacts is the same S3 object (Neo names the
        artifact <output>/<model>-<target>.tar.gz, so a replacement writes over its predecessor's key)."""
        name = job["CompilationJobName"]
        created = job.get("CreationTime")
        params: dict[str, Any] = {}
        if isinstance(created, datetime):
            params["CreationTimeAfter"] = created - timedelta(seconds=1)  # the filter is exclusive
        for summary in self.sagemaker.paginate("ListCompilationJobs", "CompilationJobSummaries", **params):
            other = summary["CompilationJobName"]
            if other == name:
                continue
            described = self._describe(other)
            if described and (described.get("ModelArtifacts") or {}).get("S3ModelArtifacts") == artifact:
                return other
        return None


def wait_limit(spec: CompilationJobSpec) -> tuple[float, str]:
    """How long a create waits, and why: the service stops a job that overruns its stopping condition,
    so the wait lasts as long as the job may legitimately go on (pending, then running), plus a margin.
    maxWaitTimeInSeconds bounds pending and running together; maxPendingTimeInSeconds bounds STARTING."""
    condition = spec.stopping_condition
    runtime = (condition.max_runtime_in_seconds if condition else None) or DEFAULT_MAX_RUNTIME
    pending = (condition.max_pending_time_in_seconds if condition else None) or DEFAULT_MAX_PENDING
    total = condition.max_wait_time_in_seconds if condition else None
    runtime_text = (
        f"maxRuntimeInSeconds {runtime}"
        if condition and condition.max_runtime_in_seconds
        else f"the service's default runtime {runtime} s"
    )
    if total:
        return total + WAIT_MARGIN, f"maxWaitTimeInSeconds {total} + {WAIT_MARGIN} s margin"
    pending_text = (
        f"maxPendingTimeInSeconds {pending}"
        if condition and condition.max_pending_time_in_seconds
        else f"{pending} s pending allowance"
    )
    return pending + runtime + WAIT_MARGIN, f"{pending_text} + {runtime_text} + {WAIT_MARGIN} s margin"
