"""CompilationJobProvider over the engine's real gRPC protocol, against the embedded endpoint."""

from __future__ import annotations

import boto3
import pytest
from pulumi.output import Unknown

from sagemaker_reconciler import CompilationJobProvider
from sagemaker_reconciler.pulumi_resources._common import AUTONAME_KEY
from tests.unit.test_compilation_job_spec import job, outputs

from .harness import without_provider


@pytest.fixture
def server(engine_factory, endpoint, aws_env):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"model bytes")
    return engine_factory(
        env={
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint.url,
            "AWS_PROFILE": None,
        }
    )


def created(server, props):
    inputs, failures = server.check(CompilationJobProvider(), {}, props)
    assert failures == []
    return server.create(CompilationJobProvider(), inputs)


def test_check_lists_valid_targets_and_makes_no_call(server, endpoint):
    _, failures = server.check(CompilationJobProvider(), {}, job(outputConfig=outputs(targetDevice="toaster")))
    ((prop, reason),) = failures
    assert prop == "outputConfig.targetDevice" and "'ml_c5'" in reason and "'jetson_nano'" in reason
    assert endpoint.requests == []


def test_preview_with_an_s3_uri_from_another_resource(server):
    props = job(
        inputConfig={**job()["inputConfig"], "s3Uri": Unknown()}, stoppingCondition={"maxRuntimeInSeconds": 900.0}
    )
    inputs, failures = server.check(CompilationJobProvider(), {}, props)
    assert failures == []
    job_id, outs = created(server, job())
    result = server.diff(CompilationJobProvider(), job_id, outs, props)
    assert result.changes == "DIFF_SOME" and result.replaces == ["inputConfig"]


def test_create_waits_and_exposes_the_artifact(server):
    job_id, outs = created(server, job())
    assert job_id == "resnet-ml-c5"
    assert outs["status"] == "COMPLETED"
    assert outs["compiledArtifactUri"] == "s3://models/compiled/resnet-ml_c5.tar.gz"
    assert outs["stoppingCondition"] == {"maxRuntimeInSeconds": 900}


def test_diff_names_every_replacing_input_and_tags_change_in_place(server, endpoint):
    job_id, outs = created(server, job())
    provider = CompilationJobProvider()
    assert server.diff(provider, job_id, outs, job()).changes == "DIFF_NONE"
    retarget = server.diff(provider, job_id, outs, job(outputConfig=outputs(targetDevice="rasp4b")))
    assert retarget.replaces == ["outputConfig"] and retarget.delete_before_replace is True
    both = server.diff(
        provider,
        job_id,
        outs,
        job(outputConfig=outputs(targetDevice="rasp4b"), stoppingCondition={"maxRuntimeInSeconds": 1200}),
    )
    assert both.replaces == ["outputConfig", "stoppingCondition"]
    retag = server.diff(provider, job_id, outs, job(tags={"stage": "prod"}))
    assert retag.changes == "DIFF_SOME" and retag.replaces == []
    endpoint.clear_requests()
    new_outs = server.update(provider, job_id, outs, job(tags={"stage": "prod"}))
    assert [r.operation for r in endpoint.requests if r.operation in ("AddTags", "CreateCompilationJob")] == ["AddTags"]
    assert new_outs["tags"] == {"stage": "prod"}


def test_auto_named_replacement_is_create_before_delete(server):
    props = {**job(), AUTONAME_KEY: "resnet"}
    props.pop("compilationJobName")
    inputs, _ = server.check(CompilationJobProvider(), {}, props)
    assert inputs["compilationJobName"].startswith("resnet-")
    job_id, outs = server.create(CompilationJobProvider(), inputs)
    changed = {**inputs, "outputConfig": outputs(targetDevice="rasp4b")}
    result = server.diff(CompilationJobProvider(), job_id, outs, changed)
    assert result.replaces == ["outputConfig"] and result.delete_before_replace is False


def test_a_deleted_artifact_or_job_shows_as_a_change(server):
    job_id, outs = created(server, job())
    boto3.client("s3").delete_object(Bucket="models", Key="compiled/resnet-ml_c5.tar.gz")
    assert server.diff(CompilationJobProvider(), job_id, outs, job()).changes == "DIFF_SOME"
    boto3.client("sagemaker").delete_compilation_job(CompilationJobName=job_id)
    gone = server.diff(CompilationJobProvider(), job_id, outs, job())
    assert gone.changes == "DIFF_SOME" and gone.replaces == ["compilationJobName"]


def test_import_reads_the_live_job_and_delete_is_idempotent(server):
    job_id, _ = created(server, job())
    read_id, outs, inputs = server.read(CompilationJobProvider(), job_id, {})
    assert read_id == job_id and outs["status"] == "COMPLETED"
    _, failures = server.check(CompilationJobProvider(), {}, without_provider(inputs))
    assert failures == []
    server.delete(CompilationJobProvider(), job_id, outs)
    server.delete(CompilationJobProvider(), job_id, outs)
    assert boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"] == []


def test_refresh_of_an_unchanged_job_diffs_as_no_change(server):
    """The engine's refresh: Read with the stored outputs, then Diff(olds=refreshed outputs, news=old inputs).
    The provider-only inputs the service does not echo (mode, verify...) survive the read, and tags
    the program does not declare stay unmanaged, so nothing is reported (tests/engine_real runs it)."""
    inputs, _ = server.check(CompilationJobProvider(), {}, job())
    job_id, outs = server.create(CompilationJobProvider(), inputs)
    _, refreshed_outs, refreshed_inputs = server.read(CompilationJobProvider(), job_id, outs, inputs)
    assert {k: refreshed_inputs[k] for k in ("mode", "verify", "tuningTrials")} == {
        "mode": "cloud",
        "verify": False,
        "tuningTrials": 0,
    }
    assert "tags" not in refreshed_inputs
    assert server.diff(CompilationJobProvider(), job_id, refreshed_outs, inputs).changes == "DIFF_NONE"


def test_a_renamed_fixed_name_job_is_created_before_the_old_one_goes(server):
    job_id, outs = created(server, job())
    renamed = server.diff(CompilationJobProvider(), job_id, outs, job(compilationJobName="resnet-v2"))
    assert renamed.replaces == ["compilationJobName"] and renamed.delete_before_replace is False
