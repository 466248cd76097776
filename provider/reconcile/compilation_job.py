"""observe -> plan -> act for one CompilationJob (cloud mode).

Create, then wait with backoff until COMPLETED, bounded by the job's own
stopping condition plus a margin. An interrupted earlier create is adopted
when the existing job matches the spec. Delete stops a running job first and
keeps the S3 artifact unless asked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from provider.reconcile._time import iso_time
from provider.aws import ObjectStore, SageMakerGateway
from provider.errors import AwsError, ConfigError, Conflict, NotFound, TerminalState
from provider.plan.compilation_job import plan_compilation_job
from provider.plan.model import Action, Plan
from provider.specs.compilation_job import CompilationJobSpec
from provider.specs.workteam import props_shape
from provider.waiters import Backoff, wait_for

__all__ = ["ObservedJob", "CompilationJobReconciler", "JOB_OUTPUT_KEYS", "RUNNING", "DEFAULT_MAX_RUNTIME"]

JOB_OUTPUT_KEYS = ("arn", "status", "compiledArtifactUri", "artifactDigest", "inferenceImage", "failureReason",
                   "creationTime", "compilationStartTime", "compilationEndTime")
RUNNING = ("STARTING", "INPROGRESS")
DEFAULT_MAX_RUNTIME = 86400  # the service's default when the spec sets none
WAIT_MARGIN = 300



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
        members = ("CompilationJobName", "RoleArn", "ModelPackageVersionArn", "InputConfig", "OutputConfig",
                   "VpcConfig", "StoppingCondition", "CompilationJobArn")
        if "ModelPackageVersionArn" in self.job:  # the service reports an InputConfig derived from the package
            members = tuple(m for m in members if m != "InputConfig")
        props = props_shape({k: self.job[k] for k in members if k in self.job})
        if self.tags is not None:
            props["tags"] = {t["Key"]: t["Value"] for t in self.tags if not t["Key"].lower().startswith("aws:")}
        return props

    def spec_props(self) -> dict[str, Any]:
        props = self.props
        props.pop("compilationJobArn", None)
        return props

    def outputs(self) -> dict[str, Any]:
        job = self.job
        return {
            "arn": job.get("CompilationJobArn", ""),
            "status": self.status,
            "compiledArtifactUri": (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts", ""),
            "artifactDigest": (job.get("ModelDigests") or {}).get("ArtifactDigest", ""),
            "inferenceImage": job.get("InferenceImage", ""),
            "failureReason": job.get("FailureReason", ""),
            "creationTime": iso_time(job.get("CreationTime")),
            "compilationStartTime": iso_time(job.get("CompilationStartTime")),
            "compilationEndTime": iso_time(job.get("CompilationEndTime")),
        }


@dataclass
class CompilationJobReconciler:
    sagemaker: SageMakerGateway
    objects: ObjectStore
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    on_poll: Callable[[dict[str, Any], float], None] | None = None

    # --- observe and plan ---------------------------------------------------------------

    def observe(self, name: str, *, check_artifact: bool = True, tags: bool = True) -> ObservedJob | None:
        """Describe, plus ListTags unless tags are not managed, plus HeadObject on the artifact."""
        job = self.sagemaker.describe_compilation_job(name)
        if job is None:
            return None
        tags = self.sagemaker.list_tags(job["CompilationJobArn"]) if tags else None
        artifact = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        exists = self.objects.exists(artifact) if check_artifact and artifact else None
        return ObservedJob(job, tags, exists)

    def plan(self, spec: CompilationJobSpec) -> tuple[Plan, ObservedJob | None]:
        observed = self.observe(spec.compilation_job_name, tags=spec.tags is not None)
        if observed is None:
            return plan_compilation_job(spec.to_props(), None), None
        return plan_compilation_job(
            spec.to_props(), observed.props, status=observed.status, artifact_exists=observed.artifact_exists
        ), observed

    # --- act ----------------------------------------------------------------------------

    def create(self, spec: CompilationJobSpec) -> dict[str, Any]:
        """Create and wait; a job left by an interrupted earlier run is adopted if it matches."""
        name = spec.compilation_job_name
        if spec.mode != "cloud":
            raise ConfigError(f"compilation job {name}: mode {spec.mode!r} is not served by SageMaker; "
                              "this reconciler only runs cloud-mode jobs")
        try:
            self.sagemaker.call("CreateCompilationJob", name, **spec.to_create_request())
        except Conflict:
            existing = self.observe(name, check_artifact=False, tags=spec.tags is not None)
            if existing is None:
                raise
            plan = plan_compilation_job(spec.to_props(), existing.props)
            mismatched = plan.replaces
            if mismatched:
                raise Conflict(
                    "CreateCompilationJob", "ResourceInUse",
                    f"a different compilation job named {name!r} already exists "
                    f"(differs in {', '.join(mismatched)}); choose another name or delete it",
                    name,
                ) from None
            if plan.action is Action.UPDATE:
                self._apply_tags(plan)
        return self.wait(spec)

    def wait(self, spec: CompilationJobSpec) -> dict[str, Any]:
        name = spec.compilation_job_name
        condition = spec.stopping_condition
        limit = (condition.max_runtime_in_seconds if condition and condition.max_runtime_in_seconds
                 else DEFAULT_MAX_RUNTIME)
        job = wait_for(
            lambda: self.sagemaker.call("DescribeCompilationJob", name, CompilationJobName=name),
            lambda j: j.get("CompilationJobStatus") not in (*RUNNING, "STOPPING"),
            timeout=limit + WAIT_MARGIN,
            what=f"compilation job {name}",
            backoff=self.backoff, sleep=self.sleep, clock=self.clock, on_poll=self.on_poll,
        )
        status = job["CompilationJobStatus"]
        if status != "COMPLETED":
            raise TerminalState(f"compilation job {name}", status, job.get("FailureReason"))
        return {**spec.to_props(), **ObservedJob(job, None).outputs()}

    def update_tags(self, spec: CompilationJobSpec) -> dict[str, Any]:
        """The only in-place change a job allows."""
        plan, observed = self.plan(spec)
        if plan.action is Action.REPLACE or observed is None:
            raise Conflict("UpdateCompilationJob", "RequiresReplacement",
                           f"{', '.join(plan.replaces) or 'the job'} cannot change in place", spec.compilation_job_name)
        self._apply_tags(plan)
        return {**spec.to_props(), **observed.outputs()}

    def _apply_tags(self, plan: Plan) -> None:
        for call in plan.calls:
            self.sagemaker.call(call.operation, plan.name, **call.params)

    def delete(self, name: str, *, delete_artifacts: bool = False) -> None:
        """Stop a running job and wait for STOPPED, then delete; gone already is success."""
        job = self.sagemaker.describe_compilation_job(name)
        if job is None:
            return
        if job["CompilationJobStatus"] in RUNNING:
            try:
                self.sagemaker.call("StopCompilationJob", name, CompilationJobName=name)
            except NotFound:
                return
            except AwsError as exc:
                # It ended between our Describe and the Stop (the service refuses to stop a finished job):
                # look again, and go on to delete it unless it is somehow still running.
                if exc.code != "ValidationException":
                    raise
                job = self.sagemaker.describe_compilation_job(name)
                if job is None:
                    return
                if job["CompilationJobStatus"] in RUNNING:
                    raise
        if job["CompilationJobStatus"] in (*RUNNING, "STOPPING"):
            job = wait_for(
                lambda: self.sagemaker.call("DescribeCompilationJob", name, CompilationJobName=name),
                lambda j: j.get("CompilationJobStatus") not in (*RUNNING, "STOPPING"),
                timeout=WAIT_MARGIN * 4, what=f"stopping compilation job {name}",
                backoff=self.backoff, sleep=self.sleep, clock=self.clock,
            )
        try:
            self.sagemaker.call("DeleteCompilationJob", name, CompilationJobName=name)
        except NotFound:
            pass
        artifact = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
        if delete_artifacts and artifact:
            self.objects.delete(artifact)
