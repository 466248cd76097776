"""What the endpoint answers is what botocore's model says the service answers (issue 10).

Through unmodified boto3 over HTTP: every member DescribeCompilationJob marks
required is there in every status; tags are capped at 50 per resource and
``aws:`` keys are refused; a model that is not a .tar.gz, or a DataInputConfig
that is not JSON, is accepted by the API and then fails as Neo would; patterns
are Java's (line terminators, non-ASCII digits).
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from sagemaker_reconciler.endpoint import EmbeddedEndpoint

from . import test_endpoint_compilation_job as _jobs
from .conftest import Client, ClientFactory
from .test_endpoint_compilation_job import (
    BUCKET,
    COMPILING,
    MODEL,
    STARTING,
    create,
    describe,
    error_of,
)

s3 = _jobs.s3  # the fixtures of the job tests, shared here
slow_jobs = _jobs.slow_jobs

REQUIRED = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("DescribeCompilationJob")
    .output_shape.required_members
)


def assert_every_required_member(job: dict[str, Any]) -> None:
    missing = [member for member in REQUIRED if member not in job]
    assert not missing, f"DescribeCompilationJob lacks required {missing}"
    assert "S3ModelArtifacts" in job["ModelArtifacts"]


def test_describe_has_every_required_member_in_every_status(
    sagemaker: Client,
    s3: Client,
    slow_jobs: EmbeddedEndpoint,
) -> None:
    assert {"FailureReason", "ModelArtifacts", "InputConfig"} <= set(REQUIRED)
    create(sagemaker, "done")
    create(sagemaker, "stopped")
    slow_jobs.fail_compilation_job("boom", job_name="failed")
    create(sagemaker, "failed")
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/1"
    create(sagemaker, "packaged", InputConfig=None, ModelPackageVersionArn=package)
    for name in ("done", "stopped", "failed", "packaged"):
        job = describe(sagemaker, name)
        assert job["CompilationJobStatus"] == "STARTING"
        assert_every_required_member(job)
        assert job["FailureReason"] == "" and job["ModelArtifacts"]["S3ModelArtifacts"] == ""
    sagemaker.stop_compilation_job(CompilationJobName="stopped")
    slow_jobs.advance_clock(STARTING + COMPILING + 1)
    statuses = {}
    for name in ("done", "stopped", "failed", "packaged"):
        job = describe(sagemaker, name)
        assert_every_required_member(job)
        statuses[name] = job["CompilationJobStatus"]
    assert statuses == {"done": "COMPLETED", "stopped": "STOPPED", "failed": "FAILED", "packaged": "COMPLETED"}
    assert describe(sagemaker, "done")["ModelArtifacts"]["S3ModelArtifacts"].startswith(f"s3://{BUCKET}/")
    assert describe(sagemaker, "failed")["FailureReason"] == "boom"


@pytest.mark.parametrize(
    ("input_change", "reason"),
    [
        ({"S3Uri": f"s3://{BUCKET}/trained/resnet50.zip"}, "Unable to untar input model"),
        ({"DataInputConfig": "{input0: [1, 3, 224, 224]}"}, "DataInputConfig is not valid JSON"),
    ],
    ids=["not a tar.gz", "data input config not JSON"],
)
def test_neo_fails_what_the_api_accepts(
    sagemaker: Client,
    s3: Client,
    slow_jobs: EmbeddedEndpoint,
    input_change: dict[str, str],
    reason: str,
) -> None:
    s3.put_object(Bucket=BUCKET, Key="trained/resnet50.zip", Body=MODEL)
    inputs = {
        "S3Uri": f"s3://{BUCKET}/trained/resnet50.tar.gz",
        "DataInputConfig": '{"input0": [1, 3, 224, 224]}',
        "Framework": "PYTORCH",
        **input_change,
    }
    create(sagemaker, "neo", InputConfig=inputs)  # the API takes it: S3Uri and DataInputConfig match the model
    slow_jobs.advance_clock(STARTING + COMPILING + 1)
    job = describe(sagemaker, "neo")
    assert job["CompilationJobStatus"] == "FAILED"
    assert job["FailureReason"].startswith("ClientError: InputConfiguration: ") and reason in job["FailureReason"]
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == ""
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="compiled/"), "no artifact written"


@pytest.mark.parametrize("kind", ["workteam", "compilation job"])
def test_tags_are_capped_at_50_per_resource_and_aws_keys_are_reserved(
    sagemaker: Client,
    s3: Client,
    kind: str,
    endpoint: EmbeddedEndpoint,
) -> None:
    first = [{"Key": "team", "Value": "vision"}]
    if kind == "workteam":
        member = {"CognitoMemberDefinition": {"UserPool": "us-east-1_AbCdEf123", "UserGroup": "g", "ClientId": "c"}}
        arn = sagemaker.create_workteam(WorkteamName="team-a", Description="d", MemberDefinitions=[member], Tags=first)[
            "WorkteamArn"
        ]
    else:
        arn = create(sagemaker, Tags=first)
    fifty = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    code, message, status = error_of(sagemaker.add_tags, ResourceArn=arn, Tags=fifty)
    assert (code, status) == ("ValidationException", 400) and "at most 50 tags" in message
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == first, "nothing was added"
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "nlp"}, *fifty[:49]])  # overwrite + 49 = 50
    assert len(sagemaker.list_tags(ResourceArn=arn)["Tags"]) == 50
    for key in ("aws:createdBy", "AWS:owner"):
        code, message, _ = error_of(sagemaker.add_tags, ResourceArn=arn, Tags=[{"Key": key, "Value": "x"}])
        assert code == "ValidationException" and "'aws:'" in message


def test_create_with_a_reserved_tag_key_creates_nothing(sagemaker: Client) -> None:
    member = {"CognitoMemberDefinition": {"UserPool": "us-east-1_AbCdEf123", "UserGroup": "g", "ClientId": "c"}}
    code, _, _ = error_of(
        sagemaker.create_workteam,
        WorkteamName="team-a",
        Description="d",
        MemberDefinitions=[member],
        Tags=[{"Key": "aws:x", "Value": "y"}],
    )
    assert code == "ValidationException"
    assert sagemaker.list_workteams()["Workteams"] == []


@pytest.mark.parametrize(
    ("params", "member"),
    [
        ({"Description": "line one\nline two"}, "description"),
        ({"Description": "ends with a YAML block newline\n"}, "description"),
        ({"Description": "unicode line separator\u2028"}, "description"),
        (
            {
                "MemberDefinitions": [
                    {
                        "CognitoMemberDefinition": {
                            "UserPool": "us-east-\u0661_AbCdEf123",
                            "UserGroup": "g",
                            "ClientId": "c",
                        }
                    }
                ]
            },
            "memberDefinitions.1.member.cognitoMemberDefinition.userPool",
        ),
    ],
)
def test_patterns_are_matched_as_java_does(client: ClientFactory, params: dict[str, Any], member: str) -> None:
    base = {
        "WorkteamName": "team-a",
        "Description": "d",
        "MemberDefinitions": [
            {"CognitoMemberDefinition": {"UserPool": "us-east-1_AbCdEf123", "UserGroup": "g", "ClientId": "c"}}
        ],
    }
    code, message, status = error_of(client().create_workteam, **{**base, **params})
    assert (code, status) == ("ValidationException", 400)
    assert f"at '{member}' failed to satisfy constraint: Member must satisfy regular expression pattern" in message


def test_an_integer_beyond_a_java_int_is_a_serialization_error(client: ClientFactory) -> None:
    code, message, status = error_of(
        client().create_compilation_job,
        CompilationJobName="j",
        RoleArn="arn:aws:iam::123456789012:role/neo",
        InputConfig={"S3Uri": "s3://m/m.tar.gz", "Framework": "XGBOOST"},
        OutputConfig={"S3OutputLocation": "s3://m/out", "TargetDevice": "ml_c5"},
        StoppingCondition={"MaxWaitTimeInSeconds": 2**31},
    )
    assert (code, status) == ("SerializationException", 400) and "maxWaitTimeInSeconds" in message


def test_what_the_api_newly_allows_round_trips_without_drift(endpoint: EmbeddedEndpoint, aws_env: str) -> None:
    """OIDC members without groups and an empty notification block: created, then a no-op plan."""
    from sagemaker_reconciler.aws import AwsConfig, SageMakerGateway
    from sagemaker_reconciler.plan import Action
    from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
    from sagemaker_reconciler.specs.workteam import parse_workteam

    reconciler = WorkteamReconciler(SageMakerGateway(AwsConfig()))
    spec = parse_workteam(
        {
            "workteamName": "oidc-team",
            "description": "no groups yet",
            "memberDefinitions": [{"oidcMemberDefinition": {}}],
            "notificationConfiguration": {},
        }
    )
    reconciler.create(spec)
    (request,) = [r.params for r in endpoint.requests if r.operation == "CreateWorkteam"]
    assert request["MemberDefinitions"] == [{"OidcMemberDefinition": {}}] and "NotificationConfiguration" not in request
    assert reconciler.plan(spec)[0].action is Action.NOOP


@pytest.mark.parametrize(
    "changes",
    [
        {"inputConfig": {"s3Uri": "s3://models/resnet.tar.gz", "framework": "TFLITE"}},
        {"inputConfig": {"s3Uri": "s3://models/resnet.tar.gz", "framework": "XGBOOST", "dataInputConfig": "{}"}},
        {
            "inputConfig": {
                "s3Uri": "s3://models/resnet.tar.gz",
                "framework": "TENSORFLOW",
                "dataInputConfig": '{"input_1": {"shape": ["1..10", 224, 224, 3]}}',
            },
            "outputConfig": {"s3OutputLocation": "s3://models/compiled", "targetDevice": "coreml"},
        },
        {
            "stoppingCondition": {
                "maxRuntimeInSeconds": 900,
                "maxWaitTimeInSeconds": 900,
                "maxPendingTimeInSeconds": 1800,
            }
        },
    ],
    ids=["tflite without shapes", "xgboost with a config", "coreml range shape", "pending 30 minutes"],
)
def test_compilation_jobs_the_api_allows_compile_and_settle(
    endpoint: EmbeddedEndpoint, aws_env: str, changes: dict[str, Any]
) -> None:
    import boto3

    from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
    from sagemaker_reconciler.plan import Action
    from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
    from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
    from sagemaker_reconciler.waiters import Backoff
    from tests.unit.test_compilation_job_spec import job

    s3_client = boto3.client("s3")
    s3_client.create_bucket(Bucket="models")
    s3_client.put_object(Bucket="models", Key="resnet.tar.gz", Body=MODEL)
    reconciler = CompilationJobReconciler(
        SageMakerGateway(AwsConfig()), ObjectStore(AwsConfig()), backoff=Backoff(initial=0.05, factor=1.5, maximum=0.3)
    )
    spec = parse_compilation_job(job(**changes))
    assert reconciler.create(spec)["status"] == "COMPLETED"
    assert reconciler.plan(spec)[0].action is Action.NOOP
