"""A Workteam's whole life through the reconciler, boto3 and real HTTP to the embedded endpoint.

The endpoint's request log shows exactly what went over the wire, so "the
minimal call" is asserted on the request the service received.
"""

import boto3
import pytest

from sagemaker_reconciler.aws import AwsConfig, SageMakerGateway
from sagemaker_reconciler.errors import DeleteRefused, LimitExceeded, SpecError
from sagemaker_reconciler.plan import Action
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.unit.test_workteam_spec import BAD
from tests.unit.workteam_samples import cognito_team

WRITES = {"CreateWorkteam", "UpdateWorkteam", "DeleteWorkteam", "AddTags", "DeleteTags"}


@pytest.fixture
def reconciler(endpoint, aws_env):
    return WorkteamReconciler(SageMakerGateway(AwsConfig()))


def sent(endpoint, operation):
    return [r.params for r in endpoint.requests if r.operation == operation]


def test_create_update_tags_drift_delete(endpoint, reconciler):
    spec = parse_workteam(cognito_team())
    outputs = reconciler.create(spec)
    assert outputs["arn"].endswith(":workteam/private-crowd/team-a")
    assert outputs["subdomain"] and outputs["workforceArn"].endswith(":workforce/default")
    assert outputs["description"] == "Labels street scenes"
    assert reconciler.plan(spec)[0].action is Action.NOOP

    # description only: the request carries WorkteamName and Description and nothing else
    endpoint.clear_requests()
    edited = parse_workteam(cognito_team(description="Labels street scenes at night"))
    reconciler.update(edited)
    assert sent(endpoint, "UpdateWorkteam") == [
        {"WorkteamName": "team-a", "Description": "Labels street scenes at night"}
    ]
    assert not {r.operation for r in endpoint.requests} & (WRITES - {"UpdateWorkteam"})

    # add a member: the whole member list is sent
    endpoint.clear_requests()
    member = {
        "cognitoMemberDefinition": {"userPool": "us-east-1_AbCdEf123", "userGroup": "reviewers", "clientId": "client1"}
    }
    grown = parse_workteam(
        cognito_team(
            description="Labels street scenes at night",
            memberDefinitions=[*cognito_team()["memberDefinitions"], member],
        )
    )
    reconciler.update(grown)
    (request,) = sent(endpoint, "UpdateWorkteam")
    assert set(request) == {"WorkteamName", "MemberDefinitions"} and len(request["MemberDefinitions"]) == 2

    # tags change: AddTags/DeleteTags only, no UpdateWorkteam
    endpoint.clear_requests()
    retagged = parse_workteam({**grown.to_props(), "tags": {"stage": "pilot"}})
    reconciler.update(retagged)
    assert sent(endpoint, "UpdateWorkteam") == []
    assert sent(endpoint, "AddTags")[0]["Tags"] == [{"Key": "stage", "Value": "pilot"}]
    assert sent(endpoint, "DeleteTags")[0]["TagKeys"] == ["team"]
    assert reconciler.plan(retagged)[0].action is Action.NOOP

    # someone edits the team in the console: drift, planned back to the spec
    boto3.client("sagemaker").update_workteam(WorkteamName="team-a", Description="changed by hand")
    drift, _ = reconciler.plan(retagged)
    assert drift.action is Action.UPDATE
    assert [(c.property, c.old, c.new) for c in drift.changes] == [
        ("description", "changed by hand", "Labels street scenes at night")
    ]

    reconciler.delete("team-a")
    assert reconciler.observe("team-a") is None
    reconciler.delete("team-a")  # already gone: still success


def test_removing_the_notification_block_really_clears_the_topic(endpoint, reconciler):
    reconciler.create(parse_workteam(cognito_team()))
    without = parse_workteam({k: v for k, v in cognito_team().items() if k != "notificationConfiguration"})
    reconciler.update(without)
    live = boto3.client("sagemaker").describe_workteam(WorkteamName="team-a")["Workteam"]
    assert "NotificationTopicArn" not in (live.get("NotificationConfiguration") or {})
    assert reconciler.plan(without)[0].action is Action.NOOP


def test_worker_access_round_trip(endpoint, reconciler):
    constrained = cognito_team(
        workerAccessConfiguration={"s3Presign": {"iamPolicyConstraints": {"sourceIp": "Enabled"}}}
    )
    reconciler.create(parse_workteam(constrained))
    assert reconciler.plan(parse_workteam(constrained))[0].action is Action.NOOP
    reconciler.update(parse_workteam(cognito_team()))
    assert reconciler.plan(parse_workteam(cognito_team()))[0].action is Action.NOOP


def test_delete_refuses_while_labeling_work_is_pending_unless_forced(endpoint, reconciler):
    reconciler.create(parse_workteam(cognito_team()))
    endpoint.add_labeling_job("team-a", "street-job", pending_human=3, total=10)
    with pytest.raises(DeleteRefused, match="street-job.*forceDelete"):
        reconciler.delete("team-a")
    assert reconciler.observe("team-a") is not None
    reconciler.delete("team-a", force=True)
    assert reconciler.observe("team-a") is None


def test_finished_labeling_jobs_do_not_block_delete(endpoint, reconciler):
    reconciler.create(parse_workteam(cognito_team()))
    endpoint.add_labeling_job("team-a", "done-job", pending_human=0, total=10)
    reconciler.delete("team-a")
    assert reconciler.observe("team-a") is None


def test_the_25_team_limit_is_a_clear_error(endpoint, reconciler):
    for i in range(25):
        reconciler.create(parse_workteam(cognito_team(workteamName=f"team-{i}", tags={})))
    with pytest.raises(LimitExceeded, match="at most 25 work teams"):
        reconciler.create(parse_workteam(cognito_team(workteamName="one-too-many")))


@pytest.mark.parametrize("case, props, field, rule", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_rejected_before_any_call(endpoint, aws_env, case, props, field, rule):
    with pytest.raises(SpecError) as info:
        WorkteamReconciler(SageMakerGateway(AwsConfig())).plan(parse_workteam(props))
    assert field in info.value.fields
    assert endpoint.requests == []
    assert boto3.client("sagemaker").list_workteams()["Workteams"] == []
