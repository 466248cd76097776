"""Workteam <-> SageMaker, paired (Terraform's expand / flatten): every request this project sends about a
work team is built here from the spec, and every Describe response is read back here. Pure.

The planner puts these requests in the plan (so ``plan --json`` shows the exact calls) and the
reconciler sends them; the reconciler reads live teams only through :func:`read_props` and
:func:`read_outputs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sagemaker_reconciler.specs._tags import tag_list
from sagemaker_reconciler.specs._time import iso_time
from sagemaker_reconciler.specs.workteam import api_shape, props_shape

if TYPE_CHECKING:
    from sagemaker_reconciler.specs.workteam import WorkteamSpec

__all__ = [
    "create_request",
    "update_request",
    "delete_request",
    "describe_request",
    "read_props",
    "read_outputs",
]

_CONSTRAINTS = ("sourceIp", "vpcSourceIp")


# --- expand: spec -> request -----------------------------------------------------------------------


def create_request(spec: WorkteamSpec) -> dict[str, Any]:
    """CreateWorkteam parameters (PascalCase), exactly what the user declared."""
    request: dict[str, Any] = {
        "WorkteamName": spec.workteam_name,
        "Description": spec.description,
        "MemberDefinitions": [api_shape(m.to_props()) for m in spec.member_definitions],
    }
    if spec.workforce_name is not None:
        request["WorkforceName"] = spec.workforce_name
    if spec.notification_configuration is not None:
        request["NotificationConfiguration"] = api_shape(spec.notification_configuration.to_props())
    if spec.worker_access_configuration is not None:
        request["WorkerAccessConfiguration"] = api_shape(spec.worker_access_configuration.to_props())
    if spec.tags:
        request["Tags"] = tag_list(spec.tags)
    return request


def update_request(name: str, desired: Mapping[str, Any], changed: Sequence[str]) -> dict[str, Any]:
    """UpdateWorkteam carrying only the `changed` members of the desired camelCase properties."""
    request: dict[str, Any] = {"WorkteamName": name}
    if "description" in changed:
        request["Description"] = desired["description"]
    if "memberDefinitions" in changed:
        request["MemberDefinitions"] = api_shape(desired["memberDefinitions"])
    if "notificationConfiguration" in changed:
        # An empty block is how UpdateWorkteam clears the topic; omitting it would keep the old one.
        request["NotificationConfiguration"] = api_shape(desired.get("notificationConfiguration") or {})
    if "workerAccessConfiguration" in changed:
        wanted = ((desired.get("workerAccessConfiguration") or {}).get("s3Presign") or {}).get(
            "iamPolicyConstraints"
        ) or {}
        constraints = {k[:1].upper() + k[1:]: wanted.get(k) or "Disabled" for k in _CONSTRAINTS}
        request["WorkerAccessConfiguration"] = {"S3Presign": {"IamPolicyConstraints": constraints}}
    return request


def delete_request(name: str) -> dict[str, Any]:
    return {"WorkteamName": name}


def describe_request(name: str) -> dict[str, Any]:
    return {"WorkteamName": name}


# --- flatten: response -> props / outputs ----------------------------------------------------------


def read_props(workteam: Mapping[str, Any], tags: Sequence[Mapping[str, str]] | None) -> dict[str, Any]:
    """DescribeWorkteam's ``Workteam`` + ListTags -> the same camelCase shape a spec has.

    The service reports the workforce by ARN; the spec names it, so the name is
    the ARN's last path segment. ``aws:`` tags belong to AWS and are not ours.
    """
    props: dict[str, Any] = {
        "workteamName": workteam["WorkteamName"],
        "description": workteam.get("Description", ""),
        "memberDefinitions": props_shape(workteam.get("MemberDefinitions", [])),
        "workteamArn": workteam["WorkteamArn"],
    }
    workforce_arn = workteam.get("WorkforceArn")
    if workforce_arn:
        props["workforceName"] = workforce_arn.rsplit("/", 1)[-1]
    for block in ("NotificationConfiguration", "WorkerAccessConfiguration"):
        if workteam.get(block):
            props[block[:1].lower() + block[1:]] = props_shape(workteam[block])
    if tags is not None:  # None: not read, because the spec does not manage tags
        props["tags"] = {t["Key"]: t["Value"] for t in tags if not t["Key"].lower().startswith("aws:")}
    return props


def read_outputs(workteam: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeWorkteam's ``Workteam`` -> the Workteam's outputs (WorkteamOutputs' names)."""
    return {
        "arn": workteam["WorkteamArn"],
        "subdomain": workteam.get("SubDomain", ""),
        "createDate": iso_time(workteam.get("CreateDate")),
        "lastUpdatedDate": iso_time(workteam.get("LastUpdatedDate")),
        "productListingIds": list(workteam.get("ProductListingIds", [])),
        "workforceArn": workteam.get("WorkforceArn", ""),
    }
