"""The dynamic-resource tier's remaining scenarios, through the real engine and the installed plugin:
protect, a compilation job that fails, what the state keeps, and local (TVM) compilation."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import boto3
import pulumi
import pytest
from pulumi import automation as auto

from sagemaker_reconciler.demo_model import tiny_cnn_archive
from sagemaker_reconciler.sdk import CompilationJob, Workteam

MEMBERS = [
    {
        "cognito_member_definition": {
            "user_pool": "us-east-1_AbCdEf123",
            "user_group": "labelers",
            "client_id": "client1",
        }
    }
]
JOB = "sagemaker-reconciler:index:CompilationJob"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in a deployment
REASON = "ClientError: CompilationError: unsupported operator Foo in the model"


def teams() -> list[str]:
    return sorted(t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"])


def guarded_team(protect: bool):
    def program():
        Workteam(
            "guarded",
            workteam_name="guarded-team",
            description="Labels street scenes",
            member_definitions=MEMBERS,
            opts=pulumi.ResourceOptions(protect=protect),
        )

    return program


def test_protect_blocks_destroy_until_lifted(deploy):
    deployment = deploy(guarded_team(protect=True))
    deployment.stack.up()
    with pytest.raises(auto.CommandError, match="protected"):
        deployment.stack.destroy()
    assert teams() == ["guarded-team"]  # the engine refused before asking the plugin to delete
    deployment.set_program(guarded_team(protect=False))
    assert deployment.stack.up().summary.resource_changes == {"same": 2}  # lifting protect changes nothing live
    deployment.stack.destroy()
    assert teams() == []


def job_program():
    def program():
        job = CompilationJob(
            "resnet",
            role_arn="arn:aws:iam::123456789012:role/neo",
            input_config={
                "s3_uri": "s3://models/m.tar.gz",
                "framework": "ONNX",
                "data_input_config": '{"data": [1, 3, 224, 224]}',
            },
            output_config={"s3_output_location": "s3://models/out", "target_device": "ml_c5"},
        )
        pulumi.export("job", job.compilation_job_name)

    return program


def model_in_s3() -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"model")


def test_a_failed_job_fails_up_with_its_reason_and_the_next_up_replaces_it(deploy, endpoint):
    model_in_s3()
    endpoint.fail_compilation_job(REASON)
    deployment = deploy(job_program())
    with pytest.raises(auto.CommandError) as failure:
        deployment.stack.up()
    state = deployment.stack.export_stack().deployment["resources"]
    (kept,) = [r for r in state if r["type"] == JOB]
    failed = kept["id"]
    assert kept.get("initErrors")  # a partial failure: the failed job is in state, not orphaned
    message = str(failure.value)
    assert f"compilation job {failed} ended FAILED: {REASON}" in message and "created nonetheless" in message

    up = deployment.stack.up()  # the planted failure was for one job only: its replacement compiles
    assert up.summary.resource_changes == {"same": 1, "replace": 1}
    name = up.outputs["job"].value
    assert name != failed and name.startswith("resnet-")
    summaries = boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]
    assert [(j["CompilationJobName"], j["CompilationJobStatus"]) for j in summaries] == [(name, "COMPLETED")]
    state = deployment.stack.export_stack().deployment["resources"]
    (settled,) = [r for r in state if r["type"] == JOB]
    assert settled["id"] == name and not settled.get("initErrors")
    assert deployment.stack.preview().change_summary == {"same": 2}


def test_state_holds_no_credentials_and_the_provider_config_no_secrets(deploy):
    access, secret = "AKIAPLUGINSTATE00042", "plugin/State+Secret/Key0000000000000042"
    deployment = deploy(guarded_team(protect=False), env={"AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret})
    deployment.stack.up()
    exported = deployment.stack.export_stack().deployment
    text = json.dumps(exported)
    for credential in (access, secret):
        assert credential not in text
        assert base64.b64encode(credential.encode()).decode()[:16] not in text
    (provider,) = [r for r in exported["resources"] if r["type"] == "pulumi:providers:sagemaker-reconciler"]
    assert SECRET_SIG not in json.dumps(provider)
    config = {k: v for k, v in provider["inputs"].items() if k != "version" and not k.startswith("__")}  # engine's own
    assert set(config) <= {"endpoint", "region", "profile"}, config
    assert all(isinstance(v, str) for v in config.values())


def local_job(model: Path, out: Path):
    def program():
        job = CompilationJob(
            "tiny-cnn",
            role_arn="arn:aws:iam::123456789012:role/unused-in-local-mode",
            mode="local",
            verify=True,
            input_config={
                "s3_uri": model.as_uri(),
                "framework": "ONNX",
                "data_input_config": json.dumps({"data": [1, 3, 32, 32]}),
            },
            output_config={"s3_output_location": out.as_uri(), "target_device": "ml_c5"},
        )
        pulumi.export("artifact", job.compiled_artifact_uri)
        pulumi.export("digest", job.artifact_digest)

    return program


def test_a_local_mode_job_compiles_here_and_then_has_nothing_to_do(deploy, endpoint, tmp_path):
    model = tmp_path / "tiny-cnn.tar.gz"
    model.write_bytes(tiny_cnn_archive())
    out = tmp_path / "compiled"
    endpoint.clear_requests()
    cache = {"SAGEMAKER_RECONCILER_CACHE": str(tmp_path / "cache")}  # a real compile, not the user's cache
    deployment = deploy(local_job(model, out), env=cache)
    events: list = []
    up = deployment.stack.up(on_event=events.append)
    assert up.summary.result == "succeeded"
    artifact = Path(up.outputs["artifact"].value.removeprefix("file://"))
    assert up.outputs["artifact"].value.startswith(out.as_uri() + "/") and artifact.is_file()
    assert up.outputs["digest"].value == hashlib.blake2b(artifact.read_bytes()).hexdigest()
    said = [e.diagnostic_event for e in events if e.diagnostic_event and e.diagnostic_event.severity == "info"]
    (verified,) = [d for d in said if "verify passed" in d.message]  # the user sees verify's verdict...
    assert verified.urn.endswith("::tiny-cnn")  # ...against the job, in the engine's output
    assert deployment.stack.preview().change_summary == {"same": 2}
    assert not [r.operation for r in endpoint.requests if "Compilation" in r.operation]  # no cloud call
    artifact.unlink()  # the live state of a local job is its artifact: gone, so compiled again
    assert deployment.stack.preview().change_summary == {"same": 1, "replace": 1}
