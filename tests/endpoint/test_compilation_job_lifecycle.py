"""A CompilationJob through the reconciler, boto3 and real HTTP to the embedded endpoint."""

import boto3
import pytest

from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import ConfigError, Conflict, TerminalState
from sagemaker_reconciler.plan import Action
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from sagemaker_reconciler.waiters import Backoff
from tests.unit.test_compilation_job_spec import job, outputs

FAST = Backoff(initial=0.05, factor=1.5, maximum=0.3)


@pytest.fixture
def model(endpoint, aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"not really a model")
    return "s3://models/resnet.tar.gz"


@pytest.fixture
def reconciler(model):
    statuses = []
    r = CompilationJobReconciler(
        SageMakerGateway(AwsConfig()),
        ObjectStore(AwsConfig()),
        backoff=FAST,
        on_poll=lambda j, _: statuses.append(j["CompilationJobStatus"]),
    )
    r.statuses = statuses
    return r


def calls(endpoint, operation):
    return [r for r in endpoint.requests if r.operation == operation]


def test_create_waits_through_inprogress_and_returns_an_artifact_that_exists(endpoint, reconciler):
    outs = reconciler.create(parse_compilation_job(job()))
    assert "INPROGRESS" in reconciler.statuses and reconciler.statuses[-1] == "COMPLETED"
    assert outs["status"] == "COMPLETED"
    assert outs["compiledArtifactUri"] == "s3://models/compiled/resnet-ml_c5.tar.gz"
    assert ObjectStore().exists(outs["compiledArtifactUri"])
    assert len(outs["artifactDigest"]) == 128 and outs["arn"].endswith("compilation-job/resnet-ml-c5")
    assert reconciler.plan(parse_compilation_job(job()))[0].action is Action.NOOP


def test_a_local_mode_job_never_reaches_sagemaker(endpoint, reconciler):
    local = job(mode="local", inputConfig={**job()["inputConfig"], "s3Uri": "file:///tmp/m.tar.gz"})
    with pytest.raises(ConfigError, match="not served by SageMaker"):
        reconciler.create(parse_compilation_job(local))
    assert calls(endpoint, "CreateCompilationJob") == []


def test_a_failing_job_surfaces_its_failure_reason(endpoint, reconciler):
    endpoint.fail_compilation_job("ClientError: unsupported operator Foo", job_name="resnet-ml-c5")
    with pytest.raises(TerminalState, match="resnet-ml-c5 ended FAILED: ClientError: unsupported operator Foo"):
        reconciler.create(parse_compilation_job(job()))


def test_changing_the_target_plans_a_replacement_naming_output_config(endpoint, reconciler):
    reconciler.create(parse_compilation_job(job()))
    plan, _ = reconciler.plan(parse_compilation_job(job(outputConfig=outputs(targetDevice="rasp4b"))))
    assert plan.action is Action.REPLACE and plan.replaces == ["outputConfig"]


def test_deleted_artifact_plans_a_recreation(endpoint, reconciler):
    outs = reconciler.create(parse_compilation_job(job()))
    ObjectStore().delete(outs["compiledArtifactUri"])
    plan, _ = reconciler.plan(parse_compilation_job(job()))
    assert plan.action is Action.REPLACE and "no longer exists" in plan.notes[0]


def test_deleting_a_running_job_stops_it_first(endpoint, reconciler):
    endpoint.set_compilation_timing(compiling_seconds=60)
    boto3.client("sagemaker").create_compilation_job(**parse_compilation_job(job()).to_create_request())
    endpoint.clear_requests()
    reconciler.delete("resnet-ml-c5")
    order = [r.operation for r in endpoint.requests if r.operation in ("StopCompilationJob", "DeleteCompilationJob")]
    assert order == ["StopCompilationJob", "DeleteCompilationJob"]
    assert reconciler.observe("resnet-ml-c5") is None
    reconciler.delete("resnet-ml-c5")  # gone: success


def test_delete_keeps_the_artifact_unless_asked(endpoint, reconciler):
    outs = reconciler.create(parse_compilation_job(job()))
    reconciler.delete("resnet-ml-c5")
    assert ObjectStore().exists(outs["compiledArtifactUri"])
    outs = reconciler.create(parse_compilation_job(job()))
    reconciler.delete("resnet-ml-c5", delete_artifacts=True)
    assert not ObjectStore().exists(outs["compiledArtifactUri"])


def test_an_interrupted_create_is_adopted_not_duplicated(endpoint, reconciler):
    # the earlier run died right after CreateCompilationJob, before its wait ended
    boto3.client("sagemaker").create_compilation_job(**parse_compilation_job(job()).to_create_request())
    endpoint.clear_requests()
    outs = reconciler.create(parse_compilation_job(job()))
    assert outs["status"] == "COMPLETED"
    jobs = boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]
    assert [j["CompilationJobName"] for j in jobs] == ["resnet-ml-c5"]


def test_a_different_job_with_the_same_name_is_a_clear_conflict(endpoint, reconciler):
    boto3.client("sagemaker").create_compilation_job(**parse_compilation_job(job()).to_create_request())
    with pytest.raises(Conflict, match="differs in outputConfig"):
        reconciler.create(parse_compilation_job(job(outputConfig=outputs(targetDevice="rasp4b"))))


def test_waiting_costs_far_fewer_describes_than_a_fixed_poll(endpoint, model):
    """With the default backoff on the endpoint's fake clock: a 300 s job, counted Describe calls."""
    endpoint.set_compilation_timing(starting_seconds=0, compiling_seconds=300)
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        endpoint.advance_clock(seconds)

    reconciler = CompilationJobReconciler(SageMakerGateway(), ObjectStore(), sleep=sleep, clock=endpoint.now)
    endpoint.clear_requests()
    reconciler.create(parse_compilation_job(job()))
    describes = len(calls(endpoint, "DescribeCompilationJob"))
    assert describes < 300 / 5 / 2
    assert sum(sleeps) - 300 <= 15


KILLED_RUN = """
import sys
from sagemaker_reconciler.aws import ObjectStore, SageMakerGateway
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from tests.unit.test_compilation_job_spec import job
CompilationJobReconciler(SageMakerGateway(), ObjectStore()).create(parse_compilation_job(job()))
"""


def test_a_provider_process_killed_mid_create_is_adopted_on_the_next_run(endpoint, model, aws_env, tmp_path):
    import os
    import subprocess
    import sys
    import time
    from pathlib import Path

    endpoint.set_compilation_timing(compiling_seconds=600)  # the spec allows 900 s
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN], cwd=repo, env={**os.environ, "PYTHONPATH": str(repo)})
    try:
        deadline = time.monotonic() + 30
        while not any(r.operation == "DescribeCompilationJob" for r in endpoint.requests):
            assert proc.poll() is None and time.monotonic() < deadline, "the first run never reached its wait"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    endpoint.advance_clock(600)

    reconciler = CompilationJobReconciler(SageMakerGateway(), ObjectStore(), backoff=FAST)
    outs = reconciler.create(parse_compilation_job(job()))
    assert outs["status"] == "COMPLETED" and ObjectStore().exists(outs["compiledArtifactUri"])
    assert len(boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]) == 1
