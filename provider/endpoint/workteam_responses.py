"""Work team operations on the wire: request parameters in, response bodies out.

Responses parse, models decide: every rule lives in ``workteam_models``.
"""

from __future__ import annotations

from typing import Any

from .pagination import paginate
from .protocol import SageMakerRequest, epoch_seconds
from .registry import Handler
from .state import EndpointState
from .workteam_models import LabelingJob, Workteam, WorkteamBackend

__all__ = ["OPERATIONS", "labeling_job_summary", "workteam_body"]

Json = dict[str, Any]

DEFAULT_PAGE_SIZE = 10
"""SageMaker's List* default: callers that forget NextToken find out here, not in production."""


def workteam_body(team: Workteam) -> Json:
    """The API's ``Workteam`` structure; empty configurations are left out, as the service does."""
    body: Json = {
        "WorkteamName": team.name,
        "MemberDefinitions": team.member_definitions,
        "WorkteamArn": team.arn,
        "WorkforceArn": team.workforce_arn,
        "ProductListingIds": [],
        "Description": team.description,
        "SubDomain": team.subdomain,
        "CreateDate": team.created,
        "LastUpdatedDate": team.last_updated,
    }
    if team.notification_configuration:
        body["NotificationConfiguration"] = team.notification_configuration
    if team.worker_access_configuration:
        body["WorkerAccessConfiguration"] = team.worker_access_configuration
    return body


def labeling_job_summary(job: LabelingJob, account_id: str) -> Json:
    """The API's ``LabelingJobForWorkteamSummary``."""
    return {
        "LabelingJobName": job.name,
        "JobReferenceCode": job.reference_code,
        "WorkRequesterAccountId": account_id,
        "CreationTime": job.created,
        "LabelCounters": {
            "HumanLabeled": job.human_labeled,
            "PendingHuman": job.pending_human,
            "Total": job.total,
        },
        "NumberOfHumanWorkersPerDataObject": job.workers_per_data_object,
    }


def _backend(request: SageMakerRequest, state: EndpointState) -> WorkteamBackend:
    return state.backend(WorkteamBackend, request.region)


def create_workteam(request: SageMakerRequest, state: EndpointState) -> Json:
    params = request.params
    team = _backend(request, state).create(
        name=params["WorkteamName"],
        member_definitions=params["MemberDefinitions"],
        description=params["Description"],
        workforce_name=params.get("WorkforceName"),
        notification_configuration=params.get("NotificationConfiguration"),
        worker_access_configuration=params.get("WorkerAccessConfiguration"),
        tags=params.get("Tags"),
    )
    return {"WorkteamArn": team.arn}


def describe_workteam(request: SageMakerRequest, state: EndpointState) -> Json:
    team = _backend(request, state).describe(request.params["WorkteamName"])
    return {"Workteam": workteam_body(team)}


def update_workteam(request: SageMakerRequest, state: EndpointState) -> Json:
    params = request.params
    team = _backend(request, state).update(
        name=params["WorkteamName"],
        member_definitions=params.get("MemberDefinitions"),
        description=params.get("Description"),
        notification_configuration=params.get("NotificationConfiguration"),
        worker_access_configuration=params.get("WorkerAccessConfiguration"),
    )
    return {"Workteam": workteam_body(team)}


def delete_workteam(request: SageMakerRequest, state: EndpointState) -> Json:
    _backend(request, state).delete(request.params["WorkteamName"])
    return {"Success": True}


def list_workteams(request: SageMakerRequest, state: EndpointState) -> Json:
    params = request.params
    teams = _backend(request, state).sorted_teams(
        sort_by=params.get("SortBy") or "CreateDate",
        descending=params.get("SortOrder") == "Descending",
        name_contains=params.get("NameContains"),
    )
    page, next_token = paginate(teams, params.get("MaxResults") or DEFAULT_PAGE_SIZE, params.get("NextToken"))
    body: Json = {"Workteams": [workteam_body(team) for team in page]}
    if next_token:
        body["NextToken"] = next_token
    return body


def list_labeling_jobs_for_workteam(request: SageMakerRequest, state: EndpointState) -> Json:
    params = request.params
    jobs = _backend(request, state).labeling_jobs(params["WorkteamArn"])
    after, before = epoch_seconds(params.get("CreationTimeAfter")), epoch_seconds(params.get("CreationTimeBefore"))
    code_contains = params.get("JobReferenceCodeContains")
    jobs = [
        job
        for job in jobs
        if (after is None or job.created > after)
        and (before is None or job.created < before)
        and (code_contains is None or code_contains in job.reference_code)
    ]
    jobs.sort(key=lambda job: job.created, reverse=params.get("SortOrder") == "Descending")
    page, next_token = paginate(jobs, params.get("MaxResults") or DEFAULT_PAGE_SIZE, params.get("NextToken"))
    body: Json = {"LabelingJobSummaryList": [labeling_job_summary(job, request.account_id) for job in page]}
    if next_token:
        body["NextToken"] = next_token
    return body


OPERATIONS: dict[str, Handler] = {
    "CreateWorkteam": create_workteam,
    "DescribeWorkteam": describe_workteam,
    "UpdateWorkteam": update_workteam,
    "DeleteWorkteam": delete_workteam,
    "ListWorkteams": list_workteams,
    "ListLabelingJobsForWorkteam": list_labeling_jobs_for_workteam,
}
