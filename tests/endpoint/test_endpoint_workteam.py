"""The embedded endpoint through unmodified boto3 over real HTTP: work teams, tags, pass-through, controls."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sagemaker_reconciler.endpoint import EmbeddedEndpoint, start_endpoint

from .conftest import Client, ClientFactory

REPO_ROOT = Path(__file__).resolve().parents[2]

COGNITO = {"UserPool": "us-east-1_abc123", "UserGroup": "labelers", "ClientId": "client1"}
MEMBERS = [{"CognitoMemberDefinition": COGNITO}]
OIDC_MEMBERS = [{"OidcMemberDefinition": {"Groups": ["group-a", "group-b"]}}]
TOPIC = "arn:aws:sns:us-east-1:123456789012:work-items"


def create(sagemaker: Client, name: str = "team-a", **overrides: Any) -> str:
    params = {"WorkteamName": name, "MemberDefinitions": MEMBERS, "Description": "labels cats", **overrides}
    arn: str = sagemaker.create_workteam(**params)["WorkteamArn"]
    return arn


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**params)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


# --- the work team life cycle ------------------------------------------------------------------


def test_create_describe_update_clear_notification_delete(sagemaker: Client) -> None:
    arn = create(
        sagemaker,
        NotificationConfiguration={"NotificationTopicArn": TOPIC},
        WorkerAccessConfiguration={"S3Presign": {"IamPolicyConstraints": {"SourceIp": "Enabled"}}},
    )
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/team-a"

    team = sagemaker.describe_workteam(WorkteamName="team-a")["Workteam"]
    assert team["WorkteamName"] == "team-a"
    assert team["WorkteamArn"] == arn
    assert team["WorkforceArn"] == "arn:aws:sagemaker:us-east-1:123456789012:workforce/default"
    assert team["MemberDefinitions"] == MEMBERS
    assert team["Description"] == "labels cats"
    assert team["ProductListingIds"] == []
    assert re.fullmatch(r"[a-z0-9]+\.labeling\.us-east-1\.sagemaker\.aws", team["SubDomain"])
    assert team["NotificationConfiguration"] == {"NotificationTopicArn": TOPIC}
    assert team["WorkerAccessConfiguration"] == {"S3Presign": {"IamPolicyConstraints": {"SourceIp": "Enabled"}}}
    assert team["CreateDate"] == team["LastUpdatedDate"]

    updated = sagemaker.update_workteam(WorkteamName="team-a", Description="labels dogs")["Workteam"]
    assert updated["Description"] == "labels dogs"
    assert updated["MemberDefinitions"] == MEMBERS, "members not sent must not change"
    assert updated["NotificationConfiguration"] == {"NotificationTopicArn": TOPIC}
    assert updated["LastUpdatedDate"] > updated["CreateDate"]

    cleared = sagemaker.update_workteam(WorkteamName="team-a", NotificationConfiguration={})["Workteam"]
    assert "NotificationConfiguration" not in cleared
    assert "NotificationConfiguration" not in sagemaker.describe_workteam(WorkteamName="team-a")["Workteam"]

    assert sagemaker.delete_workteam(WorkteamName="team-a")["Success"] is True
    assert error_of(sagemaker.describe_workteam, WorkteamName="team-a")[0] == "ValidationException"


def test_update_replaces_members_and_worker_access(sagemaker: Client) -> None:
    create(sagemaker, MemberDefinitions=OIDC_MEMBERS)
    new_members = [{"OidcMemberDefinition": {"Groups": ["group-c"]}}]
    access = {"S3Presign": {"IamPolicyConstraints": {"VpcSourceIp": "Enabled"}}}
    team = sagemaker.update_workteam(
        WorkteamName="team-a", MemberDefinitions=new_members, WorkerAccessConfiguration=access
    )["Workteam"]
    assert team["MemberDefinitions"] == new_members
    assert team["WorkerAccessConfiguration"] == access
    assert team["Description"] == "labels cats"


def test_workforce_name_shows_in_workforce_arn(sagemaker: Client) -> None:
    create(sagemaker, WorkforceName="my-workforce")
    team = sagemaker.describe_workteam(WorkteamName="team-a")["Workteam"]
    assert team["WorkforceArn"] == "arn:aws:sagemaker:us-east-1:123456789012:workforce/my-workforce"


def test_region_comes_from_the_signature(client: ClientFactory, endpoint: EmbeddedEndpoint) -> None:
    frankfurt, virginia = client(region="eu-central-1"), client(region="us-east-1")
    arn = create(frankfurt)
    assert arn.startswith("arn:aws:sagemaker:eu-central-1:123456789012:workteam/")
    assert "eu-central-1" in frankfurt.describe_workteam(WorkteamName="team-a")["Workteam"]["SubDomain"]
    assert virginia.list_workteams()["Workteams"] == []
    assert [r.region for r in endpoint.requests] == ["eu-central-1", "eu-central-1", "us-east-1"]


# --- validation --------------------------------------------------------------------------------

VALIDATION_CASES = {
    "name pattern": (
        {"WorkteamName": "bad_name"},
        "Value 'bad_name' at 'workteamName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    ),
    "name too long": (
        {"WorkteamName": "a" * 64},
        "at 'workteamName' failed to satisfy constraint: Member must have length less than or equal to 63",
    ),
    "description too long": (
        {"Description": "d" * 201},
        "at 'description' failed to satisfy constraint: Member must have length less than or equal to 200",
    ),
    "too many members": (
        {"MemberDefinitions": MEMBERS * 11},
        "at 'memberDefinitions' failed to satisfy constraint: Member must have length less than or equal to 10",
    ),
    "user pool pattern": (
        {"MemberDefinitions": [{"CognitoMemberDefinition": {**COGNITO, "UserPool": "nopool"}}]},
        "at 'memberDefinitions.1.member.cognitoMemberDefinition.userPool'",
    ),
    "oidc group unicode class": (
        {"MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["ok", "has space"]}}]},
        "Value 'has space' at 'memberDefinitions.1.member.oidcMemberDefinition.groups.2.member'",
    ),
    "enum": (
        {"WorkerAccessConfiguration": {"S3Presign": {"IamPolicyConstraints": {"SourceIp": "Maybe"}}}},
        "at 'workerAccessConfiguration.s3Presign.iamPolicyConstraints.sourceIp' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Enabled, Disabled]",
    ),
    "topic arn": (
        {"NotificationConfiguration": {"NotificationTopicArn": "not-an-arn"}},
        "at 'notificationConfiguration.notificationTopicArn'",
    ),
    "tag key": ({"Tags": [{"Key": "bad#key", "Value": "v"}]}, "at 'tags.1.member.key'"),
    "cognito and oidc mixed": (
        {"MemberDefinitions": MEMBERS + OIDC_MEMBERS},
        "cannot mix CognitoMemberDefinition and OidcMemberDefinition",
    ),
    "cognito pools differ": (
        {"MemberDefinitions": [*MEMBERS, {"CognitoMemberDefinition": {**COGNITO, "ClientId": "other"}}]},
        "must have the same UserPool and ClientId",
    ),
    "empty member definition": ({"MemberDefinitions": [{}]}, "must contain a CognitoMemberDefinition or an"),
}


@pytest.mark.parametrize("overrides, expected", VALIDATION_CASES.values(), ids=VALIDATION_CASES.keys())
def test_create_validation_names_the_member(sagemaker: Client, overrides: dict[str, Any], expected: str) -> None:
    code, message, status = error_of(create, sagemaker=sagemaker, **overrides)
    assert (code, status) == ("ValidationException", 400)
    assert expected in message
    assert sagemaker.list_workteams()["Workteams"] == []


def test_server_checks_what_botocore_does_not(client: ClientFactory) -> None:
    unchecked = client(validate=False)
    code, message, _ = error_of(unchecked.create_workteam, WorkteamName="", MemberDefinitions=MEMBERS)
    assert code == "ValidationException"
    assert message.startswith("3 validation errors detected: ")
    assert "Value '' at 'workteamName' failed to satisfy constraint: Member must have length greater than" in message
    assert "Value null at 'description' failed to satisfy constraint: Member must not be null" in message

    code, message, _ = error_of(unchecked.create_workteam, WorkteamName="x", Description=7, MemberDefinitions=MEMBERS)
    assert code == "SerializationException"
    assert "'description'" in message


def test_update_is_validated_too(sagemaker: Client) -> None:
    create(sagemaker)
    code, message, _ = error_of(sagemaker.update_workteam, WorkteamName="team-a", Description="d" * 201)
    assert (code, "'description'" in message) == ("ValidationException", True)
    code, message, _ = error_of(
        sagemaker.update_workteam, WorkteamName="team-a", MemberDefinitions=MEMBERS + OIDC_MEMBERS
    )
    assert (code, "cannot mix" in message) == ("ValidationException", True)
    assert sagemaker.describe_workteam(WorkteamName="team-a")["Workteam"]["MemberDefinitions"] == MEMBERS


def test_error_body_is_aws_json_1_1(endpoint: EmbeddedEndpoint) -> None:
    request = urllib.request.Request(
        endpoint.url,
        data=json.dumps({"WorkteamName": "missing"}).encode(),
        headers={"X-Amz-Target": "SageMaker.DescribeWorkteam", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 400
    assert json.loads(raised.value.read()) == {
        "__type": "ValidationException",
        "message": "The work team missing does not exist.",
    }


# --- service errors ----------------------------------------------------------------------------


def test_the_26th_team_exceeds_the_limit(sagemaker: Client, client: ClientFactory) -> None:
    for index in range(25):
        create(sagemaker, name=f"team-{index}")
    code, message, status = error_of(create, sagemaker=sagemaker, name="team-25")
    assert (code, status) == ("ResourceLimitExceeded", 400)
    assert "25 work teams" in message
    create(client(region="eu-west-1"), name="team-25")  # the limit is per region


def test_duplicate_name_is_resource_in_use(sagemaker: Client) -> None:
    create(sagemaker)
    code, message, status = error_of(create, sagemaker=sagemaker)
    assert (code, status) == ("ResourceInUse", 400)
    assert "team-a" in message


@pytest.mark.parametrize("operation", ["describe_workteam", "update_workteam", "delete_workteam"])
def test_missing_team_is_a_validation_exception(sagemaker: Client, operation: str) -> None:
    code, message, status = error_of(getattr(sagemaker, operation), WorkteamName="ghost")
    assert (code, message, status) == ("ValidationException", "The work team ghost does not exist.", 400)


# --- listing -----------------------------------------------------------------------------------


def test_list_workteams_sorts_filters_and_pages(sagemaker: Client) -> None:
    names = ["delta", "Alpha", "charlie", "bravo", "alphabet"]
    for name in names:
        create(sagemaker, name=name)

    first = sagemaker.list_workteams(MaxResults=2)
    assert [t["WorkteamName"] for t in first["Workteams"]] == ["delta", "Alpha"]
    second = sagemaker.list_workteams(MaxResults=2, NextToken=first["NextToken"])
    third = sagemaker.list_workteams(MaxResults=2, NextToken=second["NextToken"])
    assert [t["WorkteamName"] for t in second["Workteams"] + third["Workteams"]] == names[2:]
    assert "NextToken" not in third

    by_name = sagemaker.list_workteams(SortBy="Name", SortOrder="Descending")["Workteams"]
    assert [t["WorkteamName"] for t in by_name] == sorted(names, reverse=True)
    matching = sagemaker.list_workteams(NameContains="alpha", SortBy="Name")["Workteams"]
    assert [t["WorkteamName"] for t in matching] == ["Alpha", "alphabet"]
    assert matching[0]["WorkteamArn"].endswith("/private-crowd/Alpha")

    pages = sagemaker.get_paginator("list_workteams").paginate(PaginationConfig={"PageSize": 2})
    assert [t["WorkteamName"] for page in pages for t in page["Workteams"]] == names


def test_list_workteams_rejects_bad_page_arguments(sagemaker: Client) -> None:
    code, message, _ = error_of(sagemaker.list_workteams, MaxResults=101)
    assert code == "ValidationException" and "'maxResults'" in message
    code, message, _ = error_of(sagemaker.list_workteams, NextToken="garbage")
    assert code == "ValidationException" and "pagination token" in message


def test_labeling_jobs_for_workteam(sagemaker: Client, endpoint: EmbeddedEndpoint) -> None:
    arn = create(sagemaker)
    assert sagemaker.list_labeling_jobs_for_workteam(WorkteamArn=arn)["LabelingJobSummaryList"] == []
    for index in range(3):
        endpoint.add_labeling_job("team-a", f"job-{index}", pending_human=index, total=10)

    first = sagemaker.list_labeling_jobs_for_workteam(WorkteamArn=arn, MaxResults=2)
    rest = sagemaker.list_labeling_jobs_for_workteam(WorkteamArn=arn, MaxResults=2, NextToken=first["NextToken"])
    jobs = first["LabelingJobSummaryList"] + rest["LabelingJobSummaryList"]
    assert [job["LabelingJobName"] for job in jobs] == ["job-0", "job-1", "job-2"]
    assert jobs[2]["LabelCounters"] == {"HumanLabeled": 8, "PendingHuman": 2, "Total": 10}
    assert jobs[2]["WorkRequesterAccountId"] == "123456789012"
    assert jobs[2]["NumberOfHumanWorkersPerDataObject"] == 1
    assert jobs[2]["JobReferenceCode"]
    assert "NextToken" not in rest

    endpoint.clear_labeling_jobs()
    assert sagemaker.list_labeling_jobs_for_workteam(WorkteamArn=arn)["LabelingJobSummaryList"] == []

    code, _, status = error_of(sagemaker.list_labeling_jobs_for_workteam, WorkteamArn=arn + "-missing")
    assert (code, status) == ("ResourceNotFound", 400)


# --- tags --------------------------------------------------------------------------------------


def test_tags_on_workteams(sagemaker: Client) -> None:
    arn = create(sagemaker, Tags=[{"Key": "team", "Value": "vision"}])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "vision"}]

    added = sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "nlp"}, {"Key": "env", "Value": "dev"}])
    assert added["Tags"] == [{"Key": "team", "Value": "nlp"}, {"Key": "env", "Value": "dev"}]

    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    # 50 tags per resource: 1 + 50 new keys is refused whole; overwriting a key does not count twice
    code, message, _ = error_of(
        sagemaker.add_tags, ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    )
    assert code == "ValidationException" and "at most 50 tags" in message
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    sagemaker.add_tags(
        ResourceArn=arn, Tags=[{"Key": "env", "Value": "prod"}] + [{"Key": f"k{i}", "Value": "v"} for i in range(49)]
    )
    assert len(sagemaker.list_tags(ResourceArn=arn, MaxResults=50)["Tags"]) == 50
    code, message, _ = error_of(sagemaker.add_tags, ResourceArn=arn, Tags=[{"Key": "aws:owner", "Value": "me"}])
    assert code == "ValidationException" and "'aws:'" in message

    missing = arn.replace("team-a", "ghost")
    assert error_of(sagemaker.list_tags, ResourceArn=missing)[:2] == (
        "ValidationException",
        "The work team ghost does not exist.",
    )


# --- moto behind the endpoint ------------------------------------------------------------------


def test_s3_works_through_the_same_endpoint(aws_env: str, endpoint: EmbeddedEndpoint) -> None:
    s3 = boto3.client("s3")  # everything from the environment the fixture set
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="model.tar.gz", Body=b"weights")
    assert s3.get_object(Bucket="models", Key="model.tar.gz")["Body"].read() == b"weights"
    assert endpoint.requests == [], "S3 calls are not SageMaker calls"


def test_compilation_jobs_and_their_tags_are_served_by_the_endpoint(
    sagemaker: Client, endpoint: EmbeddedEndpoint
) -> None:
    arn = sagemaker.create_compilation_job(
        CompilationJobName="compile-1",
        RoleArn="arn:aws:iam::123456789012:role/sagemaker",
        InputConfig={"S3Uri": "s3://models/model.tar.gz", "DataInputConfig": "{}", "Framework": "ONNX"},
        OutputConfig={"S3OutputLocation": "s3://models/out", "TargetDevice": "ml_c5"},
        StoppingCondition={"MaxRuntimeInSeconds": 900},
        Tags=[{"Key": "team", "Value": "vision"}],
    )["CompilationJobArn"]
    job = sagemaker.describe_compilation_job(CompilationJobName="compile-1")
    assert job["CompilationJobArn"] == arn == "arn:aws:sagemaker:us-east-1:123456789012:compilation-job/compile-1"

    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "ml"}])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "vision"},
        {"Key": "owner", "Value": "ml"},
    ]
    assert [r.operation for r in endpoint.requests] == [
        "CreateCompilationJob",
        "DescribeCompilationJob",
        "AddTags",
        "ListTags",
    ]


def test_operation_nobody_implements_is_501_not_retried(sagemaker: Client) -> None:
    code, message, status = error_of(sagemaker.describe_human_task_ui, HumanTaskUiName="ui")
    assert (code, status) == ("NotImplemented", 501)
    assert "DescribeHumanTaskUi" in message


# --- test controls -----------------------------------------------------------------------------


def test_request_log_records_operation_params_region(sagemaker: Client, endpoint: EmbeddedEndpoint) -> None:
    create(sagemaker)
    error_of(sagemaker.describe_workteam, WorkteamName="ghost")
    first, second = endpoint.requests
    assert first.operation == "CreateWorkteam"
    assert first.params == {"WorkteamName": "team-a", "MemberDefinitions": MEMBERS, "Description": "labels cats"}
    assert (second.operation, second.params, second.region) == (
        "DescribeWorkteam",
        {"WorkteamName": "ghost"},
        "us-east-1",
    )
    endpoint.clear_requests()
    assert endpoint.requests == []


def control(endpoint: EmbeddedEndpoint, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint.url}/_reconciler/{route}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_controls_over_http(sagemaker: Client, endpoint: EmbeddedEndpoint) -> None:
    arn = create(sagemaker)
    new_job = {"workteam_name": "team-a", "job_name": "j", "pending_human": 3, "total": 5}
    job = control(endpoint, "POST", "labeling-jobs", new_job)
    assert job["LabelingJob"]["LabelCounters"] == {"HumanLabeled": 2, "PendingHuman": 3, "Total": 5}
    listed = sagemaker.list_labeling_jobs_for_workteam(WorkteamArn=arn)["LabelingJobSummaryList"]
    assert [j["LabelingJobName"] for j in listed] == ["j"]

    logged = control(endpoint, "GET", "requests")["requests"]
    assert [entry["operation"] for entry in logged] == ["CreateWorkteam", "ListLabelingJobsForWorkteam"]
    assert logged[1] == {
        "operation": "ListLabelingJobsForWorkteam",
        "params": {"WorkteamArn": arn},
        "region": "us-east-1",
    }

    control(endpoint, "DELETE", "labeling-jobs")
    assert sagemaker.list_labeling_jobs_for_workteam(WorkteamArn=arn)["LabelingJobSummaryList"] == []
    control(endpoint, "DELETE", "requests")
    assert control(endpoint, "GET", "requests") == {"requests": []}

    with pytest.raises(urllib.error.HTTPError) as raised:
        control(endpoint, "POST", "labeling-jobs", {"workteam_name": "team-a", "bogus": 1})
    assert raised.value.code == 400

    control(endpoint, "POST", "reset")
    assert sagemaker.list_workteams()["Workteams"] == []


def test_reset_forgets_moto_state_too(client: ClientFactory, endpoint: EmbeddedEndpoint) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="scratch")
    create(client())
    endpoint.reset()
    assert endpoint.requests == []
    assert s3.list_buckets()["Buckets"] == []
    assert client().list_workteams()["Workteams"] == []


# --- packaging ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def endpoint_process() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sagemaker_reconciler.endpoint", "--port", str(port)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stdout is not None
        process.stdout.close()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_python_m_provider_endpoint_serves(
    endpoint_process: tuple[subprocess.Popen[str], int], stop_signal: signal.Signals
) -> None:
    process, port = endpoint_process
    assert process.stdout is not None
    line = process.stdout.readline().strip()  # blocks until the server listens (or the process dies)
    assert line == f"serving on http://127.0.0.1:{port}"

    sagemaker = boto3.client(
        "sagemaker",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    assert sagemaker.list_workteams()["Workteams"] == []

    process.send_signal(stop_signal)
    assert process.wait(timeout=10) == 0


def test_stop_joins_the_server_thread_and_frees_the_port() -> None:
    with start_endpoint() as running:
        port = running.port
        assert control(running, "GET", "requests") == {"requests": []}
    running.stop()  # a second stop is harmless
    assert not [thread for thread in threading.enumerate() if thread.name == f"embedded-endpoint-{port}"]
    with start_endpoint(port) as again:
        assert again.url == f"http://127.0.0.1:{port}"


def test_importing_provider_does_not_import_moto() -> None:
    code = (
        "import sys, provider, sagemaker_reconciler.errors; "
        "print(sorted(m for m in ('moto', 'werkzeug', 'flask') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=30
    )
    assert result.stdout.strip() == "[]"
