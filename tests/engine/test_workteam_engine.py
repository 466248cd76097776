"""WorkteamProvider over the engine's real gRPC protocol, against the embedded endpoint.

The SDK's own dynamic-provider server runs in a subprocess; properties are
serialized as the engine serializes them (floats, dropped None keys, preview
Unknowns) and the provider travels as the SDK pickles it.
"""

from __future__ import annotations

import boto3
import pytest
from pulumi.output import Unknown

from sagemaker_reconciler import WorkteamProvider
from sagemaker_reconciler.pulumi_resources._common import AUTONAME_KEY
from tests.unit.workteam_samples import cognito_team, oidc_team

from .harness import ProviderError, decoded_provider_bytes, serialized_provider, without_provider


@pytest.fixture
def server(engine_factory, endpoint, aws_env):
    """A provider server whose environment points at the embedded endpoint, as a user's shell would."""
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
    inputs, failures = server.check(WorkteamProvider(), {}, props)
    assert failures == []
    return server.create(WorkteamProvider(), inputs)


def test_check_names_the_failing_property_and_makes_no_call(server, endpoint):
    _, failures = server.check(WorkteamProvider(), {}, cognito_team(workteamName="bad_name", description=""))
    assert {prop for prop, _ in failures} == {"workteamName", "description"}
    assert endpoint.requests == []


def test_check_auto_names_and_keeps_the_name_on_later_runs(server):
    props = {**cognito_team(), AUTONAME_KEY: "labelers"}
    props.pop("workteamName")
    first, failures = server.check(WorkteamProvider(), {}, props)
    assert failures == []
    assert first["workteamName"].startswith("labelers-") and len(first["workteamName"]) == len("labelers-") + 7
    again, _ = server.check(WorkteamProvider(), first, props)
    assert again["workteamName"] == first["workteamName"]
    # on replacement the engine checks again with no olds: a fresh name, so create-before-delete works
    fresh, _ = server.check(WorkteamProvider(), {}, props)
    assert fresh["workteamName"] != first["workteamName"]


def test_check_with_preview_unknowns_only_reports_what_is_known(server):
    props = cognito_team(notificationConfiguration={"notificationTopicArn": Unknown()}, description="")
    inputs, failures = server.check(WorkteamProvider(), {}, props)
    assert [prop for prop, _ in failures] == ["description"]


def test_none_keys_are_dropped_and_bools_are_strict(server):
    inputs, failures = server.check(WorkteamProvider(), {}, {**oidc_team(), "workforceName": None, "forceDelete": True})
    assert failures == []
    assert "workforceName" not in inputs and inputs["forceDelete"] is True
    _, failures = server.check(WorkteamProvider(), {}, {**oidc_team(), "forceDelete": 1.0})  # a number is not a bool
    assert [prop for prop, _ in failures] == ["forceDelete"]


def test_create_returns_canonical_spec_and_outputs(server):
    team_id, outs = created(server, cognito_team())
    assert team_id == "team-a"
    outs = without_provider(outs)
    assert outs["arn"].endswith("workteam/private-crowd/team-a")
    assert outs["subdomain"] and outs["workforceArn"].endswith("workforce/default")
    assert outs["memberDefinitions"] == cognito_team()["memberDefinitions"]
    assert outs["tags"] == {"team": "vision"}


def test_diff_is_drift_aware_and_exact(server):
    team_id, outs = created(server, cognito_team())
    provider = WorkteamProvider()
    assert server.diff(provider, team_id, outs, cognito_team()).changes == "DIFF_NONE"

    edited = server.diff(provider, team_id, outs, cognito_team(description="new"))
    assert (edited.changes, edited.replaces) == ("DIFF_SOME", [])

    moved = server.diff(provider, team_id, outs, cognito_team(workforceName="elsewhere"))
    assert moved.changes == "DIFF_SOME" and moved.replaces == ["workforceName"]
    assert moved.delete_before_replace is True  # the name is fixed: the new team needs it

    boto3.client("sagemaker").update_workteam(WorkteamName="team-a", Description="edited in the console")
    drift = server.diff(provider, team_id, outs, cognito_team())
    assert drift.changes == "DIFF_SOME" and drift.replaces == []


def test_preview_says_why_in_the_provider_log(server):
    team_id, outs = created(server, cognito_team())
    server.diff(WorkteamProvider(), team_id, outs, cognito_team(workforceName="elsewhere"))
    assert (
        'Workteam team-a: workforceName: "default" -> "elsewhere" [forces replacement; changed in the program]'
        in server.stderr()
    )
    boto3.client("sagemaker").update_workteam(WorkteamName="team-a", Description="edited in the console")
    server.diff(WorkteamProvider(), team_id, outs, cognito_team())
    assert (
        'Workteam team-a: description: "edited in the console" -> "Labels street scenes" '
        "[update in place; drift: changed outside Pulumi]"
    ) in server.stderr()
    boto3.client("sagemaker").delete_workteam(WorkteamName="team-a")
    server.diff(WorkteamProvider(), team_id, outs, cognito_team())
    assert "team-a: the work team no longer exists (deleted outside Pulumi)" in server.stderr()


