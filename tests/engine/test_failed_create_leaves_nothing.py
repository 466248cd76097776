"""The dynamic resources' own contract (pulumi.dynamic.ResourceProvider.create): a failed create leaves nothing.

The engine's Check then Create are replayed against the SDK's dynamic-provider
server while the endpoint loses every CreateWorkteam reply after making the team
(or the job FAILs after it was made). An auto-named resource would be orphaned
by the next run's new name, so it is removed before the error is raised.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from sagemaker_reconciler import CompilationJobProvider, WorkteamProvider
from sagemaker_reconciler.pulumi_resources._common import AUTONAME_KEY
from tests.unit.workteam_samples import cognito_team

from .harness import ProviderError

FAST_RETRIES = str(Path(__file__).resolve().parents[1] / "plugin" / "fast_retries")


@pytest.fixture
def server(engine_factory, endpoint, aws_env):
    return engine_factory(
        env={
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint.url,
            "AWS_PROFILE": None,
            "PYTHONPATH": FAST_RETRIES,
        }
    )


def auto_named(props):
    props = {**props, AUTONAME_KEY: "labelers"}
    props.pop("workteamName", None)
    return props


def test_an_auto_named_team_whose_create_replies_are_all_lost_is_removed_before_the_error(server, endpoint):
    endpoint.inject_fault("drop", "CreateWorkteam", phase="after")
    inputs, failures = server.check(WorkteamProvider(), {}, auto_named(cognito_team()))
    assert failures == []
    with pytest.raises(ProviderError) as raised:
        server.create(WorkteamProvider(), inputs)
    assert "ConnectionClosedError" in raised.value.reason
    made = [r for r in endpoint.all_requests if r.operation == "CreateWorkteam"]
    assert len(made) >= 2  # botocore retried; the first attempt made the team
    assert boto3.client("sagemaker").list_workteams()["Workteams"] == []


def test_a_fixed_name_team_is_kept_so_the_next_run_adopts_it(server, endpoint):
    endpoint.inject_fault("drop", "CreateWorkteam", phase="after")
    inputs, _ = server.check(WorkteamProvider(), {}, cognito_team(workteamName="fixed"))
    with pytest.raises(ProviderError):
        server.create(WorkteamProvider(), inputs)
    endpoint.clear_faults()
    id_, outputs = server.create(WorkteamProvider(), inputs)  # the next run: the same name, adopted
    assert id_ == "fixed" and outputs["arn"].endswith("/fixed")


def test_an_auto_named_job_that_fails_after_it_was_made_is_removed(server, endpoint):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"model")
    endpoint.fail_compilation_job("ClientError: InputConfiguration: unsupported operator")
    job = {
        "roleArn": "arn:aws:iam::123456789012:role/neo",
        AUTONAME_KEY: "resnet",
        "inputConfig": {
            "s3Uri": "s3://models/m.tar.gz",
            "framework": "ONNX",
            "dataInputConfig": '{"data": [1, 3, 224, 224]}',
        },
        "outputConfig": {"s3OutputLocation": "s3://models/out", "targetDevice": "ml_c5"},
    }
    inputs, failures = server.check(CompilationJobProvider(), {}, job)
    assert failures == []
    with pytest.raises(ProviderError) as raised:
        server.create(CompilationJobProvider(), inputs)
    assert "FAILED" in raised.value.reason and "unsupported operator" in raised.value.reason
    assert boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"] == []
