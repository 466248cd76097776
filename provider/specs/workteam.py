"""Desired state of a SageMaker Workteam, with every rule of the CreateWorkteam reference.

Rules are checked here, before any API call: the service would refuse the same
input, but only after a round trip, and Pulumi would have shown a plan first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, field_validator, model_validator

from sagemaker_reconciler.specs._base import (
    LETTERS_MARKS_SYMBOLS_NUMBERS_PUNCTUATION,
    Model,
    check_pattern,
    parse_spec,
)
from sagemaker_reconciler.specs._tags import check_tags

__all__ = [
    "WORKTEAM_NAME_PATTERN",
    "CognitoMemberDefinition",
    "OidcMemberDefinition",
    "MemberDefinition",
    "NotificationConfiguration",
    "IamPolicyConstraints",
    "S3Presign",
    "WorkerAccessConfiguration",
    "WorkteamSpec",
    "parse_workteam",
    "REPLACE_ON_CHANGE",
    "UPDATABLE",
    "api_shape",
    "props_shape",
]

WORKTEAM_NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
WORKFORCE_NAME_PATTERN = r"[a-zA-Z0-9]([a-zA-Z0-9\-]){0,62}"
SNS_TOPIC_ARN_PATTERN = r"arn:aws[a-z\-]*:sns:[a-z0-9\-]*:[0-9]{12}:[a-zA-Z0-9_.-]*"

# Which properties UpdateWorkteam can change, and which force a new team.
UPDATABLE = ("description", "memberDefinitions", "notificationConfiguration", "workerAccessConfiguration")
REPLACE_ON_CHANGE = ("workteamName", "workforceName")


def _letters_etc(value: str) -> str:
    return check_pattern(
        value,
        LETTERS_MARKS_SYMBOLS_NUMBERS_PUNCTUATION,
        "may contain only letters, marks, symbols, numbers and punctuation (no spaces)",
    )


ONE_LINE = "must be one line: no line breaks (\\n, \\r, U+0085, U+2028, U+2029)"


WorkteamName = Annotated[
    str,
    Field(min_length=1, max_length=63),
    AfterValidator(
        lambda v: check_pattern(
            v,
            WORKTEAM_NAME_PATTERN,
            "must start and end with a letter or digit and contain only letters, digits and hyphens",
        )
    ),
]
WorkforceName = Annotated[
    str,
    Field(min_length=1, max_length=63),
    AfterValidator(
        lambda v: check_pattern(
            v, WORKFORCE_NAME_PATTERN, "must start with a letter or digit and contain only letters, digits and hyphens"
        )
    ),
]
UserPool = Annotated[
    str,
    Field(min_length=1, max_length=55),
    AfterValidator(
        lambda v: check_pattern(
            v, r"[\w-]+_[0-9a-zA-Z]+", "must look like a Cognito user pool id, e.g. us-east-1_AbCdEf123"
        )
    ),
]
UserGroup = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_letters_etc)]
ClientId = Annotated[
    str,
    Field(min_length=1, max_length=1024),
    AfterValidator(lambda v: check_pattern(v, r"[ -~]+", "may contain only printable ASCII characters")),
]
OidcGroup = Annotated[str, Field(min_length=1, max_length=63), AfterValidator(_letters_etc)]
EnabledOrDisabled = Literal["Enabled", "Disabled"]


class CognitoMemberDefinition(Model):
    """A Cognito user group of the workforce's user pool."""

    user_pool: UserPool
    """The workforce's Cognito user pool ID, e.g. `us-east-1_AbCdEf123`."""
    user_group: UserGroup
    """The user group of that pool whose users are the team's workers (the group's name)."""
    client_id: ClientId
    """The ID of the user pool's app client that the labeling portal signs in with."""


