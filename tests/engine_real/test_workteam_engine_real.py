"""Work teams through the real engine: drift, renames, protect, stack config reaching the provider."""

from __future__ import annotations

import boto3
import pulumi
import pytest
from pulumi import automation as auto

from sagemaker_reconciler import Workteam

from .programs import team_args
from .pulumi_env import Events, changes

READS = {"DescribeWorkteam", "ListTags", "ListLabelingJobsForWorkteam"}


def writes(endpoint) -> list[tuple[str, dict]]:
    return [(r.operation, r.params) for r in endpoint.requests if r.operation not in READS]


def update_inputs(events: Events) -> tuple[str, str]:
    """The old and new `description` the engine shows for the one update step it planned."""
    [meta] = [
        e.resource_pre_event.metadata
        for e in events.all
        if e.resource_pre_event and e.resource_pre_event.metadata.op == auto.OpType.UPDATE
    ]
    return meta.old.inputs["description"], meta.new.inputs["description"]


def fixed_team_program(name: str = "drift-team", **options):
    def program() -> None:
        config = pulumi.Config()
        team = Workteam(
            "team",
            workteam_name=config.get("name") or name,
            opts=pulumi.ResourceOptions(**options),
            **team_args(tags={"team": "vision"}),
        )
        pulumi.export("arn", team.arn)

    return program


def test_console_drift_is_previewed_and_up_restores_it_with_one_update(new_stack, endpoint, aws_env):
    stack = new_stack("drift", fixed_team_program())
    stack.up()
    sagemaker = boto3.client("sagemaker")
    sagemaker.update_workteam(WorkteamName="drift-team", Description="edited in the console")

    endpoint.clear_requests()
    plain = Events()
    preview = stack.preview(on_event=plain.record)
    assert changes(preview.change_summary) == {"update": 1}
    assert any(
        'description: "edited in the console" -> "Labels street scenes"' in line and "drift" in line
        for line in plain.diagnostics()
    ), plain.diagnostics()
    assert writes(endpoint) == []

    refreshed = Events()
    with_refresh = stack.preview(refresh=True, on_event=refreshed.record)
    assert changes(with_refresh.change_summary).get("update") == 1, with_refresh.change_summary
    # With --refresh the engine's own old/new comparison (what `pulumi preview --diff` prints) holds the
    # drift; without it the state is stale, and only the provider's log line says what changed.
    assert update_inputs(refreshed) == ("edited in the console", "Labels street scenes")
    assert update_inputs(plain) == ("Labels street scenes", "Labels street scenes")
    assert writes(endpoint) == []

    up = stack.up()
    assert changes(up.summary.resource_changes) == {"update": 1}
    assert writes(endpoint) == [
        ("UpdateWorkteam", {"WorkteamName": "drift-team", "Description": "Labels street scenes"})
    ]
    assert sagemaker.describe_workteam(WorkteamName="drift-team")["Workteam"]["Description"] == "Labels street scenes"
    assert changes(stack.preview().change_summary) == {}


def test_fixed_name_rename_replaces_the_team(new_stack, endpoint, aws_env):
    stack = new_stack("rename", fixed_team_program(), config={"name": "team-a"})
    stack.up()
    stack.set_config("rename:name", auto.ConfigValue("team-b"))
    assert changes(stack.preview().change_summary) == {"replace": 1}

    endpoint.clear_requests()
    up = stack.up()
    assert changes(up.summary.resource_changes) == {"replace": 1}
    order = [(op, params.get("WorkteamName")) for op, params in writes(endpoint)]
    assert order == [("CreateWorkteam", "team-b"), ("DeleteWorkteam", "team-a")]  # the new name is free: no gap
    teams = boto3.client("sagemaker").list_workteams()["Workteams"]
    assert [t["WorkteamName"] for t in teams] == ["team-b"]
    assert up.outputs["arn"].value.endswith("/team-b")


def test_protect_blocks_destroy_until_lifted(new_stack, endpoint, aws_env):
    stack = new_stack("guarded", fixed_team_program("guarded-team", protect=True))
    stack.up()
    with pytest.raises(auto.CommandError, match="protected"):
        stack.destroy()
    assert [t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"]] == ["guarded-team"]

    stack.up(program=fixed_team_program("guarded-team", protect=False))
    stack.destroy(program=fixed_team_program("guarded-team", protect=False))
    assert boto3.client("sagemaker").list_workteams()["Workteams"] == []


def test_stack_config_in_the_providers_namespace_reaches_the_provider(new_stack, endpoint, aws_env):
    """The engine hands a dynamic provider the whole stack config, keys still namespaced."""
    stack = new_stack("regional", fixed_team_program("eu-team"), config={"sagemaker-reconciler:region": "eu-west-1"})
    up = stack.up()
    assert up.outputs["arn"].value.startswith("arn:aws:sagemaker:eu-west-1:123456789012:workteam/")
    assert {r.region for r in endpoint.requests} == {"eu-west-1"}
    stack.destroy()
