"""Work teams as SageMaker keeps them: the rules about creating, changing and removing them.

Values stay in the API's own shapes (``MemberDefinitions`` lists, configuration
dicts), as moto's models do; turning them into response bodies is the
responses module's job.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from .exceptions import ResourceInUse, ResourceLimitExceeded, ResourceNotFound, ValidationException
from .protocol import ACCOUNT_ID
from .state import Clock, EndpointState, RegionalBackend
from .tag_rules import check_tags_to_add

__all__ = ["WORKTEAM_LIMIT", "LabelingJob", "Workteam", "WorkteamBackend", "WorkteamSettings"]

WORKTEAM_LIMIT = 25
"""Work teams per account and region (CreateWorkteam: 'You cannot create more than 25')."""


class WorkteamSettings:
    """Endpoint-wide levers (``state.shared()``): the per-region team limit, raised only by load tests."""

    def __init__(self) -> None:
        self.limit = WORKTEAM_LIMIT


_DEFAULT_WORKFORCE = "default"

Json = dict[str, Any]


@dataclass
class LabelingJob:
    """A labeling job assigned to a team; only tests create them, to make work in progress exist."""

    name: str
    reference_code: str
    created: float
    pending_human: int
    total: int
    workers_per_data_object: int

    @property
    def human_labeled(self) -> int:
        return self.total - self.pending_human


@dataclass
class Workteam:
    name: str
    arn: str
    workforce_arn: str
    member_definitions: list[Json]
    description: str
    subdomain: str
    created: float
    last_updated: float
    notification_configuration: Json = field(default_factory=dict)
    worker_access_configuration: Json = field(default_factory=dict)
    tags: list[Json] = field(default_factory=list)
    labeling_jobs: list[LabelingJob] = field(default_factory=list)


class WorkteamBackend(RegionalBackend):
    """The work teams of one account in one region."""

    def __init__(self, region: str, account_id: str, clock: Clock, settings: WorkteamSettings | None = None):
        super().__init__(region, account_id, clock)
        self.settings = settings or WorkteamSettings()
        self._teams: dict[str, Workteam] = {}
        self._subdomains: dict[str, str] = {}

    @classmethod
    def for_region(cls, state: EndpointState, region: str) -> Self:
        return cls(region, ACCOUNT_ID, state.clock, state.shared(WorkteamSettings))

    def create(
        self,
        name: str,
        member_definitions: list[Json],
        description: str,
        workforce_name: str | None = None,
        notification_configuration: Json | None = None,
        worker_access_configuration: Json | None = None,
        tags: list[Json] | None = None,
    ) -> Workteam:
        _check_member_definitions(member_definitions)
        if name in self._teams:
            raise ResourceInUse(f"The work team {name} already exists.")
        limit = self.settings.limit
        if len(self._teams) >= limit:
            raise ResourceLimitExceeded(
                f"You have reached the limit of {limit} work teams in account "
                f"{self.account_id} and region {self.region}. Delete a work team before creating another."
            )
        workforce = workforce_name or _DEFAULT_WORKFORCE
        now = self.clock()
        team = Workteam(
            name=name,
            arn=f"arn:aws:sagemaker:{self.region}:{self.account_id}:workteam/private-crowd/{name}",
            workforce_arn=f"arn:aws:sagemaker:{self.region}:{self.account_id}:workforce/{workforce}",
            member_definitions=member_definitions,
            description=description,
            subdomain=self._subdomain(workforce),
            created=now,
            last_updated=now,
            notification_configuration=notification_configuration or {},
            worker_access_configuration=worker_access_configuration or {},
        )
        _merge_tags(team, tags or [])
        self._teams[name] = team
        return team

    def describe(self, name: str) -> Workteam:
        team = self._teams.get(name)
        if team is None:
            raise _does_not_exist(name)
        return team

    def update(
        self,
        name: str,
        member_definitions: list[Json] | None = None,
        description: str | None = None,
        notification_configuration: Json | None = None,
        worker_access_configuration: Json | None = None,
    ) -> Workteam:
        """Change only what is given; a given ``NotificationConfiguration`` without a topic clears it."""
        team = self.describe(name)
        if member_definitions is not None:
            _check_member_definitions(member_definitions)
            team.member_definitions = member_definitions
        if description is not None:
            team.description = description
        if notification_configuration is not None:
            team.notification_configuration = notification_configuration
        if worker_access_configuration is not None:
            team.worker_access_configuration = worker_access_configuration
        team.last_updated = self.clock()
        return team

    def delete(self, name: str) -> None:
        self.describe(name)
        del self._teams[name]

    def sorted_teams(
        self,
        sort_by: Literal["Name", "CreateDate"] = "CreateDate",
        descending: bool = False,
        name_contains: str | None = None,
    ) -> list[Workteam]:
        """Teams whose name contains ``name_contains`` (ignoring case), sorted."""
        teams = [
            team for team in self._teams.values() if name_contains is None or name_contains.lower() in team.name.lower()
        ]
        if sort_by == "Name":
            teams.sort(key=lambda team: team.name, reverse=descending)
        else:
            teams.sort(key=lambda team: team.created, reverse=descending)
        return teams

    def labeling_jobs(self, workteam_arn: str) -> list[LabelingJob]:
        team = self._by_arn(workteam_arn)
        if team is None:
            raise ResourceNotFound(f"The work team {workteam_arn} does not exist.")
        return list(team.labeling_jobs)

    def add_labeling_job(
        self, workteam_name: str, job_name: str, pending_human: int, total: int, workers_per_data_object: int = 1
    ) -> LabelingJob:
        team = self.describe(workteam_name)
        if not 0 <= pending_human <= total:
            raise ValidationException(f"pending_human must be between 0 and total ({total}), got {pending_human}.")
        job = LabelingJob(
            name=job_name,
            reference_code=uuid.uuid4().hex,
            created=self.clock(),
            pending_human=pending_human,
            total=total,
            workers_per_data_object=workers_per_data_object,
        )
        team.labeling_jobs.append(job)
        return job

    def clear_labeling_jobs(self) -> None:
        for team in self._teams.values():
            team.labeling_jobs.clear()

    def tags(self, arn: str) -> list[Json]:
        return list(self._tagged(arn).tags)

    def add_tags(self, arn: str, tags: list[Json]) -> list[Json]:
        """Add or overwrite by key; returns all the resource's tags, as AddTags does."""
        team = self._tagged(arn)
        _merge_tags(team, tags)
        return list(team.tags)

    def delete_tags(self, arn: str, keys: list[str]) -> None:
        team = self._tagged(arn)
        team.tags = [tag for tag in team.tags if tag["Key"] not in keys]

    def _tagged(self, arn: str) -> Workteam:
        team = self._by_arn(arn)
        if team is None:
            raise _does_not_exist(arn.rsplit("/", 1)[-1])
        return team

    def _by_arn(self, arn: str) -> Workteam | None:
        return next((team for team in self._teams.values() if team.arn == arn), None)

    def _subdomain(self, workforce: str) -> str:
        """One labeling portal per workforce, as in SageMaker: all its teams share the subdomain."""
        if workforce not in self._subdomains:
            label = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))
            self._subdomains[workforce] = f"{label}.labeling.{self.region}.sagemaker.aws"
        return self._subdomains[workforce]