def test_stack_config_namespace_configures_the_provider(engine_factory, endpoint, aws_env):
    server = engine_factory(
        env={
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": None,
            "AWS_REGION": None,
            "AWS_ENDPOINT_URL": None,
            "AWS_PROFILE": None,
        },
        config={"sagemaker-reconciler:region": "eu-west-1", "sagemaker-reconciler:endpoint": endpoint.url},
    )
    team_id, outs = created(server, cognito_team())
    assert outs["arn"].startswith("arn:aws:sagemaker:eu-west-1:")
    assert {r.region for r in endpoint.requests} == {"eu-west-1"}


def test_auto_named_replacement_is_create_before_delete(server):
    props = {**oidc_team(), AUTONAME_KEY: "labelers"}
    props.pop("workteamName")
    inputs, _ = server.check(WorkteamProvider(), {}, props)
    team_id, outs = server.create(WorkteamProvider(), inputs)
    result = server.diff(WorkteamProvider(), team_id, outs, {**inputs, "workforceName": "other"})
    assert result.replaces == ["workforceName"] and result.delete_before_replace is False


def test_diff_during_preview_with_unknowns_does_not_crash(server):
    team_id, outs = created(server, cognito_team())
    result = server.diff(WorkteamProvider(), team_id, outs, cognito_team(description=Unknown()))
    assert result.changes == "DIFF_SOME" and result.replaces == []
    unknown_workforce = server.diff(WorkteamProvider(), team_id, outs, cognito_team(workforceName=Unknown()))
    assert unknown_workforce.replaces == ["workforceName"]


def test_team_deleted_out_of_band_is_recreated(server):
    team_id, outs = created(server, cognito_team())
    boto3.client("sagemaker").delete_workteam(WorkteamName="team-a")
    result = server.diff(WorkteamProvider(), team_id, outs, cognito_team())
    assert result.changes == "DIFF_SOME" and result.delete_before_replace is True


def test_update_sends_only_what_changed(server, endpoint):
    team_id, outs = created(server, cognito_team())
    endpoint.clear_requests()
    new_outs = server.update(WorkteamProvider(), team_id, outs, cognito_team(description="new words"))
    updates = [r.params for r in endpoint.requests if r.operation == "UpdateWorkteam"]
    assert updates == [{"WorkteamName": "team-a", "Description": "new words"}]
    assert new_outs["description"] == "new words"


def test_refresh_and_import_read_the_live_team(server):
    team_id, outs = created(server, cognito_team())
    boto3.client("sagemaker").update_workteam(WorkteamName="team-a", Description="edited in the console")
    read_id, read_outs, read_inputs = server.read(WorkteamProvider(), team_id, outs)
    assert read_id == "team-a" and read_outs["description"] == "edited in the console"
    assert read_inputs["description"] == "edited in the console"

    # read with nothing stored: what an import file's inputs and outputs are built from
    # (sagemaker_reconciler.pulumi_resources.importing). The engine's own import-by-ID Read carries no state at
    # all, not even __provider, so the SDK's server fails before reaching the provider (tests/engine_real).
    imported_id, imported_outs, imported_inputs = server.read(WorkteamProvider(), "team-a", {})
    assert imported_id == "team-a"
    assert without_provider(imported_inputs) == {
        "workteamName": "team-a",
        "workforceName": "default",
        "description": "edited in the console",
        "memberDefinitions": cognito_team()["memberDefinitions"],
        "notificationConfiguration": cognito_team()["notificationConfiguration"],
        "tags": {"team": "vision"},
        "forceDelete": False,
    }
    _, failures = server.check(WorkteamProvider(), {}, without_provider(imported_inputs))
    assert failures == []

    boto3.client("sagemaker").delete_workteam(WorkteamName="team-a")
    gone_id, _, _ = server.read(WorkteamProvider(), team_id, outs)
    assert gone_id == ""


def test_delete_refuses_pending_work_unless_forced_and_is_idempotent(server, endpoint):
    team_id, outs = created(server, cognito_team())
    endpoint.add_labeling_job("team-a", "busy-job", pending_human=5, total=5)
    with pytest.raises(ProviderError, match="forceDelete"):
        server.delete(WorkteamProvider(), team_id, outs)
    server.delete(WorkteamProvider(), team_id, {**outs, "forceDelete": True})
    server.delete(WorkteamProvider(), team_id, outs)  # already gone: success
    assert boto3.client("sagemaker").list_workteams()["Workteams"] == []


def test_delete_runs_the_old_provider_blob(server, endpoint):
    old_blob = serialized_provider(WorkteamProvider(endpoint=endpoint.url, region="us-east-1"))
    team_id, outs = created(server, cognito_team())
    server.delete(old_blob, team_id, outs)
    assert boto3.client("sagemaker").list_workteams()["Workteams"] == []


def test_serialized_provider_holds_no_credentials(monkeypatch):
    secrets = {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
    }
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    provider = WorkteamProvider(region="eu-west-1")
    provider.gateway()  # a client built during a call must not stick to the provider
    blob = decoded_provider_bytes(serialized_provider(provider))
    for value in secrets.values():
        assert value.encode() not in blob
    assert b"eu-west-1" in blob
    assert b"botocore" not in blob and b"boto3" not in blob


def test_a_renamed_fixed_name_team_is_created_before_the_old_one_goes(server):
    team_id, outs = created(server, cognito_team())
    renamed = server.diff(WorkteamProvider(), team_id, outs, cognito_team(workteamName="team-b"))
    assert renamed.replaces == ["workteamName"] and renamed.delete_before_replace is False
