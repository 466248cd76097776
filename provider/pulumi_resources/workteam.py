"""The Workteam as a Pulumi dynamic resource, driven by the same core as the CLI.

diff describes the live team (drift-aware) instead of trusting stored state;
`changes` is always a bool so the engine never falls back to diffing the
pickled provider itself.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from sagemaker_reconciler.plan.explain import explain_lines
from sagemaker_reconciler.plan.model import UNKNOWN, contains_unknown
from sagemaker_reconciler.plan.workteam import plan_workteam, program_changes
from sagemaker_reconciler.pulumi_resources._common import (
    AUTONAME_KEY,
    ConfiguredProvider,
    add_snake_case_attributes,
    checked_inputs,
    explain,
    from_wire,
    refreshed,
    remove_created,
    resource_props,
    spec_props,
    with_autoname,
)
from sagemaker_reconciler.reconcile.created import CreatedButFailed, create_workteam
from sagemaker_reconciler.reconcile.workteam import OUTPUT_KEYS, WorkteamReconciler
from sagemaker_reconciler.specs.workteam import parse_workteam

__all__ = ["Workteam", "WorkteamProvider"]


class WorkteamProvider(ConfiguredProvider):
    """CRUD for a SageMaker Workteam. Constructible with no arguments: the AWS environment decides."""

    def _reconciler(self) -> WorkteamReconciler:
        return WorkteamReconciler(self.gateway())

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return checked_inputs(olds, news, "workteamName", parse_workteam)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        fixed_name = AUTONAME_KEY not in news
        desired = spec_props(news, OUTPUT_KEYS)
        if not contains_unknown(desired):
            desired = parse_workteam(desired).to_props()
        observed = self._reconciler().observe(id_, tags="tags" in desired)
        if observed is None:
            explain([f"{id_}: the work team no longer exists (deleted outside Pulumi): it will be recreated"])
            # Deleted out of band: recreate it (deleting the old one is then a no-op).
            return DiffResult(changes=True, replaces=["workteamName"], delete_before_replace=True)
        plan = plan_workteam(desired, observed.props)
        edits = program_changes(spec_props(olds, OUTPUT_KEYS), desired)
        explain(explain_lines("Workteam", id_, plan, edits))
        force_moved = any(edit.property == "forceDelete" for edit in edits)
        replaces = plan.replaces
        # Delete first only when the new team takes the old one's name; a rename creates the new one first.
        keeps_name = fixed_name and desired.get("workteamName") in (id_, UNKNOWN)
        return DiffResult(
            changes=plan.has_changes or force_moved,
            replaces=replaces,
            delete_before_replace=bool(replaces) and keeps_name,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = parse_workteam(spec_props(props, OUTPUT_KEYS))
        reconciler = self._reconciler()
        try:
            outs = create_workteam(reconciler, spec)
        except CreatedButFailed as exc:
            # A failed create must leave nothing behind: an auto-named team would be orphaned by the next name.
            if AUTONAME_KEY not in props:
                raise
            remove_created(exc, lambda: reconciler.delete(spec.workteam_name, force=True))
        return CreateResult(spec.workteam_name, with_autoname(outs, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = parse_workteam(spec_props(news, OUTPUT_KEYS))
        outs = self._reconciler().update(spec)
        return UpdateResult(with_autoname(outs, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        observed = self._reconciler().read(id_)
        if observed is None:
            return ReadResult("", {})  # gone: the engine drops it from state
        return refreshed(id_, observed.spec_props(), observed.outputs(), props, "forceDelete")

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._reconciler().delete(id_, force=bool(from_wire(props).get("forceDelete", False)))


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
        props = resource_props(args, resource_name, "workteam_name", OUTPUT_KEYS)
        super().__init__(provider_config or WorkteamProvider(), resource_name, props, opts)
        add_snake_case_attributes(self, props)
