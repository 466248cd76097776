"""Every rule of the CreateWorkteam reference is refused at validation, naming the property."""

import pytest

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.unit.workteam_samples import COGNITO_MEMBER, cognito_team, oidc_team


def _violations(props):
    with pytest.raises(SpecError) as info:
        parse_workteam(props)
    return {v.field: v.rule for v in info.value.violations}


def _cognito(**fields):
    return {"cognitoMemberDefinition": {**COGNITO_MEMBER["cognitoMemberDefinition"], **fields}}


BAD = [
    ("empty name", cognito_team(workteamName=""), "workteamName", "at least 1"),
    ("name too long", cognito_team(workteamName="a" * 64), "workteamName", "at most 63"),
    ("name leading hyphen", cognito_team(workteamName="-team"), "workteamName", "letter or digit"),
    ("name trailing hyphen", cognito_team(workteamName="team-"), "workteamName", "letter or digit"),
    ("name underscore", cognito_team(workteamName="team_a"), "workteamName", "hyphens"),
    ("name missing", {k: v for k, v in cognito_team().items() if k != "workteamName"}, "workteamName", "required"),
    ("workforce bad char", cognito_team(workforceName="force_1"), "workforceName", "letters, digits"),
    ("workforce too long", cognito_team(workforceName="f" * 64), "workforceName", "at most 63"),
    ("description empty", cognito_team(description=""), "description", "at least 1"),
    ("description too long", cognito_team(description="d" * 201), "description", "at most 200"),
    ("description missing", {k: v for k, v in cognito_team().items() if k != "description"}, "description", "required"),
    ("no members", cognito_team(memberDefinitions=[]), "memberDefinitions", "at least 1"),
    (
        "eleven members",
        cognito_team(memberDefinitions=[_cognito(userGroup=f"g{i}") for i in range(11)]),
        "memberDefinitions",
        "at most 10",
    ),
    ("member with neither", cognito_team(memberDefinitions=[{}]), "memberDefinitions[0]", "exactly one"),
    (
        "member with both",
        cognito_team(memberDefinitions=[{**COGNITO_MEMBER, "oidcMemberDefinition": {"groups": ["g"]}}]),
        "memberDefinitions[0]",
        "exactly one",
    ),
    (
        "cognito and oidc mixed",
        cognito_team(memberDefinitions=[COGNITO_MEMBER, {"oidcMemberDefinition": {"groups": ["g"]}}]),
        "memberDefinitions",
        "cannot be mixed",
    ),
    (
        "two user pools",
        cognito_team(memberDefinitions=[COGNITO_MEMBER, _cognito(userGroup="b", userPool="us-east-1_Other1")]),
        "memberDefinitions",
        "share one userPool and clientId",
    ),
    (
        "two client ids",
        cognito_team(memberDefinitions=[COGNITO_MEMBER, _cognito(userGroup="b", clientId="other")]),
        "memberDefinitions",
        "share one userPool and clientId",
    ),
    (
        "duplicate member",
        cognito_team(memberDefinitions=[COGNITO_MEMBER, COGNITO_MEMBER]),
        "memberDefinitions",
        "twice",
    ),
    (
        "user pool shape",
        cognito_team(memberDefinitions=[_cognito(userPool="nopool")]),
        "memberDefinitions[0].cognitoMemberDefinition.userPool",
        "user pool id",
    ),
    (
        "user pool too long",
        cognito_team(memberDefinitions=[_cognito(userPool="a_" + "b" * 54)]),
        "memberDefinitions[0].cognitoMemberDefinition.userPool",
        "at most 55",
    ),
    (
        "user group space",
        cognito_team(memberDefinitions=[_cognito(userGroup="two words")]),
        "memberDefinitions[0].cognitoMemberDefinition.userGroup",
        "no spaces",
    ),
    (
        "user group too long",
        cognito_team(memberDefinitions=[_cognito(userGroup="g" * 129)]),
        "memberDefinitions[0].cognitoMemberDefinition.userGroup",
        "at most 128",
    ),
    (
        "client id non-ascii",
        cognito_team(memberDefinitions=[_cognito(clientId="clé")]),
        "memberDefinitions[0].cognitoMemberDefinition.clientId",
        "printable ASCII",
    ),
    (
        "client id missing",
        cognito_team(memberDefinitions=[{"cognitoMemberDefinition": {"userPool": "us-east-1_A1", "userGroup": "g"}}]),
        "memberDefinitions[0].cognitoMemberDefinition.clientId",
        "required",
    ),
    (
        "oidc no groups",
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": []}}]),
        "memberDefinitions[0].oidcMemberDefinition.groups",
        "at least 1",
    ),
    (
        "oidc eleven groups",
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": [f"g{i}" for i in range(11)]}}]),
        "memberDefinitions[0].oidcMemberDefinition.groups",
        "at most 10",
    ),
    (
        "oidc group too long",
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": ["g" * 64]}}]),
        "memberDefinitions[0].oidcMemberDefinition.groups[0]",
        "at most 63",
    ),
    (
        "oidc group empty",
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": [""]}}]),
        "memberDefinitions[0].oidcMemberDefinition.groups[0]",
        "at least 1",
    ),
    (
        "oidc duplicate group",
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": ["a", "a"]}}]),
        "memberDefinitions[0].oidcMemberDefinition.groups",
        "duplicated: a",
    ),
    (
        "topic not sns",
        cognito_team(notificationConfiguration={"notificationTopicArn": "arn:aws:sqs:us-east-1:123456789012:q"}),
        "notificationConfiguration.notificationTopicArn",
        "SNS topic ARN",
    ),
    (
        "topic short account",
        cognito_team(notificationConfiguration={"notificationTopicArn": "arn:aws:sns:us-east-1:1234:t"}),
        "notificationConfiguration.notificationTopicArn",
        "SNS topic ARN",
    ),
    (
        "source ip enum",
        cognito_team(workerAccessConfiguration={"s3Presign": {"iamPolicyConstraints": {"sourceIp": "On"}}}),
        "workerAccessConfiguration.s3Presign.iamPolicyConstraints.sourceIp",
        "'Enabled' or 'Disabled'",
    ),
    (
        "vpc source ip enum",
        cognito_team(workerAccessConfiguration={"s3Presign": {"iamPolicyConstraints": {"vpcSourceIp": "enabled"}}}),
        "workerAccessConfiguration.s3Presign.iamPolicyConstraints.vpcSourceIp",
        "'Enabled' or 'Disabled'",
    ),
    (
        "unknown constraint",
        cognito_team(workerAccessConfiguration={"s3Presign": {"iamPolicyConstraints": {"region": "Enabled"}}}),
        "workerAccessConfiguration.s3Presign.iamPolicyConstraints.region",
        "not a known property",
    ),
    ("51 tags", cognito_team(tags={f"k{i}": "v" for i in range(51)}), "tags", "at most 50"),
    ("tag key too long", cognito_team(tags={"k" * 129: "v"}), "tags", "1-128"),
    ("tag value too long", cognito_team(tags={"k": "v" * 257}), "tags", "at most 256"),
    ("tag aws prefix", cognito_team(tags={"aws:owner": "me"}), "tags", "reserved"),
    ("tag bad char", cognito_team(tags={"k": "semi;colon"}), "tags", "may contain"),
    ("unknown property", cognito_team(workteamArn="arn"), "workteamArn", "not a known property"),
    ("wrong type", cognito_team(description=42), "description", "string"),
]


