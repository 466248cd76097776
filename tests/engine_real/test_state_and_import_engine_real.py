"""What the engine keeps in state, and bringing existing resources under Pulumi with `pulumi import`."""

from __future__ import annotations

import base64
import json
import os

import boto3
import pulumi
import pytest
from pulumi import automation as auto

from sagemaker_reconciler import CompilationJob, Workteam
from sagemaker_reconciler.errors import ConfigError, NotFound
from sagemaker_reconciler.pulumi_resources.importing import import_entry

from .conftest import ACCESS_KEY, SECRET_KEY
from .import_language_host import install
from .outside import make_completed_job, make_workteam
from .programs import MODEL_URI, ROLE, job_args, team_args
from .pulumi_env import changes

SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in a deployment
TEAM_TYPE = "pulumi-python:dynamic/sagemaker:Workteam"
JOB_TYPE = "pulumi-python:dynamic/sagemaker:CompilationJob"


def both_program() -> None:
    Workteam("team", workteam_name="imported-team", **team_args(tags={"team": "vision"}))
    CompilationJob("job", compilation_job_name="imported-job", **job_args())


def custom_resources(deployment: dict) -> list[dict]:
    return [r for r in deployment["resources"] if r["type"] in (TEAM_TYPE, JOB_TYPE)]


def test_state_holds_the_provider_as_a_secret_and_no_credentials(new_stack, pulumi_env, endpoint, model):
    stack = new_stack("state", both_program)
    stack.up()
    deployment = stack.export_stack().deployment
    resources = custom_resources(deployment)
    assert len(resources) == 2
    for resource in resources:
        for bag in ("inputs", "outputs"):
            assert resource[bag]["__provider"].get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270", (bag, resource)

    plain = json.loads(
        pulumi_env.run(["stack", "export", "--show-secrets", "--stack", stack.name], stack.workspace.work_dir).stdout
    )
    for text in (json.dumps(deployment), json.dumps(plain)):
        for credential in (ACCESS_KEY, SECRET_KEY):
            assert credential not in text
            assert base64.b64encode(credential.encode()).decode()[:16] not in text
    for resource in custom_resources(plain["deployment"]):
        pickled = base64.b64decode(
            resource["outputs"]["__provider"]["plaintext"]
            if isinstance(resource["outputs"]["__provider"], dict)
            else resource["outputs"]["__provider"]
        )
        assert ACCESS_KEY.encode() not in pickled and SECRET_KEY.encode() not in pickled
        assert b"botocore" not in pickled and b"boto3" not in pickled
        assert (
            b"sagemaker_reconciler.pulumi_resources" in pickled
        )  # by reference: the provider process imports the package


# --- import -------------------------------------------------------------------------------------------


def existing_resources() -> None:
    """A team and a completed job made outside Pulumi, matching `both_program`."""
    make_workteam("imported-team", "Labels street scenes", {"team": "vision"})
    make_completed_job("imported-job", role=ROLE, model=MODEL_URI, shape='{"data": [1, 3, 224, 224]}')


@pytest.fixture
def language_host_env(tmp_path) -> dict[str, str]:
    """PATH with the stand-in Python language host `pulumi import` insists on (see import_language_host)."""
    install(tmp_path / "language-host")
    return {"PATH": f"{tmp_path / 'language-host'}{os.pathsep}{os.environ['PATH']}"}


def test_import_by_id_alone_fails_as_pulumi_16175_describes(new_stack, endpoint, model, language_host_env):
    """The engine's Read for an import carries no state, and the SDK's dynamic server looks for the
    pickled provider in it: both ways of importing by ID alone fail the same way."""
    existing_resources()
    stack = new_stack("import-by-id", both_program, env=language_host_env)
    with pytest.raises(auto.CommandError) as by_cli:
        stack.import_resources(
            resources=[{"type": TEAM_TYPE, "name": "team", "id": "imported-team"}], generate_code=False
        )
    assert "KeyError: '__provider'" in str(by_cli.value)

    def import_option() -> None:
        Workteam(
            "team",
            workteam_name="imported-team",
            opts=pulumi.ResourceOptions(import_="imported-team"),
            **team_args(tags={"team": "vision"}),
        )

    with pytest.raises(auto.CommandError) as by_option:
        stack.up(program=import_option)
    assert "KeyError: '__provider'" in str(by_option.value)
    assert not custom_resources({"resources": stack.export_stack().deployment.get("resources") or []})
    assert [t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"]] == ["imported-team"]


def test_import_with_inputs_and_outputs_adopts_both_resources(new_stack, endpoint, model, language_host_env):
    existing_resources()
    stack = new_stack("import-file", both_program, env=language_host_env)
    entries = [import_entry("Workteam", "team", "imported-team"), import_entry("CompilationJob", "job", "imported-job")]
    result = stack.import_resources(resources=entries, generate_code=False, protect=False)
    assert changes(result.summary.resource_changes).get("import") == 2

    endpoint.clear_requests()
    preview = stack.preview()
    assert changes(preview.change_summary) == {}, preview.stdout  # the program matches what was imported
    assert {r.operation for r in endpoint.requests} <= {"DescribeWorkteam", "DescribeCompilationJob", "ListTags"}
    assert changes(stack.up().summary.resource_changes) == {}
    assert changes(stack.refresh().summary.resource_changes) == {}
    stack.destroy()
    sagemaker = boto3.client("sagemaker")
    assert sagemaker.list_workteams()["Workteams"] == []
    assert sagemaker.list_compilation_jobs()["CompilationJobSummaries"] == []


def test_import_entries_are_refused_for_what_does_not_exist(endpoint, aws_env):
    with pytest.raises(NotFound, match="no Workteam named 'nobody' to import"):
        import_entry("Workteam", "team", "nobody")
    with pytest.raises(ConfigError, match="kind must be one of"):
        import_entry("Topic", "t", "x")
