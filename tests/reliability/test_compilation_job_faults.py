"""A CompilationJob's life under injected faults: nothing orphaned, nothing duplicated, no artifact lost.

Jobs run on the endpoint's clock and the reconciler's waits sleep by advancing
it, so a 30 s compilation takes milliseconds; botocore's own backoff is
recorded instead of slept (``retry_delays``).
"""

from __future__ import annotations

import boto3
import pytest

from sagemaker_reconciler.aws import ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import AwsError, ReconcilerError, WaitTimeout
from sagemaker_reconciler.plan import Action
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from tests.unit.test_compilation_job_spec import job

from .conftest import MAX_ATTEMPTS, attempts

KINDS = ("throttling", "internal", "drop")  # 503 is retried exactly as 500 (the Workteam tests cover both)
SPEC = parse_compilation_job(
    job(stoppingCondition={"maxRuntimeInSeconds": 60}, tags={"team": "vision"})
)  # tags: ListTags is read
NAME = SPEC.compilation_job_name
ARTIFACT = "s3://models/compiled/resnet-ml_c5.tar.gz"


@pytest.fixture
def jobs(env, model):
    """Jobs compile for 30 s of the endpoint's clock; a job named ``running`` compiles for an hour."""
    env.set_compilation_timing(starting_seconds=0, compiling_seconds=30, stopping_seconds=5)
    env.set_compilation_timing(compiling_seconds=3600, job_name="running")
    return env


def reconciler(endpoint) -> CompilationJobReconciler:
    return CompilationJobReconciler(SageMakerGateway(), ObjectStore(), sleep=endpoint.advance_clock, clock=endpoint.now)


def live_jobs() -> list[tuple[str, str]]:
    summaries = boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]
    return sorted((j["CompilationJobName"], j["CompilationJobStatus"]) for j in summaries)


def start_running_job() -> None:
    """A job someone started (or an interrupted run left) that is still compiling."""
    spec = parse_compilation_job(
        job(
            compilationJobName="running",
            outputConfig={"s3OutputLocation": "s3://models/other", "targetDevice": "ml_c5"},
        )
    )
    boto3.client("sagemaker").create_compilation_job(**spec.to_create_request())


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "service, operation",
    [
        ("sagemaker", "CreateCompilationJob"),
        ("sagemaker", "DescribeCompilationJob"),
        ("sagemaker", "ListTags"),
        ("sagemaker", "StopCompilationJob"),
        ("sagemaker", "DeleteCompilationJob"),
        ("s3", "HeadObject"),
    ],
)
def test_transient_faults_on_any_call_are_retried_with_backoff_and_the_run_completes(
    jobs, retry_delays, service, operation, kind
):
    start_running_job()
    jobs.clear_requests()
    jobs.inject_fault(kind, operation, service=service, count=2)
    r = reconciler(jobs)
    outputs = r.create(SPEC)  # create, wait to COMPLETED
    assert outputs["status"] == "COMPLETED" and outputs["compiledArtifactUri"] == ARTIFACT
    assert r.plan(SPEC)[0].action is Action.NOOP  # Describe, ListTags, HeadObject
    r.delete("running")  # Stop, wait for STOPPED, Delete
    r.delete(NAME)  # Delete
    tried = attempts(jobs, operation, service)
    assert tried[:3] == [kind, kind, None], tried
    assert [attempt for attempt, _ in retry_delays] == [1, 2], "botocore backed off before each retry"
    assert live_jobs() == []
    assert ObjectStore().exists(ARTIFACT), "the artifact is kept"


def test_a_persistent_fault_on_create_is_a_clear_error_and_the_next_run_creates_once(jobs):
    jobs.inject_fault("unavailable", "CreateCompilationJob")
    with pytest.raises(AwsError) as raised:
        reconciler(jobs).create(SPEC)
    assert (raised.value.operation, raised.value.code, raised.value.resource) == (
        "CreateCompilationJob",
        "ServiceUnavailable",
        NAME,
    )
    assert attempts(jobs, "CreateCompilationJob") == ["unavailable"] * MAX_ATTEMPTS
    assert live_jobs() == []
    jobs.clear_faults()
    assert reconciler(jobs).create(SPEC)["status"] == "COMPLETED"
    assert live_jobs() == [(NAME, "COMPLETED")]


@pytest.mark.parametrize("kind", ["drop", "internal"])
def test_a_create_whose_answer_was_lost_is_adopted_not_duplicated(jobs, kind):
    jobs.inject_fault(kind, "CreateCompilationJob", count=1, phase="after")
    outputs = reconciler(jobs).create(SPEC)
    assert outputs["status"] == "COMPLETED" and ObjectStore().exists(outputs["compiledArtifactUri"])
    assert attempts(jobs, "CreateCompilationJob") == [kind, None]
    assert live_jobs() == [(NAME, "COMPLETED")]


