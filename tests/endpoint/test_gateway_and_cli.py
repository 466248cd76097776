"""The gateway's configuration sources and error mapping, and the CLI entry points, over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from sagemaker_reconciler.aws import AwsConfig, SageMakerGateway
from sagemaker_reconciler.errors import AwsError, ConfigError, Conflict, NotFound, Vanished
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler, workteam_not_found
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.unit.workteam_samples import cognito_team

REPO = Path(__file__).resolve().parents[2]


def test_sagemaker_specific_endpoint_variable_is_honoured(endpoint, aws_env, monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER", endpoint.url)
    SageMakerGateway().list_workteams()
    assert [r.operation for r in endpoint.requests] == ["ListWorkteams"]


def test_explicit_config_wins_over_environment(endpoint, aws_env, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    SageMakerGateway(AwsConfig(region="eu-west-1", endpoint_url=endpoint.url)).list_workteams()
    assert [(r.operation, r.region) for r in endpoint.requests] == [("ListWorkteams", "eu-west-1")]


def test_missing_region_is_a_config_error_naming_the_fix(monkeypatch, tmp_path):
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="AWS_REGION"):
        SageMakerGateway()


def test_unknown_profile_is_a_config_error(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(ConfigError, match="profile 'nope'"):
        SageMakerGateway(AwsConfig(profile="nope", region="us-east-1"))


def test_service_errors_become_project_errors(endpoint, aws_env):
    reconciler = WorkteamReconciler(SageMakerGateway())
    reconciler.create(parse_workteam(cognito_team()))
    with pytest.raises(Conflict, match="already exists; import it"):  # an identical team would be adopted
        reconciler.create(parse_workteam(cognito_team(description="another team")))
    # "Not found" is the resource's rule: SageMaker answers a missing team with a ValidationException,
    # which means "not found" only for a work team, never for any ValidationException.
    with pytest.raises(NotFound):
        SageMakerGateway().call(
            "UpdateWorkteam", "ghost", missing=workteam_not_found, WorkteamName="ghost", Description="x"
        )
    with pytest.raises(AwsError, match="ValidationException") as refused:
        SageMakerGateway().call("UpdateWorkteam", "ghost", WorkteamName="ghost", Description="x")
    assert not isinstance(refused.value, NotFound)


def test_serve_endpoint_command_serves_until_stopped(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_reconciler", "serve-endpoint", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving on http://127.0.0.1:")
        url = line.split()[-1]
        client = boto3.client(
            "sagemaker", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        assert client.list_workteams()["Workteams"] == []
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


@pytest.mark.local  # the demo's stack.yaml has a local-mode job: TVM compiles it
def test_demo_runs_the_main_job_with_no_aws_configuration(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)  # no ~/.aws either
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_reconciler", "demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    steps = out.split("\n# ")
    titles = [s.split("\n")[0].split(":")[0] for s in steps[1:]]
    assert titles == [
        "1. plan",
        "2. apply",
        "3. plan again",
        "4. a pull request edits the work team's description",
        "4. plan the edit",
        "5. apply the edit",
        "5. plan again",
        "6. drift",
    ]
    plan, apply, again, edit, edit_plan, edit_apply, final, drift = steps[1:]
    # 1: everything in examples/stack.yaml is to be created
    assert "+  labelers (Workteam street-scenes): create" in plan
    assert "+  resnet-ml-c5 (CompilationJob resnet18-ml-c5): create" in plan and "(exit code 2)" in plan
    assert "+  tiny-cnn-local (CompilationJob tiny-cnn-local): create" in plan
    # 2: applied, with the outputs of each resource and of the program
    assert 'arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/street-scenes"' in apply
    assert 'status = "COMPLETED"' in apply
    assert 'compiledArtifact: "s3://demo-models/compiled/model-ml_c5.tar.gz"' in apply and "(exit code 0)" in apply
    # ... including the model compiled here with TVM, a real artifact on disk
    assert 'localArtifact: "file://.demo/compiled/tiny-cnn-ml_c5.tar.gz"' in apply
    assert (REPO / ".demo" / "compiled" / "tiny-cnn-ml_c5.tar.gz").is_file()
    # 3: in sync
    assert again.count("): in sync") == 3 and "(exit code 0)" in again
    # 4: the edit is one minimal UpdateWorkteam, in place
    assert "+      description: Labels street scenes for the perception model, now with traffic signs" in edit
    assert "~  labelers (Workteam street-scenes): update in place" in edit_plan
    assert (
        'call UpdateWorkteam {"Description": "Labels street scenes for the perception model, now with traffic '
        'signs", "WorkteamName": "street-scenes"}'
    ) in edit_plan
    assert "replace" not in edit_plan.split("Plan:")[0] and "(exit code 2)" in edit_plan
    # 5: applied, then in sync
    assert "Apply complete: 0 created, 1 updated, 0 replaced, 2 unchanged." in edit_apply
    assert final.count("): in sync") == 3 and "(exit code 0)" in final
    # 6: drift finds the team made outside the manifest
    assert "?  Workteam console-made" in drift and "(exit code 2)" in drift
    assert out.rstrip().endswith("demo finished: every step did what it should")


def test_an_update_that_finds_its_team_gone_says_so_without_calling_update(endpoint, aws_env):
    """Re-planning found no team: the reconciler's own finding (Vanished), worded as users always saw it."""
    with pytest.raises(Vanished) as gone:
        WorkteamReconciler(SageMakerGateway()).update(parse_workteam(cognito_team(workteamName="ghost")))
    assert str(gone.value) == (
        "UpdateWorkteam ghost failed (NotFound): the work team no longer exists; refresh to recreate it"
    )
    assert not isinstance(gone.value, AwsError)
    assert [r.operation for r in endpoint.requests] == ["DescribeWorkteam"]
