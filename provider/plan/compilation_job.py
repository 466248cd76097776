"""Plan a CompilationJob: jobs are immutable, so any input change is a replacement.

Pure. Compared against DescribeCompilationJob (+ ListTags): members the spec
does not declare are the service's defaults and are not compared; tags are
the one thing that changes in place. A job whose artifact is gone, or that
ended FAILED/STOPPED, is recreated.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from provider.plan._compare import changed_paths, tag_calls
from provider.plan.model import UNKNOWN, Action, ChangeKind, Plan, PropertyChange, contains_unknown

__all__ = ["plan_compilation_job", "comparable_job", "RESOURCE_TYPE"]

RESOURCE_TYPE = "CompilationJob"
_API_MEMBERS = ("compilationJobName", "roleArn", "modelPackageVersionArn", "inputConfig", "outputConfig",
                "vpcConfig", "stoppingCondition")
_SET_LIKE = ("securityGroupIds", "subnets")


def _normalized(key: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _normalized(k, v) for k, v in value.items()}
    if key in _SET_LIKE and isinstance(value, (list, tuple)):
        return sorted(value, key=repr)
    if key == "dataInputConfig" and isinstance(value, str):
        try:
            return json.dumps(json.loads(value))  # whitespace is not a change; key order is (input order)
        except (json.JSONDecodeError, RecursionError):
            return value
    return value


def _declared_part(observed: Any, desired: Any) -> Any:
    """The part of `observed` that `desired` declares: service-filled members are not drift."""
    if isinstance(desired, Mapping) and isinstance(observed, Mapping):
        return {k: _declared_part(observed.get(k), v) for k, v in desired.items() if k in observed}
    return observed


def comparable_job(props: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: _normalized(k, props[k]) for k in _API_MEMBERS if props.get(k) is not None}
    out["mode"] = props.get("mode", "cloud")
    return out


def plan_compilation_job(
    desired: Mapping[str, Any],
    observed: Mapping[str, Any] | None,
    *,
    status: str | None = None,
    artifact_exists: bool | None = None,
) -> Plan:
    """Desired camelCase properties vs the observed job (None: absent).

    `status` and `artifact_exists` are what the caller saw of the live job and
    its S3 artifact; either can make an otherwise unchanged job a replacement.
    """
    name = desired.get("compilationJobName")
    display_name = "<unknown>" if name is UNKNOWN else str(name)
    want = comparable_job(desired)
    known = not contains_unknown(desired)
    if observed is None:
        created = tuple(PropertyChange(k, ChangeKind.UPDATE, None, v) for k, v in want.items())
        return Plan(RESOURCE_TYPE, display_name, Action.CREATE, created)

    have = comparable_job(observed)
    have = {k: _declared_part(have[k], want[k]) for k in want if k in have}
    changes = [
        PropertyChange(prop, ChangeKind.REPLACE, have.get(prop), want.get(prop), tuple(paths))
        for prop, paths in changed_paths(have, want).items()
    ]
    notes = []
    if status in ("FAILED", "STOPPED"):
        notes.append(f"the live job ended {status}: it is recreated")
    elif status == "COMPLETED" and artifact_exists is False:
        notes.append("the compiled artifact no longer exists in S3: the job is recreated")
    if notes and not changes:
        changes.append(PropertyChange("compilationJobName", ChangeKind.REPLACE, name, name, ()))
    want_tags = desired.get("tags")  # None: tags are not managed
    have_tags = dict(observed.get("tags") or {})
    if want_tags is not None and want_tags != have_tags:
        changes.append(PropertyChange("tags", ChangeKind.UPDATE, have_tags, want_tags, ("tags",)))

    if not changes:
        return Plan(RESOURCE_TYPE, display_name, Action.NOOP)
    if any(c.kind is ChangeKind.REPLACE for c in changes):
        return Plan(RESOURCE_TYPE, display_name, Action.REPLACE, tuple(changes), notes=tuple(notes))
    calls = tag_calls(observed["compilationJobArn"], have_tags, dict(want_tags or {})) if known else []
    return Plan(RESOURCE_TYPE, display_name, Action.UPDATE, tuple(changes), tuple(calls))