def test_describe_failing_through_the_whole_wait_names_the_cause_and_the_next_run_adopts_the_job(jobs):
    jobs.inject_fault("throttling", "DescribeCompilationJob")
    with pytest.raises(WaitTimeout) as raised:
        reconciler(jobs).create(SPEC)
    message = str(raised.value)
    assert isinstance(raised.value, ReconcilerError)
    assert f"compilation job {NAME}: still not done after" in message
    assert f"the last poll failed: DescribeCompilationJob {NAME} failed (ThrottlingException)" in message
    assert live_jobs() == [(NAME, "COMPLETED")], "the job ran on: not lost, not orphaned"

    jobs.clear_faults()
    jobs.clear_requests()
    outputs = reconciler(jobs).create(SPEC)  # the next run: adopted, not created twice
    assert outputs["status"] == "COMPLETED" and ObjectStore().exists(outputs["compiledArtifactUri"])
    assert attempts(jobs, "CreateCompilationJob") == [None]  # answered ResourceInUse
    assert live_jobs() == [(NAME, "COMPLETED")]


def test_a_job_left_running_by_a_failed_run_is_adopted_and_waited_for(jobs):
    # A non-retryable failure ends the first run's wait at once, with the job still compiling.
    jobs.inject_fault(
        "error",
        "DescribeCompilationJob",
        count=1,
        code="AccessDeniedException",
        status=400,
        message="User is not authorized to perform: sagemaker:DescribeCompilationJob",
    )
    with pytest.raises(AwsError, match=r"DescribeCompilationJob resnet-ml-c5 failed \(AccessDeniedException\)"):
        reconciler(jobs).create(SPEC)
    assert live_jobs() == [(NAME, "INPROGRESS")]
    outputs = reconciler(jobs).create(SPEC)  # the next run adopts it and waits for it
    assert outputs["status"] == "COMPLETED" and ObjectStore().exists(outputs["compiledArtifactUri"])
    assert live_jobs() == [(NAME, "COMPLETED")]


def test_a_persistent_fault_on_stop_leaves_a_running_job_the_next_run_stops_and_deletes(jobs):
    start_running_job()
    jobs.inject_fault("throttling", "StopCompilationJob")
    with pytest.raises(AwsError, match=r"StopCompilationJob running failed \(ThrottlingException\)"):
        reconciler(jobs).delete("running")
    assert live_jobs() == [("running", "INPROGRESS")]
    jobs.clear_faults()
    reconciler(jobs).delete("running")
    assert live_jobs() == []


def test_a_persistent_fault_on_delete_leaves_a_stopped_job_the_next_run_deletes(jobs):
    start_running_job()
    jobs.inject_fault("unavailable", "DeleteCompilationJob")
    with pytest.raises(AwsError, match=r"DeleteCompilationJob running failed \(ServiceUnavailable\)"):
        reconciler(jobs).delete("running")
    assert live_jobs() == [("running", "STOPPED")], "stopped: nothing keeps running unseen"
    jobs.clear_faults()
    reconciler(jobs).delete("running")
    assert live_jobs() == []


def test_a_stop_or_delete_whose_answer_was_lost_still_succeeds(jobs):
    start_running_job()
    jobs.inject_fault("drop", "StopCompilationJob", count=1, phase="after")
    jobs.inject_fault("drop", "DeleteCompilationJob", count=1, phase="after")
    reconciler(jobs).delete("running")
    assert attempts(jobs, "StopCompilationJob") == ["drop", None]
    assert attempts(jobs, "DeleteCompilationJob") == ["drop", None]
    assert live_jobs() == []


def test_a_job_that_finishes_between_describe_and_stop_is_deleted_not_an_error(env, model):
    # Real time here: the job completes 0.3 s after creation, and Stop arrives 0.6 s late.
    env.set_compilation_timing(starting_seconds=0, compiling_seconds=0.3, job_name="running")
    start_running_job()
    env.inject_fault("slow", "StopCompilationJob", delay_seconds=0.6)
    reconciler(env).delete("running")
    assert live_jobs() == []


def test_s3_failing_on_the_artifact_check_is_an_error_not_a_missing_artifact(jobs):
    outputs = reconciler(jobs).create(SPEC)
    jobs.inject_fault("unavailable", "HeadObject", service="s3")
    with pytest.raises(AwsError) as raised:
        reconciler(jobs).plan(SPEC)  # never "the artifact is gone: replace the job"
    assert (raised.value.operation, raised.value.resource) == ("HeadObject", outputs["compiledArtifactUri"])
    jobs.clear_faults()
    assert reconciler(jobs).plan(SPEC)[0].action is Action.NOOP
    assert ObjectStore().exists(outputs["compiledArtifactUri"])


def test_a_wait_outlasts_a_poll_whose_every_attempt_lost_its_connection(jobs):
    # 12 dropped connections: the first poll's 9 attempts all fail, the wait goes on, the next poll succeeds.
    jobs.inject_fault("drop", "DescribeCompilationJob", count=MAX_ATTEMPTS + 3)
    outputs = reconciler(jobs).create(SPEC)
    assert outputs["status"] == "COMPLETED"
    assert attempts(jobs, "DescribeCompilationJob")[: MAX_ATTEMPTS + 4] == ["drop"] * (MAX_ATTEMPTS + 3) + [None]
