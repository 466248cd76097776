"""Compilation job operations on the wire: request parameters in, response bodies out.

Responses parse, models decide: the life cycle and every rule live in
``compilation_job_models``.
"""

from __future__ import annotations

from typing import Any

from .compilation_job_models import CompilationJob, CompilationJobBackend
from .pagination import paginate
from .protocol import SageMakerRequest, epoch_seconds
from .registry import Handler
from .state import EndpointState

__all__ = ["OPERATIONS", "compilation_job_body", "compilation_job_summary"]

Json = dict[str, Any]

DEFAULT_PAGE_SIZE = 10
"""SageMaker's List* default: callers that forget NextToken find out here, not in production."""


def compilation_job_body(job: CompilationJob) -> Json:
    """DescribeCompilationJob's response, with every member botocore marks required.

    Required members that mean nothing yet are present but empty, as the service sends them:
    ``FailureReason`` is "" unless FAILED, ``ModelArtifacts.S3ModelArtifacts`` "" until COMPLETED,
    and a job made from a model package has an ``InputConfig`` of empty strings (this endpoint
    does not read model packages). Optional ones are left out until they happen: start and end
    times, ``ModelDigests`` and ``InferenceImage``."""
    body: Json = {
        "CompilationJobName": job.name,
        "CompilationJobArn": job.arn,
        "CompilationJobStatus": job.status,
        "StoppingCondition": job.stopping_condition,
        "CreationTime": job.created,
        "LastModifiedTime": job.last_modified,
        "FailureReason": job.failure_reason or "",
        "ModelArtifacts": {"S3ModelArtifacts": job.artifact_uri or ""},
        "RoleArn": job.role_arn,
        "InputConfig": job.input_config if job.input_config is not None else {"S3Uri": "", "Framework": ""},
        "OutputConfig": job.output_config,
    }
    if job.model_package_version_arn is not None:
        body["ModelPackageVersionArn"] = job.model_package_version_arn
    if job.vpc_config is not None:
        body["VpcConfig"] = job.vpc_config
    if job.compilation_start is not None:
        body["CompilationStartTime"] = job.compilation_start
    if job.compilation_end is not None:
        body["CompilationEndTime"] = job.compilation_end
    if job.artifact_uri is not None:
        body["ModelDigests"] = {"ArtifactDigest": job.artifact_digest}
    if job.inference_image is not None:
        body["InferenceImage"] = job.inference_image
    return body


def compilation_job_summary(job: CompilationJob) -> Json:
    """The API's ``CompilationJobSummary``."""
    summary: Json = {
        "CompilationJobName": job.name,
        "CompilationJobArn": job.arn,
        "CreationTime": job.created,
        "LastModifiedTime": job.last_modified,
        "CompilationJobStatus": job.status,
    }
    if job.compilation_start is not None:
        summary["CompilationStartTime"] = job.compilation_start
    if job.compilation_end is not None:
        summary["CompilationEndTime"] = job.compilation_end
    if job.output_config.get("TargetDevice") is not None:
        summary["CompilationTargetDevice"] = job.output_config["TargetDevice"]
    else:
        platform = job.output_config["TargetPlatform"]
        summary["CompilationTargetPlatformOs"] = platform["Os"]
        summary["CompilationTargetPlatformArch"] = platform["Arch"]
        if platform.get("Accelerator") is not None:
            summary["CompilationTargetPlatformAccelerator"] = platform["Accelerator"]
    return summary


def _backend(request: SageMakerRequest, state: EndpointState) -> CompilationJobBackend:
    return state.backend(CompilationJobBackend, request.region)


def create_compilation_job(request: SageMakerRequest, state: EndpointState) -> Json:
    params = request.params
    job = _backend(request, state).create(
        name=params["CompilationJobName"],
        role_arn=params["RoleArn"],
        output_config=params["OutputConfig"],
        stopping_condition=params["StoppingCondition"],
        input_config=params.get("InputConfig"),
        model_package_version_arn=params.get("ModelPackageVersionArn"),
        vpc_config=params.get("VpcConfig"),
        tags=params.get("Tags"),
    )
    return {"CompilationJobArn": job.arn}


def describe_compilation_job(request: SageMakerRequest, state: EndpointState) -> Json:
    return compilation_job_body(_backend(request, state).describe(request.params["CompilationJobName"]))


def stop_compilation_job(request: SageMakerRequest, state: EndpointState) -> Json:
    _backend(request, state).stop(request.params["CompilationJobName"])
    return {}


def delete_compilation_job(request: SageMakerRequest, state: EndpointState) -> Json:
    _backend(request, state).delete(request.params["CompilationJobName"])
    return {}


def list_compilation_jobs(request: SageMakerRequest, state: EndpointState) -> Json:
    params = request.params
    jobs = _backend(request, state).jobs(
        name_contains=params.get("NameContains"),
        status_equals=params.get("StatusEquals"),
        created_after=epoch_seconds(params.get("CreationTimeAfter")),
        created_before=epoch_seconds(params.get("CreationTimeBefore")),
        modified_after=epoch_seconds(params.get("LastModifiedTimeAfter")),
        modified_before=epoch_seconds(params.get("LastModifiedTimeBefore")),
        sort_by=params.get("SortBy") or "CreationTime",
        descending=params.get("SortOrder") == "Descending",
    )
    page, next_token = paginate(jobs, params.get("MaxResults") or DEFAULT_PAGE_SIZE, params.get("NextToken"))
    body: Json = {"CompilationJobSummaries": [compilation_job_summary(job) for job in page]}
    if next_token:
        body["NextToken"] = next_token
    return body


OPERATIONS: dict[str, Handler] = {
    "CreateCompilationJob": create_compilation_job,
    "DescribeCompilationJob": describe_compilation_job,
    "StopCompilationJob": stop_compilation_job,
    "DeleteCompilationJob": delete_compilation_job,
    "ListCompilationJobs": list_compilation_jobs,
}