class OidcMemberDefinition(Model):
    """Groups of the workforce's own OIDC identity provider; a set, so order never matters."""

    groups: Annotated[tuple[OidcGroup, ...], Field(min_length=1, max_length=10)] | None = None
    """The identity provider's group names (1-63 letters, marks, symbols, numbers or punctuation each);
    a set: order never matters, no duplicates. Optional in the API."""

    @field_validator("groups")
    @classmethod
    def _unique(cls, groups: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if groups is None:
            return None
        duplicates = sorted({g for g in groups if groups.count(g) > 1})
        if duplicates:
            raise ValueError(f"groups are a set; duplicated: {', '.join(duplicates)}")
        return groups


class MemberDefinition(Model):
    """Who the workers are: exactly one of a Cognito user group or OIDC groups."""

    cognito_member_definition: CognitoMemberDefinition | None = None
    """A Cognito user group; exactly one of `cognitoMemberDefinition` and `oidcMemberDefinition`."""
    oidc_member_definition: OidcMemberDefinition | None = None
    """Groups of an OIDC identity provider; exactly one of `cognitoMemberDefinition` and
    `oidcMemberDefinition`."""

    @model_validator(mode="after")
    def _exactly_one(self) -> MemberDefinition:
        if (self.cognito_member_definition is None) == (self.oidc_member_definition is None):
            raise ValueError("needs exactly one of cognitoMemberDefinition or oidcMemberDefinition")
        return self


class NotificationConfiguration(Model):
    """How workers hear about new labeling tasks."""

    notification_topic_arn: (
        Annotated[
            str,
            AfterValidator(
                lambda v: check_pattern(
                    v,
                    SNS_TOPIC_ARN_PATTERN,
                    "must be an SNS topic ARN: arn:aws:sns:<region>:<12-digit account>:<topic>",
                )
            ),
        ]
        | None
    ) = None
    """The SNS topic (`arn:aws:sns:<region>:<account>:<topic>`) that notifies workers of new tasks; a block
    without it (`{}`) is the same as no block: no topic."""


class IamPolicyConstraints(Model):
    """Conditions added to the IAM policy of the presigned S3 URLs workers get; `Disabled` is the
    same as absent."""

    source_ip: EnabledOrDisabled | None = None
    """`Enabled`: the URLs work only from the workforce's allowed source IP ranges."""
    vpc_source_ip: EnabledOrDisabled | None = None
    """`Enabled`: the URLs work only through the workforce's VPC endpoint."""


class S3Presign(Model):
    """Presigned S3 URLs through which workers load task assets."""

    iam_policy_constraints: IamPolicyConstraints | None = None
    """Conditions on the IAM policy of the presigned URLs."""


class WorkerAccessConfiguration(Model):
    """Workers' access to task assets in S3."""

    s3_presign: S3Presign | None = None
    """Restrictions on the presigned S3 URLs workers receive."""


class WorkteamSpec(Model):
    """The inputs of a Workteam, as a user declares them.

    `workforceName` omitted means "whatever workforce the service picks" and is
    then not compared; the other optional blocks omitted mean "none".
    """

    workteam_name: WorkteamName
    """The team's name, unique in the account and region: letters, digits and hyphens, starting and
    ending with a letter or digit. A Pulumi program may omit it (`<logical name>-<random>`); a
    `sagemaker-reconcile` manifest must set it."""
    workforce_name: WorkforceName | None = None
    """The workforce the team belongs to; omitted means the service's choice, which is then not
    compared."""
    description: Annotated[
        str, Field(min_length=1, max_length=200), AfterValidator(lambda v: check_pattern(v, ".+", ONE_LINE))
    ]
    """What the team does, on one line (the API's pattern `.+` refuses line breaks)."""
    member_definitions: Annotated[tuple[MemberDefinition, ...], Field(min_length=1, max_length=10)]
    """The team's workers: Cognito user groups or OIDC groups, never mixed; all Cognito members
    share one `userPool` and `clientId`. A set: order never matters."""
    notification_configuration: NotificationConfiguration | None = None
    """Where workers are notified of new tasks; removing the block clears the topic."""
    worker_access_configuration: WorkerAccessConfiguration | None = None
    """Restrictions on workers' access to task assets in S3."""
    tags: Annotated[dict[str, str], AfterValidator(check_tags)] | None = None
    """Tags: at most 50; keys of 1-128 characters without the `aws:` prefix, values of at most
    256. Changed in place (AddTags/DeleteTags). Omitted: tags are not managed (not read, not
    compared); `{}` manages them as none."""
    force_delete: StrictBool = False
    """Delete the team even while labeling jobs still have work for humans. This provider's own
    input: never sent to SageMaker."""

    @field_validator("notification_configuration")
    @classmethod
    def _no_topic_is_no_block(cls, block: NotificationConfiguration | None) -> NotificationConfiguration | None:
        """`{}` sends no topic, exactly as an absent block does: one spelling in state and in plans."""
        return None if block is None or block.notification_topic_arn is None else block

    @field_validator("member_definitions")
    @classmethod
    def _one_kind_one_pool(cls, members: tuple[MemberDefinition, ...]) -> tuple[MemberDefinition, ...]:
        cognito = [m.cognito_member_definition for m in members if m.cognito_member_definition]
        oidc = [m for m in members if m.oidc_member_definition]
        if cognito and oidc:
            raise ValueError("Cognito and OIDC member definitions cannot be mixed in one work team")
        pools = {(c.user_pool, c.client_id) for c in cognito}
        if len(pools) > 1:
            raise ValueError("all Cognito member definitions must share one userPool and clientId")
        seen: set[str] = set()
        for m in members:
            key = m.model_dump_json()
            if key in seen:
                raise ValueError("member definitions are a set; one is listed twice")
            seen.add(key)
        return members

    def to_create_request(self) -> dict[str, Any]:
        """CreateWorkteam parameters (PascalCase), exactly what the user declared (built in workteam_api)."""
        from sagemaker_reconciler.specs.workteam_api import create_request

        return create_request(self)


def parse_workteam(props: Mapping[str, Any]) -> WorkteamSpec:
    """Validate Workteam properties (camelCase or snake_case) or raise SpecError naming each field."""
    return parse_spec(WorkteamSpec, props, resource="Workteam")


def api_shape(value: Any) -> Any:
    """camelCase property tree -> the API's PascalCase member names."""
    if isinstance(value, Mapping):
        return {k[:1].upper() + k[1:]: api_shape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [api_shape(v) for v in value]
    return value


def props_shape(value: Any) -> Any:
    """The API's PascalCase member names -> camelCase property tree."""
    if isinstance(value, Mapping):
        return {k[:1].lower() + k[1:]: props_shape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [props_shape(v) for v in value]
    return value
