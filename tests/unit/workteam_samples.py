"""Valid Workteam specs shared by the unit tests, as a user would write them (camelCase)."""

COGNITO_MEMBER = {
    "cognitoMemberDefinition": {"userPool": "us-east-1_AbCdEf123", "userGroup": "labelers", "clientId": "client1"}
}
TOPIC = "arn:aws:sns:us-east-1:123456789012:labeling-events"


def cognito_team(**overrides):
    props = {
        "workteamName": "team-a",
        "description": "Labels street scenes",
        "memberDefinitions": [COGNITO_MEMBER],
        "notificationConfiguration": {"notificationTopicArn": TOPIC},
        "tags": {"team": "vision"},
    }
    props.update(overrides)
    return props


def oidc_team(**overrides):
    props = {
        "workteamName": "team-oidc",
        "workforceName": "oidc-force",
        "description": "OIDC labelers",
        "memberDefinitions": [{"oidcMemberDefinition": {"groups": ["g1", "g2", "g3"]}}],
    }
    props.update(overrides)
    return props


def describe_body(props, arn="arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x"):
    """What DescribeWorkteam would return for `props` (PascalCase), tags excluded."""
    from sagemaker_reconciler.specs.workteam import api_shape

    body = api_shape({k: v for k, v in props.items() if k not in ("tags", "workforceName", "forceDelete")})
    body["WorkteamArn"] = arn
    body["WorkforceArn"] = "arn:aws:sagemaker:us-east-1:123456789012:workforce/" + props.get("workforceName", "default")
    return body
