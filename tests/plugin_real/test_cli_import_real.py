"""`pulumi import TYPE NAME ID`, the CLI command, with the installed plugin: a Workteam and a
CompilationJob made outside Pulumi are adopted with their live properties, the program that declares
them previews no change, and destroy removes them.

The command loads the project's language host even with --generate-code=false; the stand-in from
the dynamic-resource tier (tests/engine_real/import_language_host.py) is put first on PATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import boto3
import pulumi

from sagemaker_reconciler.sdk import CompilationJob, Workteam
from tests.engine_real.import_language_host import install
from tests.engine_real.outside import make_completed_job, make_workteam

from .conftest import PACKAGE, REPO

TEAM = "sagemaker-reconciler:index:Workteam"
JOB = "sagemaker-reconciler:index:CompilationJob"
ROLE = "arn:aws:iam::123456789012:role/neo"
MODEL = "s3://models/resnet.tar.gz"
SHAPE = '{"data": [1, 3, 224, 224]}'
MEMBERS = [
    {
        "cognito_member_definition": {
            "user_pool": "us-east-1_AbCdEf123",
            "user_group": "labelers",
            "client_id": "client1",
        }
    }
]


def made_outside_pulumi() -> None:
    """A team and a COMPLETED compilation job, created through boto3 against the embedded endpoint."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"model bytes")
    make_workteam("console-team", "Made in the console", {"team": "ops"})
    make_completed_job("console-job", role=ROLE, model=MODEL, shape=SHAPE)


def declared() -> None:
    """The program that declares what was imported, as its owner would write it afterwards."""
    Workteam(
        "team",
        workteam_name="console-team",
        description="Made in the console",
        member_definitions=MEMBERS,
        tags={"team": "ops"},
    )
    CompilationJob(
        "job",
        compilation_job_name="console-job",
        role_arn=ROLE,
        input_config={"s3_uri": MODEL, "framework": "ONNX", "data_input_config": SHAPE},
        output_config={"s3_output_location": "s3://models/compiled", "target_device": "ml_c5"},
        stopping_condition={"max_runtime_in_seconds": 900},
    )


def nothing() -> None:
    pulumi.export("empty", True)


def without_plugin_copies(path: str) -> list[str]:
    """PATH's directories but those holding a `pulumi-resource-sagemaker-reconciler`."""
    return [d for d in path.split(os.pathsep) if d and not (Path(d) / f"pulumi-resource-{PACKAGE}").exists()]


def pulumi_import(
    stack, pulumi_bin: Path, host_dir: Path, token: str, name: str, id_: str, *, succeeds: bool = True
) -> str:
    """The command a user types, run in the stack's project directory with the stand-in language host."""
    env = {
        **os.environ,
        **stack.workspace.env_vars,
        # language plugins are found only on PATH once ambient plugins count; the provider plugin still
        # comes from PULUMI_HOME, since no other copy of it is left on PATH
        "PULUMI_IGNORE_AMBIENT_PLUGINS": "false",
        "PATH": os.pathsep.join([str(host_dir), *without_plugin_copies(os.environ["PATH"])]),
        "PULUMI_PYTHON_CMD": sys.executable,
        "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), stack.workspace.env_vars.get("PYTHONPATH", "")]),
    }
    command = [str(pulumi_bin), "import", token, name, id_, "--stack", stack.name, "--yes"]
    command += ["--generate-code=false", "--protect=false", "--non-interactive"]
    done = subprocess.run(command, cwd=stack.workspace.work_dir, env=env, capture_output=True, text=True, timeout=300)
    said = done.stdout + done.stderr
    assert (done.returncode == 0) == succeeds, said
    assert "Traceback" not in said, said
    return said


def test_pulumi_import_cli_adopts_a_workteam_and_a_compilation_job(deploy, pulumi_bin, endpoint, tmp_path):
    endpoint.set_compilation_timing(starting_seconds=0.05, compiling_seconds=0.1)
    made_outside_pulumi()
    deployment = deploy(nothing)
    stack = deployment.stack
    stack.up()
    host_dir = tmp_path / "language-host"
    install(host_dir)

    said = pulumi_import(stack, pulumi_bin, host_dir, TEAM, "team", "console-team")
    assert "1 imported" in said, said
    said = pulumi_import(stack, pulumi_bin, host_dir, JOB, "job", "console-job")
    assert "1 imported" in said, said

    live_team = boto3.client("sagemaker").describe_workteam(WorkteamName="console-team")["Workteam"]
    live_job = boto3.client("sagemaker").describe_compilation_job(CompilationJobName="console-job")
    state = {r["type"]: r for r in stack.export_stack().deployment["resources"]}
    team, job = state[TEAM], state[JOB]
    assert team["id"] == "console-team" and job["id"] == "console-job"
    for adopted in (team, job):  # served by the installed plugin, not a dynamic provider
        assert adopted["provider"].startswith(f"urn:pulumi:dev::plugin-real::pulumi:providers:{PACKAGE}::")
    assert team["outputs"]["arn"] == live_team["WorkteamArn"]
    assert team["outputs"]["description"] == team["inputs"]["description"] == "Made in the console"
    assert team["inputs"]["tags"] == {"team": "ops"}
    assert team["outputs"]["subdomain"] == live_team["SubDomain"]
    assert job["outputs"]["arn"] == live_job["CompilationJobArn"]
    assert job["outputs"]["status"] == "COMPLETED"
    assert job["outputs"]["compiledArtifactUri"] == live_job["ModelArtifacts"]["S3ModelArtifacts"]
    assert job["inputs"]["inputConfig"]["s3Uri"] == MODEL
    assert job["inputs"]["outputConfig"]["targetDevice"] == "ml_c5"

    deployment.set_program(declared)
    endpoint.clear_requests()
    preview = stack.preview()
    assert preview.change_summary == {"same": 3}, preview.stdout  # the program matches what was imported
    calls = {r.operation for r in endpoint.requests}
    assert calls <= {"DescribeWorkteam", "DescribeCompilationJob", "ListTags"}, calls  # reads only

    stack.destroy()
    sagemaker = boto3.client("sagemaker")
    assert sagemaker.list_workteams()["Workteams"] == []
    assert sagemaker.list_compilation_jobs()["CompilationJobSummaries"] == []


def test_pulumi_import_of_a_name_that_does_not_exist_says_so_and_adopts_nothing(deploy, pulumi_bin, endpoint, tmp_path):
    stack = deploy(nothing).stack
    stack.up()
    host_dir = tmp_path / "language-host"
    install(host_dir)
    said = pulumi_import(stack, pulumi_bin, host_dir, TEAM, "team", "nobody", succeeds=False)
    assert "resource 'nobody' does not exist" in said, said
    said = pulumi_import(stack, pulumi_bin, host_dir, JOB, "job", "no-such-job", succeeds=False)
    assert "resource 'no-such-job' does not exist" in said, said
    assert {r["type"] for r in stack.export_stack().deployment["resources"]} & {TEAM, JOB} == set()