def _does_not_exist(name: str) -> ValidationException:
    """SageMaker reports a missing team as a ValidationException; clients match 'The work team'."""
    return ValidationException(f"The work team {name} does not exist.")


def _check_member_definitions(member_definitions: list[Json]) -> None:
    """The rules the API reference states in prose, beyond what the service model encodes."""
    kinds = {
        kind
        for definition in member_definitions
        for kind in ("CognitoMemberDefinition", "OidcMemberDefinition")
        if definition.get(kind) is not None
    }
    if len(kinds) > 1:
        raise ValidationException(
            "MemberDefinitions cannot mix CognitoMemberDefinition and OidcMemberDefinition; "
            "a work team uses one kind of workforce."
        )
    if any(
        definition.get("CognitoMemberDefinition") is None and definition.get("OidcMemberDefinition") is None
        for definition in member_definitions
    ):
        raise ValidationException(
            "Each MemberDefinition must contain a CognitoMemberDefinition or an OidcMemberDefinition."
        )
    pools = {
        (cognito["UserPool"], cognito["ClientId"])
        for definition in member_definitions
        if (cognito := definition.get("CognitoMemberDefinition")) is not None
    }
    if len(pools) > 1:
        raise ValidationException(
            "All CognitoMemberDefinition objects in MemberDefinitions must have the same UserPool and ClientId."
        )


def _merge_tags(team: Workteam, tags: list[Json]) -> None:
    check_tags_to_add(team.tags, tags)
    by_key = {tag["Key"]: tag for tag in team.tags}
    by_key.update({tag["Key"]: {"Key": tag["Key"], "Value": tag["Value"]} for tag in tags})
    team.tags = list(by_key.values())
