"""Neo compilation jobs as SageMaker runs them: a life on the endpoint's clock, an artifact in its S3.

A job's status is not kept up to date by a thread: every operation that looks
at a job first brings it up to the clock's now (``_advance``), applying the
transitions that fell due since it was last looked at, each stamped with the
time it was due, not the time it was noticed::

    create ──starting_seconds──> INPROGRESS ──compiling_seconds──> COMPLETED | FAILED
       STARTING / INPROGRESS ──StopCompilationJob──> STOPPING ──stopping_seconds──> STOPPED

Reaching the end of compiling is when the job reads its input model from the
endpoint's S3 and writes ``<output prefix>/<model>-<target>.tar.gz``; a missing
input or output bucket, an input that is not a ``.tar.gz`` or a DataInputConfig that is
not JSON (the API accepts both; Neo fails on them), a failure planted by a test, or a runtime longer than
``StoppingCondition.MaxRuntimeInSeconds`` make it FAILED instead. Timing and
planted failures are endpoint-wide settings (``CompilationJobSettings``), which
the test controls change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from .compilation_artifacts import (
    artifact_digest,
    artifact_key,
    build_artifact,
    inference_image,
    model_stem,
    parse_s3_uri,
    target_name,
)
from .exceptions import InternalFailure, ResourceInUse, ResourceNotFound, ValidationException
from .protocol import ACCOUNT_ID
from .state import Clock, EndpointState, ObjectStore, RegionalBackend
from .tag_rules import check_tags_to_add

__all__ = [
    "RUNNING",
    "TERMINAL",
    "CompilationJob",
    "CompilationJobBackend",
    "CompilationJobSettings",
    "Timing",
]

Json = dict[str, Any]

STARTING, INPROGRESS, COMPLETED, FAILED, STOPPING, STOPPED = (
    "STARTING",
    "INPROGRESS",
    "COMPLETED",
    "FAILED",
    "STOPPING",
    "STOPPED",
)
RUNNING = frozenset({STARTING, INPROGRESS})
"""The statuses StopCompilationJob accepts."""
TERMINAL = frozenset({COMPLETED, FAILED, STOPPED})
"""The statuses DeleteCompilationJob accepts."""

SortBy = Literal["Name", "CreationTime", "Status"]

_ONLY_S3_URIS = "the embedded endpoint reads and writes only s3:// locations"


@dataclass(frozen=True)
class Timing:
    """How long a job spends in each transient status, in seconds of the endpoint's clock."""

    starting_seconds: float = 0.2
    """STARTING -> INPROGRESS (CompilationStartTime)."""
    compiling_seconds: float = 1.0
    """INPROGRESS -> COMPLETED or FAILED (CompilationEndTime)."""
    stopping_seconds: float = 0.2
    """STOPPING -> STOPPED."""

    def __post_init__(self) -> None:
        for name, value in dataclasses.asdict(self).items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                raise ValidationException(f"{name} must be a number of seconds >= 0, got {value!r}")

    def to_json(self) -> Json:
        return dataclasses.asdict(self)


class CompilationJobSettings:
    """The endpoint-wide levers (``state.shared()``): default and per-name timing, planted failures."""

    def __init__(self) -> None:
        self.default_timing = Timing()
        self._timing_by_name: dict[str, Json] = {}
        self._failure_by_name: dict[str, str] = {}
        self._next_failures: list[str] = []

    def set_timing(self, job_name: str | None = None, **changes: float | None) -> Timing:
        """Change the default (``job_name`` None) or one name's timing; fields left None keep their value.

        A name's timing is an override of the default that applies to every job created
        with that name from now on (the jobs already running keep theirs)."""
        given = {name: value for name, value in changes.items() if value is not None}
        if job_name is None:
            self.default_timing = dataclasses.replace(self.default_timing, **given)
            return self.default_timing
        overrides = {**self._timing_by_name.get(job_name, {}), **given}
        timing = dataclasses.replace(self.default_timing, **overrides)  # validates before storing
        self._timing_by_name[job_name] = overrides
        return timing

    def timing_for(self, job_name: str) -> Timing:
        return dataclasses.replace(self.default_timing, **self._timing_by_name.get(job_name, {}))

    def plant_failure(self, reason: str, job_name: str | None = None) -> None:
        """The next job created with ``job_name`` (or, without a name, the next job created) will FAIL."""
        if job_name is None:
            self._next_failures.append(reason)
        else:
            self._failure_by_name[job_name] = reason

    def take_failure(self, job_name: str) -> str | None:
        """The planted failure for a job being created now, if any; each is used once."""
        if job_name in self._failure_by_name:
            return self._failure_by_name.pop(job_name)
        return self._next_failures.pop(0) if self._next_failures else None


