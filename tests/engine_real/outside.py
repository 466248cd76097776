"""Resources made outside Pulumi (as in the console or another tool), through unmodified boto3 against
the embedded endpoint: what the import and drift tests of both real-engine tiers start from."""

from __future__ import annotations

import time

import boto3

COGNITO_MEMBER = {
    "CognitoMemberDefinition": {"UserPool": "us-east-1_AbCdEf123", "UserGroup": "labelers", "ClientId": "client1"}
}


def make_workteam(name: str, description: str, tags: dict[str, str]) -> None:
    """A work team of one Cognito group (the group the test programs declare)."""
    boto3.client("sagemaker").create_workteam(
        WorkteamName=name,
        Description=description,
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
        MemberDefinitions=[COGNITO_MEMBER],
    )


def make_completed_job(name: str, *, role: str, model: str, shape: str) -> None:
    """An ONNX ml_c5 job writing under s3://models/compiled, waited for until COMPLETED (30 s at most)."""
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_compilation_job(
        CompilationJobName=name,
        RoleArn=role,
        StoppingCondition={"MaxRuntimeInSeconds": 900},
        InputConfig={"S3Uri": model, "Framework": "ONNX", "DataInputConfig": shape},
        OutputConfig={"S3OutputLocation": "s3://models/compiled", "TargetDevice": "ml_c5"},
    )
    deadline = time.monotonic() + 30
    while sagemaker.describe_compilation_job(CompilationJobName=name)["CompilationJobStatus"] != "COMPLETED":
        assert time.monotonic() < deadline, f"the job {name} did not complete"
        time.sleep(0.1)
