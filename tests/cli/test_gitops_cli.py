"""The GitOps CLI (`sagemaker-reconcile plan|apply|drift`) end to end against the embedded endpoint.

Driven through the real entry point, ``sagemaker_reconciler.cli.main``, as the console
script calls it (and once as ``python -m sagemaker_reconciler`` in a subprocess).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import boto3
import pytest

from sagemaker_reconciler.cli import main
from sagemaker_reconciler.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
MUTATING = {
    "CreateWorkteam",
    "UpdateWorkteam",
    "DeleteWorkteam",
    "CreateCompilationJob",
    "DeleteCompilationJob",
    "StopCompilationJob",
    "AddTags",
    "DeleteTags",
}

TEAM = """\
  team:
    type: sagemaker-reconciler:Workteam
    properties:
      workteamName: {name}
      description: {description}
      memberDefinitions:
        - cognitoMemberDefinition: {{userPool: us-east-1_AbCdEf123, userGroup: labelers, clientId: client1}}
      tags: {{team: vision}}
"""
JOB = """\
  job:
    type: sagemaker-reconciler:CompilationJob
    {options}
    properties:
      compilationJobName: resnet-ml-c5
      roleArn: arn:aws:iam::123456789012:role/neo
      inputConfig: {{s3Uri: s3://models/resnet.tar.gz, framework: ONNX, dataInputConfig: '{{"data": [1,3,224,224]}}'}}
      outputConfig: {{s3OutputLocation: s3://models/compiled, targetDevice: {target}}}
      {mode}
"""


def stack(
    tmp_path: Path,
    *,
    description="Labels street scenes",
    target="ml_c5",
    job=True,
    options="",
    mode="",
    name="team-a",
    outputs=True,
) -> str:
    text = "name: stack\nruntime: yaml\nresources:\n" + TEAM.format(name=name, description=description)
    if job:
        text += JOB.format(target=target, options=options, mode=mode)
        if outputs:
            text += "outputs:\n  teamArn: ${team.arn}\n  artifact: ${job.compiledArtifactUri}\n"
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def operations(endpoint) -> list[str]:
    return [r.operation for r in endpoint.requests]


@pytest.fixture
def model(endpoint, aws_env):
    """The job's input model in the endpoint's S3; jobs finish as soon as they are looked at."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"not really a model")
    endpoint.set_compilation_timing(starting_seconds=0, compiling_seconds=0, stopping_seconds=0)
    return "s3://models/resnet.tar.gz"


# --- plan / apply -----------------------------------------------------------------------------------


def test_plan_apply_plan_exit_codes_and_outputs(tmp_path, capsys, endpoint, model):
    manifest = stack(tmp_path)
    code, out, _ = run(capsys, "plan", manifest)
    assert code == 2
    assert "+  team (Workteam team-a): create" in out and "+  job (CompilationJob resnet-ml-c5): create" in out
    assert out.rstrip().endswith("Plan: 2 to create, 0 to update, 0 to replace, 0 in sync.")
    assert not MUTATING & set(operations(endpoint)), "plan is read-only"

    code, out, err = run(capsys, "apply", manifest)
    assert code == 0, out + err
    assert 'arn = "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team-a"' in out
    assert 'compiledArtifactUri = "s3://models/compiled/resnet-ml_c5.tar.gz"' in out
    assert 'artifact: "s3://models/compiled/resnet-ml_c5.tar.gz"' in out  # the program's outputs, resolved
    assert "Apply complete: 2 created" in out
    assert "team: create done" in err and "job: create done" in err  # progress goes to stderr

    code, out, _ = run(capsys, "plan", manifest)
    assert code == 0 and out.rstrip().endswith("0 to create, 0 to update, 0 to replace, 2 in sync.")
    code, _, _ = run(capsys, "apply", manifest)  # nothing to do is success too
    assert code == 0


def test_plan_json_of_an_edit_is_parseable_and_names_the_change(tmp_path, capsys, endpoint, model):
    assert run(capsys, "apply", stack(tmp_path))[0] == 0
    code, out, _ = run(capsys, "plan", stack(tmp_path, description="Labels street scenes and signs"), "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["exit_code"] == 2 and doc["command"] == "plan"
    assert doc["summary"] == {
        "resources": 2,
        "in_sync": 1,
        "create": 0,
        "update": 1,
        "replace": 0,
        "error": 0,
        "unmanaged": 0,
    }
    team, job = doc["resources"]
    assert (team["logical_name"], team["type"], team["name"], team["action"]) == (
        "team",
        "sagemaker-reconciler:Workteam",
        "team-a",
        "update",
    )
    assert team["changes"] == [
        {
            "property": "description",
            "kind": "update",
            "old": "Labels street scenes",
            "new": "Labels street scenes and signs",
            "details": ["description"],
        }
    ]
    assert team["replaces"] == []
    assert team["calls"] == [
        {
            "operation": "UpdateWorkteam",
            "params": {"WorkteamName": "team-a", "Description": "Labels street scenes and signs"},
        }
    ]
    assert job["action"] == "noop" and job["calls"] == []
    assert doc["errors"] == [] and doc["unmanaged"] == []


def test_apply_sends_exactly_the_calls_the_plan_shows(tmp_path, capsys, endpoint, model):
    """Each request is built once (specs.*_api): a replacement's delete and create and an in-place
    update are shown by plan --json and are what apply then sends, parameters included."""
    assert run(capsys, "apply", stack(tmp_path))[0] == 0
    edited = stack(tmp_path, description="Labels street scenes and signs", target="rasp4b")
    code, out, _ = run(capsys, "plan", edited, "--json")
    planned = {r["logical_name"]: r["calls"] for r in json.loads(out)["resources"]}
    assert [c["operation"] for c in planned["job"]] == ["DeleteCompilationJob", "CreateCompilationJob"]
    before = len(endpoint.requests)
    assert run(capsys, "apply", edited)[0] == 0
    applied = endpoint.requests[before:]
    sent = [{"operation": r.operation, "params": r.params} for r in applied if r.operation in MUTATING]
    assert [c for c in sent if "Workteam" in c["operation"]] == planned["team"]
    assert [c for c in sent if "CompilationJob" in c["operation"]] == planned["job"]


def test_markdown_plan_is_a_pull_request_comment(tmp_path, capsys, endpoint, model):
    assert run(capsys, "apply", stack(tmp_path))[0] == 0
    code, out, _ = run(capsys, "plan", stack(tmp_path, target="rasp4b"), "--format", "markdown")
    assert code == 2
    assert "**Plan: 0 to create, 0 to update, 1 to replace, 1 in sync.**" in out
    assert "| Resource | Type | Name | Action | Properties |" in out
    assert "| <code>team</code> | Workteam | <code>team-a</code> | in sync |  |" in out
    assert (
        "| <code>job</code> | CompilationJob | <code>resnet-ml-c5</code> | **replace** | "
        "<code>outputConfig</code> (replace) |"
    ) in out
    assert "<details><summary><code>job</code>" in out and "forces replacement" in out


def test_apply_replaces_a_job_whose_target_changed_delete_then_create(tmp_path, capsys, endpoint, model):
    assert run(capsys, "apply", stack(tmp_path))[0] == 0
    endpoint.clear_requests()
    code, out, _ = run(capsys, "apply", stack(tmp_path, target="rasp4b"), "--json")
    assert code == 0
    job = json.loads(out)["resources"][1]
    assert job["action"] == "replace" and job["replaces"] == ["outputConfig"]
    assert job["outputs"]["compiledArtifactUri"] == "s3://models/compiled/resnet-rasp4b.tar.gz"
    order = [op for op in operations(endpoint) if op in ("DeleteCompilationJob", "CreateCompilationJob")]
    assert order == ["DeleteCompilationJob", "CreateCompilationJob"]


def test_apply_sees_through_a_job_an_interrupted_apply_left_running(tmp_path, capsys, endpoint, model):
    manifest = stack(tmp_path)
    job_spec = next(r.spec for r in load_manifest(manifest).resources if r.kind.name == "CompilationJob")
    endpoint.set_compilation_timing(compiling_seconds=0.3)
    boto3.client("sagemaker").create_compilation_job(**job_spec.to_create_request())
    code, out, _ = run(capsys, "apply", manifest, "--json")
    assert code == 0
    job = json.loads(out)["resources"][1]
    assert job["action"] == "noop" and job["outputs"]["status"] == "COMPLETED"
    assert job["outputs"]["compiledArtifactUri"] == "s3://models/compiled/resnet-ml_c5.tar.gz"
    assert operations(endpoint).count("CreateCompilationJob") == 1  # adopted, not duplicated


def test_protect_refuses_a_replacement(tmp_path, capsys, endpoint, model):
    assert run(capsys, "apply", stack(tmp_path, options="options: {protect: true}"))[0] == 0
    code, out, _ = run(capsys, "apply", stack(tmp_path, target="rasp4b", options="options: {protect: true}"))
    assert code == 1
    assert "job is protected (options.protect) and would be replaced (outputConfig changed)" in out
    assert "DeleteCompilationJob" not in operations(endpoint)


def test_a_failed_job_fails_the_apply_but_not_the_other_resources(tmp_path, capsys, endpoint, model):
    endpoint.fail_compilation_job("ClientError: unsupported operator Foo", job_name="resnet-ml-c5")
    code, out, _ = run(capsys, "apply", stack(tmp_path), "--json")
    assert code == 1
    team, job = json.loads(out)["resources"]
    assert team["error"] is None and team["outputs"]["arn"].endswith("workteam/private-crowd/team-a")
    assert "resnet-ml-c5 ended FAILED: ClientError: unsupported operator Foo" in job["error"]


def test_a_local_mode_job_never_reaches_sagemaker_and_a_missing_model_is_a_clear_error(
    tmp_path, capsys, endpoint, aws_env
):
    manifest = stack(tmp_path, mode="mode: local", outputs=False)
    missing = tmp_path / "resnet.tar.gz"
    text = Path(manifest).read_text().replace("s3://models/resnet.tar.gz", f"file://{missing}")
    Path(manifest).write_text(text.replace("s3://models/compiled", f"file://{tmp_path}/compiled"))
    code, out, _ = run(capsys, "apply", manifest)
    assert code == 1
    assert f"file://{missing}: no such file" in out
    assert "CreateCompilationJob" not in operations(endpoint)


# --- manifest errors: before any API call ------------------------------------------------------------


def test_manifest_errors_name_resource_and_property_and_make_no_call(tmp_path, capsys, endpoint, aws_env):
    manifest = stack(tmp_path)
    Path(manifest).write_text(
        Path(manifest)
        .read_text()
        .replace("us-east-1_AbCdEf123", "no pool")
        .replace("targetDevice: ml_c5", "targetDevice: ml_c55")
    )
    for command in ("plan", "apply", "drift"):
        code, out, err = run(capsys, command, manifest)
        assert code == 1
        assert (
            "line 10: resources.team.properties.memberDefinitions[0].cognitoMemberDefinition.userPool: "
            "must look like a Cognito user pool id"
        ) in err
        assert "resources.job.properties.outputConfig.targetDevice: must be one of 'lambda'" in err
        assert out == ""
    code, out, _ = run(capsys, "plan", manifest, "--json")
    errors = json.loads(out)["errors"]
    assert code == 1 and {e["path"] for e in errors} == {
        "resources.team.properties.memberDefinitions[0].cognitoMemberDefinition.userPool",
        "resources.job.properties.outputConfig.targetDevice",
    }
    assert endpoint.requests == []


def test_unknown_type_and_yaml_errors_exit_1_without_calls(tmp_path, capsys, endpoint, aws_env):
    bad = tmp_path / "bad.yaml"
    bad.write_text("resources:\n  t:\n    type: sagemaker-reconciler:WorkTeam\n")
    code, _, err = run(capsys, "plan", str(bad))
    assert (
        code == 1 and "unknown type 'sagemaker-reconciler:WorkTeam'; valid types: sagemaker-reconciler:Workteam" in err
    )
    bad.write_text("resources:\n  t: {type: x\n")
    code, _, err = run(capsys, "plan", str(bad), "--format", "markdown")
    assert code == 1
    code, _, err = run(capsys, "plan", str(bad))
    assert code == 1 and "line 3: YAML syntax error" in err
    assert endpoint.requests == []


def test_usage_errors_exit_1_not_2(capsys):
    assert main(["plan"]) == 1
    assert main(["plan", "x.yaml", "--parallelism", "0"]) == 1
    assert main(["plan", "x.yaml", "--format", "html"]) == 1
    capsys.readouterr()


# --- drift -----------------------------------------------------------------------------------------


def test_drift_lists_unmanaged_resources_across_pages_and_filters_by_name(tmp_path, capsys, endpoint, model):
    manifest = stack(tmp_path)
    assert run(capsys, "apply", manifest)[0] == 0
    code, out, _ = run(capsys, "drift", manifest)
    assert (
        code == 0 and "No unmanaged resources." in out and "Drift: 0 drifted, 0 missing, 0 unmanaged, 2 in sync." in out
    )

    sagemaker = boto3.client("sagemaker")
    member = [{"CognitoMemberDefinition": {"UserPool": "us-east-1_AbCdEf123", "UserGroup": "g", "ClientId": "client1"}}]
    strays = [f"stray-{i:02d}" for i in range(12)]  # more than one page (the endpoint pages by 10)
    for name in [*strays, "console-team"]:
        sagemaker.create_workteam(WorkteamName=name, Description="made by hand", MemberDefinitions=member)
    endpoint.set_compilation_timing(job_name="stray-running", compiling_seconds=3600)
    for job_name in ("stray-job", "stray-running"):
        sagemaker.create_compilation_job(
            CompilationJobName=job_name,
            RoleArn="arn:aws:iam::123456789012:role/neo",
            InputConfig={"S3Uri": model, "Framework": "ONNX", "DataInputConfig": '{"data": [1,3,224,224]}'},
            OutputConfig={"S3OutputLocation": "s3://models/other", "TargetDevice": "ml_c5"},
            StoppingCondition={"MaxRuntimeInSeconds": 7200},
        )
    endpoint.clear_requests()

    code, out, _ = run(capsys, "drift", manifest, "--json")
    assert code == 2
    doc = json.loads(out)
    unmanaged = [(u["type"], u["name"]) for u in doc["unmanaged"]]
    # A finished job is a record, not drift: only the running one is listed without --name-contains.
    assert unmanaged == [
        ("sagemaker-reconciler:CompilationJob", "stray-running"),
        *[("sagemaker-reconciler:Workteam", n) for n in sorted(["console-team", *strays])],
    ]
    assert doc["summary"]["unmanaged"] == 14 and doc["summary"]["in_sync"] == 2
    assert doc["unmanaged"][0]["status"] == "INPROGRESS"
    assert doc["unmanaged"][0]["arn"].endswith("compilation-job/stray-running")
    assert operations(endpoint).count("ListWorkteams") >= 2, "the listing follows NextToken"
    assert not MUTATING & set(operations(endpoint)), "drift is read-only"

    code, out, _ = run(capsys, "drift", manifest, "--name-contains", "stray", "--format", "markdown")
    assert code == 2
    assert (
        "| Workteam | <code>stray-11</code> |" in out
        and "| CompilationJob | <code>stray-job</code> | COMPLETED |" in out
    )
    assert "| CompilationJob | <code>stray-running</code> | INPROGRESS |" in out
    assert "console-team" not in out


def test_drift_reports_out_of_band_changes_and_missing_resources(tmp_path, capsys, endpoint, model):
    manifest = stack(tmp_path)
    assert run(capsys, "apply", manifest)[0] == 0
    sagemaker = boto3.client("sagemaker")
    sagemaker.update_workteam(WorkteamName="team-a", Description="changed in the console")
    sagemaker.delete_compilation_job(CompilationJobName="resnet-ml-c5")
    code, out, _ = run(capsys, "drift", manifest, "--name-contains", "nothing-matches")
    assert code == 2
    assert "~  team (Workteam team-a): drifted (apply would update it in place)" in out
    assert '    description: "changed in the console" -> "Labels street scenes"  [update in place]' in out
    assert "+  job (CompilationJob resnet-ml-c5): missing (apply would create it)" in out
    assert "Drift: 1 drifted, 1 missing, 0 unmanaged, 0 in sync." in out


# --- concurrency -----------------------------------------------------------------------------------


def test_planning_is_concurrent_and_bounded_by_parallelism(tmp_path, capsys, endpoint, aws_env, monkeypatch):
    from sagemaker_reconciler.endpoint.app import EndpointApp

    lock = threading.Lock()
    seen = {"now": 0, "max": 0}
    original = EndpointApp.__call__

    def slow_describe(self, environ, start_response):
        """Counts DescribeWorkteam requests in flight at the endpoint's WSGI door (X-Amz-Target names the call)."""
        if environ.get("HTTP_X_AMZ_TARGET") != "SageMaker.DescribeWorkteam":
            return original(self, environ, start_response)
        with lock:
            seen["now"] += 1
            seen["max"] = max(seen["max"], seen["now"])
        try:
            time.sleep(0.05)  # a network round trip, so that overlapping calls overlap
            return original(self, environ, start_response)
        finally:
            with lock:
                seen["now"] -= 1

    monkeypatch.setattr(EndpointApp, "__call__", slow_describe)
    text = "resources:\n" + "".join(
        TEAM.format(name=f"team-{i}", description="d").replace("  team:", f"  team{i}:") for i in range(6)
    )
    manifest = tmp_path / "six.yaml"
    manifest.write_text(text)

    assert run(capsys, "plan", str(manifest), "--parallelism", "2")[0] == 2
    assert seen["max"] == 2
    seen["max"] = 0
    assert run(capsys, "plan", str(manifest))[0] == 2  # default 8: all six at once
    assert seen["max"] > 2
    assert operations(endpoint).count("DescribeWorkteam") == 12


# --- the console script, as a process ---------------------------------------------------------------


def test_python_dash_m_provider_plan_in_a_subprocess(tmp_path, endpoint, aws_env):
    env = {**os.environ}
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_reconciler", "plan", stack(tmp_path, job=False), "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["resources"][0]["action"] == "create"
    assert doc["resources"][0]["calls"][0]["operation"] == "CreateWorkteam"
    assert [r.operation for r in endpoint.requests] == ["DescribeWorkteam"]


def test_the_manifest_can_come_from_standard_input(tmp_path, endpoint, aws_env):
    text = Path(stack(tmp_path, job=False)).read_text()
    result = subprocess.run(
        [sys.executable, "-m", "sagemaker_reconciler", "drift", "-"],
        input=text,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "team (Workteam team-a): missing (apply would create it)" in result.stdout