@dataclass
class CompilationJob:
    name: str
    arn: str
    role_arn: str
    output_config: Json
    stopping_condition: Json
    created: float
    timing: Timing
    input_config: Json | None = None
    model_package_version_arn: str | None = None
    vpc_config: Json | None = None
    tags: list[Json] = field(default_factory=list)
    planned_failure: str | None = None
    status: str = STARTING
    last_modified: float = 0.0
    compilation_start: float | None = None
    compilation_end: float | None = None
    stop_requested: float | None = None
    failure_reason: str | None = None
    artifact_uri: str | None = None
    artifact_digest: str | None = None
    inference_image: str | None = None

    @property
    def target(self) -> str:
        return target_name(self.output_config)

    @property
    def input_uri(self) -> str | None:
        return self.input_config.get("S3Uri") if self.input_config else None


class CompilationJobBackend(RegionalBackend):
    """The compilation jobs of one account in one region."""

    def __init__(
        self,
        region: str,
        account_id: str,
        clock: Clock,
        settings: CompilationJobSettings | None = None,
        store: ObjectStore | None = None,
    ):
        super().__init__(region, account_id, clock)
        self.settings = settings or CompilationJobSettings()
        self._store = store
        self._jobs: dict[str, CompilationJob] = {}

    @classmethod
    def for_region(cls, state: EndpointState, region: str) -> Self:
        return cls(region, ACCOUNT_ID, state.clock, state.shared(CompilationJobSettings), state.object_store)

    # --- the operations -------------------------------------------------------------------------

    def create(
        self,
        name: str,
        role_arn: str,
        output_config: Json,
        stopping_condition: Json,
        input_config: Json | None = None,
        model_package_version_arn: str | None = None,
        vpc_config: Json | None = None,
        tags: list[Json] | None = None,
    ) -> CompilationJob:
        _check_request(input_config, model_package_version_arn, output_config)
        if name in self._jobs:
            raise ResourceInUse(
                f"Resource Already Exists: Compilation job with name {name} already exists. Choose a different name."
            )
        now = self.clock()
        job = CompilationJob(
            name=name,
            arn=f"arn:aws:sagemaker:{self.region}:{self.account_id}:compilation-job/{name}",
            role_arn=role_arn,
            output_config=output_config,
            stopping_condition=stopping_condition,
            created=now,
            last_modified=now,
            timing=self.settings.timing_for(name),
            input_config=input_config,
            model_package_version_arn=model_package_version_arn,
            vpc_config=vpc_config,
            planned_failure=self.settings.take_failure(name),
        )
        _merge_tags(job, tags or [])
        self._jobs[name] = job
        return job

    def describe(self, name: str) -> CompilationJob:
        job = self._jobs.get(name)
        if job is None:
            raise _not_found(name)
        self._advance(job)
        return job

    def stop(self, name: str) -> None:
        """STARTING/INPROGRESS -> STOPPING; a job already STOPPING is left alone (a retried Stop succeeds)."""
        job = self.describe(name)
        if job.status == STOPPING:
            return
        if job.status not in RUNNING:
            raise ValidationException(
                f"Compilation job {name} is not in a stoppable state: its status is {job.status}. "
                f"Only a job in STARTING or INPROGRESS can be stopped."
            )
        now = self.clock()
        job.stop_requested = now
        job.status = STOPPING
        job.last_modified = now

    def delete(self, name: str) -> None:
        job = self.describe(name)
        if job.status not in TERMINAL:
            raise ValidationException(
                f"Cannot delete compilation job {name} while its status is {job.status}. A compilation job can be "
                f"deleted only when its status is COMPLETED, FAILED, or STOPPED; stop it and wait for STOPPED first."
            )
        del self._jobs[name]

    def jobs(
        self,
        name_contains: str | None = None,
        status_equals: str | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        modified_after: float | None = None,
        modified_before: float | None = None,
        sort_by: SortBy = "CreationTime",
        descending: bool = False,
    ) -> list[CompilationJob]:
        """ListCompilationJobs' filters (name ignoring case; times exclusive) and order, statuses as of now."""
        for job in self._jobs.values():
            self._advance(job)
        selected = [
            job
            for job in self._jobs.values()
            if (name_contains is None or name_contains.lower() in job.name.lower())
            and (status_equals is None or job.status == status_equals)
            and (created_after is None or job.created > created_after)
            and (created_before is None or job.created < created_before)
            and (modified_after is None or job.last_modified > modified_after)
            and (modified_before is None or job.last_modified < modified_before)
        ]
        if sort_by == "Name":
            selected.sort(key=lambda job: job.name)
        elif sort_by == "Status":
            selected.sort(key=lambda job: (job.status, job.created))
        else:
            selected.sort(key=lambda job: job.created)
        return selected[::-1] if descending else selected

    def plan_failure(self, name: str, reason: str) -> bool:
        """Make an existing running job FAIL with ``reason`` when its compiling ends; False if there is no such job."""
        job = self._jobs.get(name)
        if job is None:
            return False
        self._advance(job)
        if job.status not in RUNNING:
            raise ValidationException(
                f"Compilation job {name} is {job.status}; only a STARTING or INPROGRESS job can be made to fail."
            )
        job.planned_failure = reason
        return True

    # --- tags ----------------------------------------------------------------------------------

    def tags(self, arn: str) -> list[Json]:
        return list(self._tagged(arn).tags)

    def add_tags(self, arn: str, tags: list[Json]) -> list[Json]:
        """Add or overwrite by key; returns all the job's tags, as AddTags does."""
        job = self._tagged(arn)
        _merge_tags(job, tags)
        return list(job.tags)

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        job = self._tagged(arn)
        job.tags = [tag for tag in job.tags if tag["Key"] not in keys]

    def _tagged(self, arn: str) -> CompilationJob:
        job = next((job for job in self._jobs.values() if job.arn == arn), None)
        if job is None:
            raise _not_found(arn.rsplit("/", 1)[-1])
        return job

    # --- the life cycle ------------------------------------------------------------------------

    def _advance(self, job: CompilationJob) -> None:
        """Apply every transition due by now, each at the time it fell due."""
        now = self.clock()
        if job.status == STOPPING:
            assert job.stop_requested is not None
            stopped_at = job.stop_requested + job.timing.stopping_seconds
            if now >= stopped_at:
                self._end(job, STOPPED, stopped_at)
            return
        started_at = job.created + job.timing.starting_seconds
        if job.status == STARTING and now >= started_at:
            job.status = INPROGRESS
            job.compilation_start = started_at
            job.last_modified = started_at
        if job.status != INPROGRESS:
            return
        max_runtime = job.stopping_condition.get("MaxRuntimeInSeconds")
        if max_runtime is not None and job.timing.compiling_seconds > max_runtime:
            timed_out_at = started_at + max_runtime
            if now >= timed_out_at:
                reason = f"TimeOut: The compilation job did not complete within MaxRuntimeInSeconds ({max_runtime})."
                self._end(job, FAILED, timed_out_at, failure_reason=reason)
            return
        done_at = started_at + job.timing.compiling_seconds
        if now >= done_at:
            self._finish_compiling(job, done_at)

    def _finish_compiling(self, job: CompilationJob, at: float) -> None:
        """Read the model, write the artifact: COMPLETED; or FAILED with the reason the service would give."""
        reason = job.planned_failure
        if reason is None:
            reason = self._write_artifact(job, at)
        if reason is None:
            self._end(job, COMPLETED, at)
        else:
            self._end(job, FAILED, at, failure_reason=reason)

    def _write_artifact(self, job: CompilationJob, at: float) -> str | None:
        """Put the artifact in S3 and record it on the job; the FailureReason when that cannot be done."""
        store = self._object_store()
        model = b""
        if job.input_uri is not None:
            source = parse_s3_uri(job.input_uri)
            found = store.get(source.bucket, source.key) if source else None
            if found is None:
                why = "the S3 object does not exist" if source else _ONLY_S3_URIS
                return f"ClientError: InputConfiguration: Unable to download the model from {job.input_uri}: {why}."
            model = found
            unusable = _unusable_input(job.input_config or {})
            if unusable is not None:
                return unusable
        output_location = job.output_config["S3OutputLocation"]
        output = parse_s3_uri(output_location)
        if output is None or not store.bucket_exists(output.bucket):
            why = "the S3 bucket does not exist" if output else _ONLY_S3_URIS
            return f"ClientError: OutputConfiguration: Unable to upload the compiled model to {output_location}: {why}."
        key = artifact_key(output.key, model_stem(job.input_uri), job.target)
        body = build_artifact(self._manifest(job, model, at), mtime=at)
        store.put(output.bucket, key, body)
        job.artifact_uri = f"s3://{output.bucket}/{key}"
        job.artifact_digest = artifact_digest(body)
        framework = job.input_config.get("Framework") if job.input_config else None
        version = job.input_config.get("FrameworkVersion") if job.input_config else None
        job.inference_image = inference_image(self.region, framework, version, job.target)
        return None

    def _manifest(self, job: CompilationJob, model: bytes, at: float) -> Json:
        """What the artifact says about itself: enough for a test to tell which job, input and target made it."""
        manifest: Json = {
            "CompilationJobName": job.name,
            "CompilationJobArn": job.arn,
            "Target": job.target,
            "OutputConfig": job.output_config,
            "CompiledAt": at,
            "Compiler": "sagemaker_reconciler.endpoint (embedded endpoint; no real compilation)",
        }
        if job.input_config is not None:
            manifest["InputConfig"] = job.input_config
            manifest["InputModelSha256"] = hashlib.sha256(model).hexdigest()
        if job.model_package_version_arn is not None:
            manifest["ModelPackageVersionArn"] = job.model_package_version_arn
        return manifest

    @staticmethod
    def _end(job: CompilationJob, status: str, at: float, failure_reason: str | None = None) -> None:
        job.status = status
        job.compilation_end = at
        job.last_modified = at
        job.failure_reason = failure_reason

    def _object_store(self) -> ObjectStore:
        if self._store is None:
            raise InternalFailure("This endpoint has no object store, so compilation jobs cannot finish.")
        return self._store


