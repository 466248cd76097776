"""Plan a Workteam: compare desired properties with what DescribeWorkteam + ListTags observed.

Pure. The result says whether nothing, an in-place update or a replacement is
needed, which properties move, and the exact minimal calls: one UpdateWorkteam
carrying only the changed members, then AddTags / DeleteTags (each request built by
``specs.workteam_api``, which also reads the live team back).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagemaker_reconciler.plan._compare import changed_paths, sort_set_like, tag_calls
from sagemaker_reconciler.plan.model import UNKNOWN, Action, ApiCall, ChangeKind, Plan, PropertyChange, contains_unknown
from sagemaker_reconciler.specs.workteam import REPLACE_ON_CHANGE, parse_workteam
from sagemaker_reconciler.specs.workteam_api import create_request, delete_request, update_request

__all__ = ["plan_workteam", "comparable_workteam", "program_changes", "RESOURCE_TYPE"]

RESOURCE_TYPE = "Workteam"
_COMPARED = (
    "workteamName",
    "workforceName",
    "description",
    "memberDefinitions",
    "notificationConfiguration",
    "workerAccessConfiguration",
    "tags",
)


def _canonical_member(member: Any) -> Any:
    if not isinstance(member, Mapping):
        return member
    oidc = member.get("oidcMemberDefinition")
    if isinstance(oidc, Mapping) and isinstance(oidc.get("groups"), (list, tuple)):
        member = {**member, "oidcMemberDefinition": {**oidc, "groups": sorted(oidc["groups"], key=repr)}}
    return dict(member)


def _enabled_constraints(block: Any) -> Any:
    """Only Enabled constraints mean anything: Disabled and absent are the same to the service."""
    if not isinstance(block, Mapping):
        return block
    presign = block.get("s3Presign")
    if not isinstance(presign, Mapping):
        return presign
    constraints = presign.get("iamPolicyConstraints")
    if not isinstance(constraints, Mapping):
        return constraints
    enabled = {k: v for k, v in constraints.items() if v is UNKNOWN or v == "Enabled"}
    return {"s3Presign": {"iamPolicyConstraints": enabled}} if enabled else None


def comparable_workteam(props: Mapping[str, Any]) -> dict[str, Any]:
    """The form two Workteams are compared in: set-like lists sorted, meaningless blocks dropped."""
    out: dict[str, Any] = {}
    for key in _COMPARED:
        value = props.get(key)
        if key == "memberDefinitions" and isinstance(value, (list, tuple)):
            value = sort_set_like(_canonical_member(m) for m in value)
        elif key == "notificationConfiguration" and isinstance(value, Mapping):
            value = dict(value) if value.get("notificationTopicArn") else None
        elif key == "workerAccessConfiguration":
            value = _enabled_constraints(value)
        elif key == "tags" and isinstance(value, Mapping):
            value = dict(value)
        if value is not None:
            out[key] = value
    return out


def program_changes(stored: Mapping[str, Any], desired: Mapping[str, Any]) -> list[PropertyChange]:
    """What the program changed since the last deployment (stored inputs vs desired, normalised as
    the live comparison is); forceDelete included, undeclared workforceName/tags are not managed."""
    have, want = comparable_workteam(stored), comparable_workteam(desired)
    for unmanaged in ("workforceName", "tags"):
        if unmanaged not in want:
            have.pop(unmanaged, None)
    have["forceDelete"] = bool(stored.get("forceDelete", False))
    want["forceDelete"] = bool(desired.get("forceDelete", False))
    return [
        PropertyChange(
            prop,
            ChangeKind.REPLACE if prop in REPLACE_ON_CHANGE else ChangeKind.UPDATE,
            have.get(prop),
            want.get(prop),
            tuple(paths),
        )
        for prop, paths in changed_paths(have, want).items()
    ]


def plan_workteam(desired: Mapping[str, Any], observed: Mapping[str, Any] | None) -> Plan:
    """Desired camelCase properties (may hold UNKNOWN during preview) vs observed (None: absent)."""
    name = desired.get("workteamName")
    display_name = "<unknown>" if name is UNKNOWN else str(name)
    want = comparable_workteam(desired)
    known = not contains_unknown(want)

    if observed is None:
        changes = tuple(PropertyChange(k, ChangeKind.UPDATE, None, v) for k, v in want.items() if k != "tags" or v)
        calls: tuple[ApiCall, ...] = (
            (ApiCall("CreateWorkteam", create_request(parse_workteam(desired))),) if known else ()
        )
        return Plan(RESOURCE_TYPE, display_name, Action.CREATE, changes, calls)

    have = comparable_workteam(observed)
    for unmanaged in ("workforceName", "tags"):
        if unmanaged not in want:
            have.pop(unmanaged, None)  # not declared, not managed: the service's (or someone else's)
    moved = changed_paths(have, want)
    changes = tuple(
        PropertyChange(
            prop,
            ChangeKind.REPLACE if prop in REPLACE_ON_CHANGE else ChangeKind.UPDATE,
            have.get(prop),
            want.get(prop),
            tuple(paths),
        )
        for prop, paths in moved.items()
    )
    if not changes:
        return Plan(RESOURCE_TYPE, display_name, Action.NOOP)
    if any(c.kind is ChangeKind.REPLACE for c in changes):
        calls = ()
        if known:
            calls = (
                ApiCall("DeleteWorkteam", delete_request(observed["workteamName"])),
                ApiCall("CreateWorkteam", create_request(parse_workteam(desired))),
            )
        return Plan(RESOURCE_TYPE, display_name, Action.REPLACE, changes, calls)

    update_calls: list[ApiCall] = []
    if known:
        in_place = [c.property for c in changes if c.property != "tags"]
        if in_place:
            update_calls.append(ApiCall("UpdateWorkteam", update_request(str(name), desired, in_place)))
        if "tags" in moved:
            update_calls.extend(tag_calls(observed["workteamArn"], have.get("tags", {}), want.get("tags", {})))
    return Plan(RESOURCE_TYPE, display_name, Action.UPDATE, changes, tuple(update_calls))
