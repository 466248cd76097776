"""Items 2, 3 and 5: shared artifact locations, retrying a failed create, and how long a create waits."""

from __future__ import annotations

import boto3
import pytest

from sagemaker_reconciler import CompilationJobProvider
from sagemaker_reconciler.aws import ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import WaitTimeout
from sagemaker_reconciler.pulumi_resources._common import AUTONAME_KEY
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from tests.unit.test_compilation_job_spec import job

ARTIFACT = "s3://models/compiled/resnet-ml_c5.tar.gz"


def auto_named(**overrides):
    props = {**job(**overrides), AUTONAME_KEY: "resnet"}
    props.pop("compilationJobName")
    return props


def artifact_exists() -> bool:
    return ObjectStore().exists(ARTIFACT)


def test_create_before_delete_replacement_keeps_the_new_jobs_artifact(server):
    provider = CompilationJobProvider()
    old_inputs, _ = server.check(provider, {}, auto_named(deleteArtifacts=True))
    old_id, old_outs = server.create(provider, old_inputs)
    edited = auto_named(deleteArtifacts=True, stoppingCondition={"maxRuntimeInSeconds": 1200})
    diff = server.diff(provider, old_id, old_outs, {**edited, "compilationJobName": old_id})
    assert diff.replaces == ["stoppingCondition"] and diff.delete_before_replace is False
    new_inputs, _ = server.check(provider, {}, edited)  # the engine re-checks a replacement with no olds
    new_id, new_outs = server.create(provider, new_inputs)
    assert new_id != old_id and new_outs["compiledArtifactUri"] == old_outs["compiledArtifactUri"]

    server.delete(provider, old_id, old_outs)  # deleteArtifacts: true, but the artifact is the new job's now

    assert artifact_exists(), "the new job's artifact survives the old job's delete"
    assert "kept its artifact" in server.stderr()
    assert server.diff(provider, new_id, new_outs, {**edited, "compilationJobName": new_id}).changes == "DIFF_NONE"
    server.delete(provider, new_id, new_outs)  # the last job at that location takes its artifact with it
    assert not artifact_exists()


def test_a_failed_job_under_a_fixed_name_is_deleted_and_created_again(server, endpoint):
    endpoint.fail_compilation_job("ClientError: InputConfiguration: the model is broken", job_name="resnet-ml-c5")
    boto3.client("sagemaker").create_compilation_job(**parse_compilation_job(job()).to_create_request())
    status = boto3.client("sagemaker").describe_compilation_job(CompilationJobName="resnet-ml-c5")
    assert status["CompilationJobStatus"] == "FAILED"  # an earlier create that failed; the user fixed the model

    inputs, _ = server.check(CompilationJobProvider(), {}, job())
    _, outs = server.create(CompilationJobProvider(), inputs)

    assert outs["status"] == "COMPLETED" and outs["failureReason"] == ""
    log = server.stderr()
    assert "ended FAILED (ClientError: InputConfiguration: the model is broken)" in log
    assert "deleting it and creating the job again" in log
    operations = [r.operation for r in endpoint.requests if r.operation.endswith("CompilationJob")]
    assert operations.count("CreateCompilationJob") == 3 and "DeleteCompilationJob" in operations


def test_a_stopped_job_is_recreated_by_the_cli_too(tmp_path, capsys, endpoint, model):
    from tests.cli.test_gitops_cli import run, stack

    endpoint.set_compilation_timing(job_name="resnet-ml-c5", compiling_seconds=3600)
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_compilation_job(**parse_compilation_job(job(stoppingCondition=None)).to_create_request())
    sagemaker.stop_compilation_job(CompilationJobName="resnet-ml-c5")
    endpoint.advance_clock(5)
    endpoint.set_compilation_timing(job_name="resnet-ml-c5", compiling_seconds=0)
    code, out, err = run(capsys, "apply", stack(tmp_path, job=True, outputs=False))
    assert code == 0, out
    assert "ended STOPPED" in out + err
    assert sagemaker.describe_compilation_job(CompilationJobName="resnet-ml-c5")["CompilationJobStatus"] == "COMPLETED"


def reconciler(endpoint) -> CompilationJobReconciler:
    return CompilationJobReconciler(SageMakerGateway(), ObjectStore(), sleep=endpoint.advance_clock, clock=endpoint.now)


def test_a_job_pending_longer_than_its_runtime_is_still_waited_for(endpoint, model):
    endpoint.set_compilation_timing(starting_seconds=1800, compiling_seconds=60)
    outputs = reconciler(endpoint).create(parse_compilation_job(job()))  # maxRuntimeInSeconds: 900
    assert outputs["status"] == "COMPLETED"


def test_a_wait_that_outlasts_max_wait_time_says_where_the_job_is_and_that_it_keeps_running(endpoint, model):
    endpoint.set_compilation_timing(starting_seconds=5000, compiling_seconds=60)
    spec = parse_compilation_job(job(stoppingCondition={"maxRuntimeInSeconds": 900, "maxWaitTimeInSeconds": 1000}))
    started = endpoint.now()
    with pytest.raises(WaitTimeout) as raised:
        reconciler(endpoint).create(spec)
    message = str(raised.value)
    assert "compilation job resnet-ml-c5: still STARTING after" in message
    assert "maxWaitTimeInSeconds 1000" in message and "the job keeps running" in message
    assert 1000 <= endpoint.now() - started <= 1000 + 300 + 15
    described = boto3.client("sagemaker").describe_compilation_job(CompilationJobName="resnet-ml-c5")
    assert described["CompilationJobStatus"] == "STARTING", "the wait gave up; the job did not"


def test_max_pending_time_bounds_the_wait_for_a_starting_job(endpoint, model):
    endpoint.set_compilation_timing(starting_seconds=20000, compiling_seconds=60)
    spec = parse_compilation_job(job(stoppingCondition={"maxRuntimeInSeconds": 900, "maxPendingTimeInSeconds": 7200}))
    started = endpoint.now()
    with pytest.raises(WaitTimeout, match="still STARTING .*maxPendingTimeInSeconds 7200 \\+ maxRuntimeInSeconds 900"):
        reconciler(endpoint).create(spec)
    assert 7200 + 900 <= endpoint.now() - started <= 7200 + 900 + 300 + 15
