"""What the dynamic resources cannot do, through the real engine and the installed plugin:
a per-property detailed diff with drift labelled, ignoreChanges keeping a console edit,
import by id, and a lost create reply that leaves no orphan."""

from __future__ import annotations

import re
import time

import boto3
import pulumi
import pytest
from pulumi import automation as auto

from sagemaker_reconciler.sdk import CompilationJob, Workteam
from tests.engine_real.outside import make_workteam

MEMBERS = [
    {
        "cognito_member_definition": {
            "user_pool": "us-east-1_AbCdEf123",
            "user_group": "labelers",
            "client_id": "client1",
        }
    }
]
TOKEN = "sagemaker-reconciler:index:Workteam"


def team_program(**kwargs):
    def program():
        team = Workteam(
            "labelers",
            description=kwargs.pop("description", "Labels street scenes"),
            member_definitions=MEMBERS,
            **kwargs,
        )
        pulumi.export("name", team.workteam_name)

    return program


def live(name: str) -> dict:
    return boto3.client("sagemaker").describe_workteam(WorkteamName=name)["Workteam"]


def teams() -> list[str]:
    return sorted(t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"])


def pre_events(preview_events: list) -> dict[str, object]:
    """Resource name -> the step metadata of its resource_pre_event in a preview."""
    return {
        e.resource_pre_event.metadata.urn.rsplit("::", 1)[-1]: e.resource_pre_event.metadata
        for e in preview_events
        if e.resource_pre_event
    }


def test_preview_events_carry_the_detailed_diff_with_drift_labelled(deploy):
    deployment = deploy(team_program(tags={"team": "perception"}))
    name = deployment.stack.up().outputs["name"].value
    boto3.client("sagemaker").update_workteam(WorkteamName=name, Description="edited in the console")
    deployment.set_program(team_program(tags={"team": "perception", "cost": "42"}))
    events: list = []
    preview = deployment.stack.preview(on_event=events.append, diff=True)
    step = pre_events(events)["labelers"]
    diff = {path: (d.diff_kind.value, d.input_diff) for path, d in step.detailed_diff.items()}
    # inputDiff false: the live team drifted from an unchanged program; true: the program changed
    assert diff == {"description": ("update", False), "tags.cost": ("add", True)}
    assert step.op.value == "update" and sorted(step.diffs) == ["description", "tags"]
    # the reason, logged through the engine against the resource
    (said,) = [e.diagnostic_event for e in events if e.diagnostic_event and "description" in e.diagnostic_event.message]
    assert said.urn.endswith("::labelers") and said.severity == "info"
    assert (
        '"edited in the console" -> "Labels street scenes" [update in place; drift: changed outside Pulumi]'
        in said.message
    )
    assert preview.change_summary == {"same": 1, "update": 1}
    deployment.stack.up()
    assert live(name)["Description"] == "Labels street scenes"  # drift reverted, program edit applied


def test_ignore_changes_keeps_a_console_edit(deploy):
    ignoring = pulumi.ResourceOptions(ignore_changes=["description"])

    def program():
        Workteam(
            "labelers",
            opts=ignoring,
            description="Labels street scenes",
            member_definitions=MEMBERS,
            workteam_name="kept-team",
        )

    deployment = deploy(program)
    deployment.stack.up()
    boto3.client("sagemaker").update_workteam(WorkteamName="kept-team", Description="edited in the console")
    assert deployment.stack.preview().change_summary == {"same": 2}
    result = deployment.stack.up()
    assert result.summary.resource_changes == {"same": 2}
    assert live("kept-team")["Description"] == "edited in the console"


def test_import_by_id(deploy):
    """The engine's import step through the `import` resource option (the `pulumi import` command:
    test_cli_import_real.py): Read with only the id, then Check of what Read returned, then the
    program's inputs compared with it."""
    make_workteam("console-team", "Made in the console", {"team": "ops"})

    def program(**extra):
        def run():
            Workteam(
                "imported",
                opts=pulumi.ResourceOptions(import_="console-team"),
                workteam_name="console-team",
                description="Made in the console",
                member_definitions=MEMBERS,
                tags={"team": "ops"},
                **extra,
            )

        return run

    deployment = deploy(program())
    events: list = []
    result = deployment.stack.up(on_event=events.append)
    assert result.summary.resource_changes == {"create": 1, "import": 1}
    state = deployment.stack.export_stack().deployment["resources"]
    (imported,) = [r for r in state if r["type"] == TOKEN]
    assert imported["id"] == "console-team" and imported["outputs"]["arn"].endswith("/console-team")
    assert imported["inputs"]["tags"] == {"team": "ops"}
    deployment.set_program(
        lambda: Workteam(
            "imported",
            workteam_name="console-team",
            description="Made in the console",
            member_definitions=MEMBERS,
            tags={"team": "ops"},
        )
    )
    assert deployment.stack.preview().change_summary == {"same": 2}  # adopted: nothing to do
    with pytest.raises(auto.CommandError) as refused:  # an import whose program differs from the live team
        deploy(program(force_delete=False, workforce_name="other"), stack_name="second").stack.up()
    assert "workforceName" in str(refused.value)


def test_a_lost_create_reply_leaves_no_orphan(deploy, endpoint):
    deployment = deploy(team_program())
    endpoint.inject_fault("drop", "CreateWorkteam", phase="after")
    with pytest.raises(auto.CommandError) as failed:
        deployment.stack.up()
    assert "ConnectionClosedError" in str(failed.value)
    (name,) = teams()  # botocore retried, every reply was lost: exactly one team was made...
    state = deployment.stack.export_stack().deployment["resources"]
    (kept,) = [r for r in state if r["type"] == TOKEN]
    assert kept["id"] == name and kept.get("initErrors")  # ...and the engine keeps it in state
    endpoint.clear_faults()
    retried = deployment.stack.up()  # the next run finishes it (the engine updates an init-failed resource)
    assert retried.summary.result == "succeeded" and retried.outputs["name"].value == name
    assert teams() == [name]
    deployment.stack.destroy()
    assert teams() == []


def test_custom_timeouts_bound_a_compilation_jobs_wait_and_the_job_stays_in_state(deploy, endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"model")
    endpoint.set_compilation_timing(compiling_seconds=3600)

    def program():
        CompilationJob(
            "slow",
            role_arn="arn:aws:iam::123456789012:role/neo",
            input_config={
                "s3_uri": "s3://models/m.tar.gz",
                "framework": "ONNX",
                "data_input_config": '{"data": [1, 3, 224, 224]}',
            },
            output_config={"s3_output_location": "s3://models/out", "target_device": "ml_c5"},
            opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="3s")),
        )

    deployment = deploy(program)
    started = time.monotonic()
    with pytest.raises(auto.CommandError) as failed:
        deployment.stack.up()
    assert time.monotonic() - started < 60  # not the job's own 24 h default bound
    assert re.search(r"still (STARTING|INPROGRESS) after \d+ s", str(failed.value))  # the job's own status
    state = deployment.stack.export_stack().deployment["resources"]
    (kept,) = [r for r in state if r["type"] == "sagemaker-reconciler:index:CompilationJob"]
    summaries = boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]
    assert [j["CompilationJobName"] for j in summaries] == [kept["id"]]  # in state: destroy will stop it


def test_refresh_reads_the_live_team_and_notices_one_deleted_out_of_band(deploy):
    deployment = deploy(team_program(workteam_name="refreshed"))
    deployment.stack.up()
    boto3.client("sagemaker").update_workteam(WorkteamName="refreshed", Description="edited in the console")
    assert deployment.stack.refresh().summary.resource_changes == {"same": 1, "update": 1}
    state = deployment.stack.export_stack().deployment["resources"]
    (team,) = [r for r in state if r["type"] == TOKEN]
    assert team["inputs"]["description"] == team["outputs"]["description"] == "edited in the console"
    boto3.client("sagemaker").delete_workteam(WorkteamName="refreshed")
    assert deployment.stack.refresh().summary.resource_changes == {"same": 1, "delete": 1}
    assert deployment.stack.up().summary.resource_changes == {"same": 1, "create": 1}
    assert live("refreshed")["Description"] == "Labels street scenes"
