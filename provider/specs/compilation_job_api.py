"""CompilationJob <-> SageMaker, paired (Terraform's expand / flatten): every request this project sends
about a compilation job is built here from the spec or the name, and every Describe response is read
back here. Pure.

The planner puts these requests in the plan (create, and for a replacement stop + delete + create,
so ``plan --json`` shows the exact calls) and the reconciler sends the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sagemaker_reconciler.specs._tags import tag_list
from sagemaker_reconciler.specs._time import iso_time
from sagemaker_reconciler.specs.workteam import api_shape, props_shape

if TYPE_CHECKING:
    from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec

__all__ = [
    "PROVIDER_ONLY",
    "create_request",
    "stop_request",
    "delete_request",
    "describe_request",
    "read_props",
    "read_outputs",
]

PROVIDER_ONLY = ("tags", "mode", "delete_artifacts", "verify", "tuning_trials", "tuning")
"""Spec fields the service never sees in CreateCompilationJob (tags go as its Tags list)."""
_DESCRIBED = (
    "CompilationJobName",
    "RoleArn",
    "ModelPackageVersionArn",
    "InputConfig",
    "OutputConfig",
    "VpcConfig",
    "StoppingCondition",
    "CompilationJobArn",
)


# --- expand: spec -> request -----------------------------------------------------------------------


def create_request(spec: CompilationJobSpec) -> dict[str, Any]:
    """CreateCompilationJob parameters (PascalCase), exactly what was declared."""
    api_props = spec.model_dump(by_alias=True, exclude_none=True, mode="json", exclude=set(PROVIDER_ONLY))
    request: dict[str, Any] = api_shape(api_props)
    request.setdefault("StoppingCondition", {})
    if spec.tags:
        request["Tags"] = tag_list(spec.tags)
    return request


def stop_request(name: str) -> dict[str, Any]:
    return {"CompilationJobName": name}


def delete_request(name: str) -> dict[str, Any]:
    return {"CompilationJobName": name}


def describe_request(name: str) -> dict[str, Any]:
    return {"CompilationJobName": name}


# --- flatten: response -> props / outputs ----------------------------------------------------------


def read_props(job: Mapping[str, Any], tags: Sequence[Mapping[str, str]] | None) -> dict[str, Any]:
    """DescribeCompilationJob + ListTags -> the camelCase shape a spec has, plus the job's ARN and artifact."""
    members: tuple[str, ...] = _DESCRIBED
    if "ModelPackageVersionArn" in job:  # the service reports an InputConfig derived from the package
        members = tuple(m for m in members if m != "InputConfig")
    props: dict[str, Any] = props_shape({k: job[k] for k in members if k in job})
    artifact = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    if artifact:
        props["compiledArtifactUri"] = artifact
    if tags is not None:
        props["tags"] = {t["Key"]: t["Value"] for t in tags if not t["Key"].lower().startswith("aws:")}
    return props


def read_outputs(job: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeCompilationJob -> the CompilationJob's outputs (CompilationJobOutputs' names)."""
    return {
        "arn": job.get("CompilationJobArn", ""),
        "status": job.get("CompilationJobStatus", ""),
        "compiledArtifactUri": (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts", ""),
        "artifactDigest": (job.get("ModelDigests") or {}).get("ArtifactDigest", ""),
        "inferenceImage": job.get("InferenceImage", ""),
        "failureReason": job.get("FailureReason", ""),
        "creationTime": iso_time(job.get("CreationTime")),
        "compilationStartTime": iso_time(job.get("CompilationStartTime")),
        "compilationEndTime": iso_time(job.get("CompilationEndTime")),
    }
