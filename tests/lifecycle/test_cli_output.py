"""Items 4, 6 and 7 through the CLI: AWS_REGION, the exact create calls, failed outputs, protect warnings."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from sagemaker_reconciler.aws import AwsConfig, SageMakerGateway
from tests.cli.test_gitops_cli import operations, run, stack

TAGGED_JOB = "      tags: {stage: prod}\n"


def test_aws_region_is_honoured_and_wins_over_aws_default_region(endpoint, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    SageMakerGateway().list_workteams()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    SageMakerGateway().list_workteams()
    assert [r.region for r in endpoint.requests] == ["eu-west-1", "eu-west-1"]
    assert AwsConfig(region="ap-southeast-2").session().region_name == "ap-southeast-2"  # explicit config wins


def test_the_cli_runs_with_only_aws_region_set(tmp_path, capsys, endpoint, model, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, out, _ = run(capsys, "plan", stack(tmp_path, job=False))
    assert code == 2 and "no AWS region" not in out


def with_job_tags(path: str) -> str:
    """The stack's job with `tags: {stage: prod}` added under its properties."""
    text = Path(path).read_text()
    marker = "targetDevice: ml_c5}\n"
    assert marker in text
    Path(path).write_text(text.replace(marker, marker + TAGGED_JOB, 1))
    return path


def test_a_create_plan_shows_the_exact_create_calls_and_apply_sends_them(tmp_path, capsys, endpoint, model):
    manifest = with_job_tags(stack(tmp_path, outputs=False))
    code, out, _ = run(capsys, "plan", manifest, "--json")
    assert code == 2
    shown = {r["logical_name"]: r["calls"] for r in json.loads(out)["resources"]}
    (job_call,) = shown["job"]
    assert job_call["operation"] == "CreateCompilationJob"
    assert job_call["params"]["Tags"] == [{"Key": "stage", "Value": "prod"}]
    assert job_call["params"]["InputConfig"]["S3Uri"] == "s3://models/resnet.tar.gz"
    (team_call,) = shown["team"]
    assert team_call["operation"] == "CreateWorkteam" and team_call["params"]["Tags"] == [
        {"Key": "team", "Value": "vision"}
    ]

    text = run(capsys, "plan", manifest)[1]
    assert "call CreateCompilationJob" in text and '"Tags": [{"Key": "stage", "Value": "prod"}]' in text

    endpoint.clear_requests()
    assert run(capsys, "apply", manifest)[0] == 0
    sent = {r.operation: r.params for r in endpoint.requests if r.operation.startswith("Create")}
    assert sent["CreateCompilationJob"] == job_call["params"], "the request shown is the request sent"
    assert sent["CreateWorkteam"] == team_call["params"]


def test_a_replace_plan_shows_delete_then_create(tmp_path, capsys, endpoint, model):
    assert run(capsys, "apply", stack(tmp_path, outputs=False))[0] == 0
    out = run(capsys, "plan", stack(tmp_path, target="rasp4b", outputs=False), "--json")[1]
    (job,) = [r for r in json.loads(out)["resources"] if r["logical_name"] == "job"]
    assert [c["operation"] for c in job["calls"]] == ["DeleteCompilationJob", "CreateCompilationJob"]
    assert job["calls"][1]["params"]["OutputConfig"]["TargetDevice"] == "rasp4b"


def test_a_failed_apply_prints_null_outputs_not_unresolved_references(tmp_path, capsys, endpoint, model):
    endpoint.fail_compilation_job("ClientError: unsupported operator Foo", job_name="resnet-ml-c5")
    code, out, _ = run(capsys, "apply", stack(tmp_path), "--json")
    assert code == 1
    outputs = json.loads(out)["outputs"]
    assert outputs["artifact"] is None and outputs["teamArn"].endswith("workteam/private-crowd/team-a")
    assert "${" not in out
    boto3.client("sagemaker").delete_compilation_job(CompilationJobName="resnet-ml-c5")
    endpoint.fail_compilation_job("ClientError: unsupported operator Foo", job_name="resnet-ml-c5")
    text = run(capsys, "apply", stack(tmp_path))[1]
    assert "${" not in text and "artifact: (none)" in text


def test_plan_warns_that_a_protected_resource_would_be_replaced(tmp_path, capsys, endpoint, model):
    assert run(capsys, "apply", stack(tmp_path, options="options: {protect: true}"))[0] == 0
    manifest = stack(tmp_path, target="rasp4b", options="options: {protect: true}")
    code, out, _ = run(capsys, "plan", manifest)
    assert code == 2
    assert "warning: job is protected (options.protect): apply will refuse to replace it" in out
    (job,) = [
        r for r in json.loads(run(capsys, "plan", manifest, "--json")[1])["resources"] if r["logical_name"] == "job"
    ]
    assert any("protected" in note for note in job["notes"])
    markdown = run(capsys, "plan", manifest, "--format", "markdown")[1]
    assert "protected (options.protect)" in markdown
    unprotected = run(capsys, "plan", stack(tmp_path, target="rasp4b"))[1]
    assert "protected" not in unprotected


@pytest.mark.parametrize("scoped", [False, True])
def test_drift_lists_finished_jobs_only_under_name_contains(tmp_path, capsys, endpoint, model, scoped):
    manifest = stack(tmp_path, outputs=False)
    assert run(capsys, "apply", manifest)[0] == 0
    for name in ("old-1", "old-2"):
        boto3.client("sagemaker").create_compilation_job(
            CompilationJobName=name,
            RoleArn="arn:aws:iam::123456789012:role/neo",
            InputConfig={"S3Uri": model, "Framework": "ONNX", "DataInputConfig": '{"data": [1,3,224,224]}'},
            OutputConfig={"S3OutputLocation": "s3://models/old", "TargetDevice": "ml_c5"},
            StoppingCondition={"MaxRuntimeInSeconds": 900},
        )
    args = ["--name-contains", "old-"] if scoped else []
    code, out, _ = run(capsys, "drift", manifest, "--json", *args)
    names = [u["name"] for u in json.loads(out)["unmanaged"]]
    assert json.loads(out)["errors"] == [], out
    assert names == (["old-1", "old-2"] if scoped else [])
    assert code == (2 if scoped else 0), "a finished job outside the manifest's scope is history, not drift"
    assert "ListCompilationJobs" in operations(endpoint)


def test_a_name_contains_no_name_could_hold_is_refused_before_any_call(tmp_path, capsys, endpoint, model):
    manifest = stack(tmp_path, outputs=False)
    for text in ("old_", "-", "x" * 64):
        code, out, err = run(capsys, "drift", manifest, "--name-contains", text)
        assert code == 1 and f"--name-contains {text!r}: must be 1-63 letters, digits and hyphens" in out + err
    assert endpoint.requests == []