def _check_request(input_config: Json | None, model_package_version_arn: str | None, output_config: Json) -> None:
    """The rules the API reference states in prose, beyond what the service model encodes."""
    if input_config is not None and model_package_version_arn is not None:
        raise ValidationException("InputConfig and ModelPackageVersionArn cannot be specified at the same time.")
    if input_config is None and model_package_version_arn is None:
        raise ValidationException("Either InputConfig or ModelPackageVersionArn must be specified.")
    targets = [name for name in ("TargetDevice", "TargetPlatform") if output_config.get(name) is not None]
    if len(targets) != 1:
        raise ValidationException(
            "OutputConfig must specify exactly one of TargetDevice and TargetPlatform"
            + (" (both were given)." if targets else " (neither was given).")
        )


def _unusable_input(input_config: Json) -> str | None:
    """What Neo finds wrong with an input the API accepted: the archive is not a .tar.gz, or
    DataInputConfig is not JSON. The FailureReason follows Neo's ``ClientError: InputConfiguration:`` form."""
    uri = input_config.get("S3Uri", "")
    if not uri.endswith(".tar.gz"):
        return (
            f"ClientError: InputConfiguration: Unable to untar input model {uri}. "
            f"Please confirm the model is a single gzip-compressed tar archive (.tar.gz)."
        )
    config = input_config.get("DataInputConfig")
    if config is not None:
        try:
            json.loads(config)
        except ValueError as exc:
            return (
                f"ClientError: InputConfiguration: DataInputConfig is not valid JSON ({exc}). "
                f"Please give the name and shape of each input as a JSON dictionary."
            )
    return None


def _not_found(name: str) -> ResourceNotFound:
    return ResourceNotFound(f"Could not find compilation job '{name}'.")


def _merge_tags(job: CompilationJob, tags: list[Json]) -> None:
    check_tags_to_add(job.tags, tags)
    by_key = {tag["Key"]: tag for tag in job.tags}
    by_key.update({tag["Key"]: {"Key": tag["Key"], "Value": tag["Value"]} for tag in tags})
    job.tags = list(by_key.values())
