"""Create, a second preview with nothing to do, destroy: through the real engine and the installed plugin."""

from __future__ import annotations

import time

import boto3
import pulumi

from provider.sdk import Workteam

MEMBERS = [{"cognito_member_definition": {"user_pool": "us-east-1_AbCdEf123", "user_group": "labelers",
                                          "client_id": "client1"}}]


def teams() -> list[str]:
    return sorted(t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"])


def test_up_then_nothing_to_do_then_destroy(deploy):
    def program():
        auto_named = Workteam("labelers", description="Labels street scenes", member_definitions=MEMBERS,
                              tags={"team": "perception"})
        Workteam("reviewers", workteam_name="reviewers", description="Reviews labels", member_definitions=MEMBERS)
        pulumi.export("arn", auto_named.arn)
        pulumi.export("name", auto_named.workteam_name)

    stack = deploy(program).stack
    started = time.monotonic()
    up = stack.up()
    print("up", time.monotonic() - started)
    assert up.summary.result == "succeeded"
    name = up.outputs["name"].value
    assert name.startswith("labelers-") and up.outputs["arn"].value.endswith("/" + name)
    assert teams() == sorted([name, "reviewers"])
    preview = stack.preview()
    assert preview.change_summary == {"same": 3}
    stack.destroy()
    assert teams() == []
