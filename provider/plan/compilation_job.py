"""Plan a CompilationJob: jobs are immutable, so any input change is a replacement.

Pure. Compared against DescribeCompilationJob (+ ListTags): members the spec
does not declare are the service's defaults and are not compared; tags are
the one thing that changes in place. A job whose artifact is gone, or that
ended FAILED/STOPPED, is recreated. Every request (create; stop, delete, create for
a replacement) is built by ``specs.compilation_job_api``: the plan shows it and the
reconciler sends the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sagemaker_reconciler.plan._compare import changed_paths, tag_calls
from sagemaker_reconciler.plan.model import UNKNOWN, Action, ApiCall, ChangeKind, Plan, PropertyChange, contains_unknown
from sagemaker_reconciler.specs.compilation_job import UPDATABLE, parse_compilation_job
from sagemaker_reconciler.specs.compilation_job_api import create_request, delete_request, stop_request

__all__ = [
    "plan_compilation_job",
    "comparable_job",
    "program_changes",
    "create_call",
    "RESOURCE_TYPE",
    "PROVIDER_ONLY_DEFAULTS",
    "IN_PLACE",
]

RESOURCE_TYPE = "CompilationJob"
_API_MEMBERS = (
    "compilationJobName",
    "roleArn",
    "modelPackageVersionArn",
    "inputConfig",
    "outputConfig",
    "vpcConfig",
    "stoppingCondition",
)
_SET_LIKE = ("securityGroupIds", "subnets")
_JSON_VALUED = ("dataInputConfig", "compilerOptions")
PROVIDER_ONLY_DEFAULTS = {"mode": "cloud", "deleteArtifacts": False, "verify": False, "tuningTrials": 0}
"""This provider's own inputs and their defaults: absent compares equal to the default."""
IN_PLACE = UPDATABLE
"""Inputs that change without a new job (verify only matters while a local job is compiled): the spec's
one list, which ``resource_types`` turns into the type's replaceOnChanges."""


def _normalized(key: str, value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _normalized(k, v) for k, v in value.items()}
    if key in _SET_LIKE and isinstance(value, (list, tuple)):
        return sorted(value, key=repr)
    if key in _JSON_VALUED and isinstance(value, str):
        try:
            return json.dumps(json.loads(value))  # whitespace is not a change; key order is (input order)
        except (json.JSONDecodeError, RecursionError):
            return value  # compilerOptions need not be JSON: then it is compared as written
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


def _comparable_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    out = comparable_job(props)
    for key, default in PROVIDER_ONLY_DEFAULTS.items():
        out[key] = props.get(key, default)
    if props.get("tags") is not None:
        out["tags"] = dict(props["tags"])
    return out


def program_changes(stored: Mapping[str, Any], desired: Mapping[str, Any]) -> list[PropertyChange]:
    """What the program changed since the last deployment: stored inputs vs desired, both normalised
    the way the live comparison is (JSON whitespace, set-like lists, provider-only defaults), so an
    edit that means nothing is not a change and each real one can be named."""
    have, want = _comparable_inputs(stored), _comparable_inputs(desired)
    if "tags" not in want:
        have.pop("tags", None)  # tags the program does not declare are not managed
    return [
        PropertyChange(
            prop,
            ChangeKind.UPDATE if prop in IN_PLACE else ChangeKind.REPLACE,
            have.get(prop),
            want.get(prop),
            tuple(paths),
        )
        for prop, paths in changed_paths(have, want).items()
    ]


def create_call(desired: Mapping[str, Any]) -> ApiCall | None:
    """The exact CreateCompilationJob call (tags included), built by the spec; None while inputs are unknown."""
    if contains_unknown(desired):
        return None
    return ApiCall("CreateCompilationJob", create_request(parse_compilation_job(desired)))


def _replace_calls(name: str, status: str | None, create: ApiCall | None) -> tuple[ApiCall, ...]:
    """A fixed name: stop a running job, delete it, create the new one."""
    if create is None:
        return ()
    calls = [ApiCall("StopCompilationJob", stop_request(name))] if status in ("STARTING", "INPROGRESS") else []
    return (*calls, ApiCall("DeleteCompilationJob", delete_request(name)), create)


def plan_compilation_job(
    desired: Mapping[str, Any],
    observed: Mapping[str, Any] | None,
    *,
    status: str | None = None,
    artifact_exists: bool | None = None,
    failure_reason: str | None = None,
) -> Plan:
    """Desired camelCase properties vs the observed job (None: absent).

    `status` and `artifact_exists` are what the caller saw of the live job and
    its S3 artifact; either can make an otherwise unchanged job a replacement.
    """
    name = desired.get("compilationJobName")
    display_name = "<unknown>" if name is UNKNOWN else str(name)
    want = comparable_job(desired)
    known = not contains_unknown(desired)
    create = create_call(desired)
    if observed is None:
        changes = [PropertyChange(k, ChangeKind.UPDATE, None, v) for k, v in want.items()]
        if desired.get("tags"):
            changes.append(PropertyChange("tags", ChangeKind.UPDATE, None, dict(desired["tags"])))
        return Plan(RESOURCE_TYPE, display_name, Action.CREATE, tuple(changes), (create,) if create else ())

    have = comparable_job(observed)
    have = {k: _declared_part(have[k], want[k]) for k in want if k in have}
    changes = [
        PropertyChange(prop, ChangeKind.REPLACE, have.get(prop), want.get(prop), tuple(paths))
        for prop, paths in changed_paths(have, want).items()
    ]
    notes = []
    if status in ("FAILED", "STOPPED"):
        why = f" ({failure_reason})" if failure_reason else ""
        notes.append(f"the live job ended {status}{why}: it is recreated")
        changes.append(PropertyChange("status", ChangeKind.REPLACE, status, "COMPLETED", ("status",)))
    elif status == "COMPLETED" and artifact_exists is False:
        artifact = observed.get("compiledArtifactUri")
        notes.append(
            f"the compiled artifact {artifact or ''} no longer exists in S3: the job is recreated".replace("  ", " ")
        )
        changes.append(
            PropertyChange("compiledArtifactUri", ChangeKind.REPLACE, None, artifact, ("compiledArtifactUri",))
        )
    want_tags = desired.get("tags")  # None: tags are not managed
    have_tags = dict(observed.get("tags") or {})
    if want_tags is not None and want_tags != have_tags:
        changes.append(PropertyChange("tags", ChangeKind.UPDATE, have_tags, want_tags, ("tags",)))

    if not changes:
        return Plan(RESOURCE_TYPE, display_name, Action.NOOP)
    if any(c.kind is ChangeKind.REPLACE for c in changes):
        calls = _replace_calls(display_name, status, create)
        return Plan(RESOURCE_TYPE, display_name, Action.REPLACE, tuple(changes), calls, tuple(notes))
    updates = tag_calls(observed["compilationJobArn"], have_tags, dict(want_tags or {})) if known else []
    return Plan(RESOURCE_TYPE, display_name, Action.UPDATE, tuple(changes), tuple(updates))