@pytest.mark.parametrize("case, props, field, rule", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_naming_field_and_rule(case, props, field, rule):
    violations = _violations(props)
    assert field in violations, violations
    assert rule in violations[field]


def test_every_error_is_reported_at_once():
    violations = _violations(cognito_team(workteamName="-x", description="", tags={"aws:x": "y"}))
    assert {"workteamName", "description", "tags"} <= set(violations)


@pytest.mark.parametrize(
    "props",
    [
        cognito_team(),
        oidc_team(),
        cognito_team(workteamName="a"),
        cognito_team(workteamName="a--b" + "c" * 59),
        cognito_team(memberDefinitions=[_cognito(userGroup=f"group-{i}") for i in range(10)]),
        cognito_team(workerAccessConfiguration={"s3Presign": {"iamPolicyConstraints": {"sourceIp": "Enabled"}}}),
        cognito_team(tags={f"k{i}": "" for i in range(50)}),
        cognito_team(tags={"Projet é": "vision / 2026 +@=:"}),
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": ["équipe", "g" * 63]}}]),
    ],
)
def test_valid_specs_pass(props):
    assert parse_workteam(props).workteam_name == props["workteamName"]


def test_snake_case_keys_and_pulumi_floats_are_accepted():
    spec = parse_workteam(
        {
            "workteam_name": "t",
            "description": "d",
            "member_definitions": [{"oidc_member_definition": {"groups": ["g"]}}],
            "force_delete": True,
        }
    )
    assert spec.force_delete is True
    assert spec.to_props()["memberDefinitions"] == [{"oidcMemberDefinition": {"groups": ["g"]}}]


def test_create_request_carries_exactly_what_was_declared():
    request = parse_workteam(cognito_team(tags={"b": "2", "a": "1"})).to_create_request()
    assert request == {
        "WorkteamName": "team-a",
        "Description": "Labels street scenes",
        "MemberDefinitions": [
            {
                "CognitoMemberDefinition": {
                    "UserPool": "us-east-1_AbCdEf123",
                    "UserGroup": "labelers",
                    "ClientId": "client1",
                }
            }
        ],
        "NotificationConfiguration": {"NotificationTopicArn": "arn:aws:sns:us-east-1:123456789012:labeling-events"},
        "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
    }
