"""The Workteam as a Pulumi dynamic resource, driven by the same core as the CLI.

diff describes the live team (drift-aware) instead of trusting stored state;
`changes` is always a bool so the engine never falls back to diffing the
pickled provider itself.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import DiffResult

from sagemaker_reconciler.plan.explain import explain_lines
from sagemaker_reconciler.plan.model import UNKNOWN, contains_unknown
from sagemaker_reconciler.plan.workteam import program_changes
from sagemaker_reconciler.pulumi_resources._common import (
    AUTONAME_KEY,
    BackendProvider,
    add_snake_case_attributes,
    explain,
    from_wire,
    resource_props,
    spec_props,
)
from sagemaker_reconciler.resource_types import WORKTEAM
from sagemaker_reconciler.specs.workteam import parse_workteam

__all__ = ["Workteam", "WorkteamProvider"]


class WorkteamProvider(BackendProvider):
    """CRUD for a SageMaker Workteam. Constructible with no arguments: the AWS environment decides."""

    KIND = WORKTEAM

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        fixed_name = AUTONAME_KEY not in news
        outputs, name_key = WORKTEAM.output_names(), WORKTEAM.name_property
        desired = spec_props(news, outputs)
        if not contains_unknown(desired):
            desired = parse_workteam(desired).to_props()
        live = self.backend(desired).live(id_, desired, from_wire(olds))
        if live.gone or live.plan is None:
            explain([f"{id_}: the work team no longer exists (deleted outside Pulumi): it will be recreated"])
            # Deleted out of band: recreate it (deleting the old one is then a no-op).
            return DiffResult(changes=True, replaces=[name_key], delete_before_replace=True)
        plan = live.plan
        edits = program_changes(spec_props(olds, outputs), desired)
        explain(explain_lines(WORKTEAM.name, id_, plan, edits))
        force_moved = any(edit.property == "forceDelete" for edit in edits)
        replaces = plan.replaces
        # Delete first only when the new team takes the old one's name; a rename creates the new one first.
        keeps_name = fixed_name and desired.get(name_key) in (id_, UNKNOWN)
        return DiffResult(
            changes=plan.has_changes or force_moved,
            replaces=replaces,
            delete_before_replace=bool(replaces) and keeps_name,
        )


class Workteam(pulumi.dynamic.Resource, module="sagemaker", name="Workteam"):
    """A SageMaker labeling work team.

    Keyword arguments are snake_case; nested blocks may be dicts with snake_case
    or camelCase keys. Omit `workteam_name` to get ``<resource_name>-<random>``.
    """

    workteam_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    subdomain: pulumi.Output[str]
    create_date: pulumi.Output[str]
    last_updated_date: pulumi.Output[str]
    product_listing_ids: pulumi.Output[list]
    workforce_arn: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        description: pulumi.Input[str],
        member_definitions: pulumi.Input[list],
        workteam_name: pulumi.Input[str] | None = None,
        workforce_name: pulumi.Input[str] | None = None,
        notification_configuration: pulumi.Input[dict] | None = None,
        worker_access_configuration: pulumi.Input[dict] | None = None,
        tags: pulumi.Input[dict] | None = None,
        force_delete: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        provider_config: WorkteamProvider | None = None,
    ) -> None:
        args = {
            "workteam_name": workteam_name,
            "workforce_name": workforce_name,
            "description": description,
            "member_definitions": member_definitions,
            "notification_configuration": notification_configuration,
            "worker_access_configuration": worker_access_configuration,
            "tags": tags,
            "force_delete": force_delete,
        }
        props = resource_props(args, resource_name, "workteam_name", WORKTEAM.output_names())
        super().__init__(provider_config or WorkteamProvider(), resource_name, props, opts)
        add_snake_case_attributes(self, props)
