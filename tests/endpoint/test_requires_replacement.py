"""An in-place update asked of a change only a replacement can make: the project's own error, no call sent.

(It used to be dressed as an AWS error from a fictitious ``UpdateCompilationJob``.)
"""

from __future__ import annotations

import boto3
import pytest

from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import AwsError, ReconcilerError, RequiresReplacement
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from sagemaker_reconciler.specs.workteam import parse_workteam
from sagemaker_reconciler.waiters import Backoff
from tests.unit.test_compilation_job_spec import job
from tests.unit.workteam_samples import cognito_team

WRITES = {
    "CreateWorkteam",
    "UpdateWorkteam",
    "DeleteWorkteam",
    "CreateCompilationJob",
    "StopCompilationJob",
    "DeleteCompilationJob",
    "AddTags",
    "DeleteTags",
}


def writes(endpoint):
    return [r.operation for r in endpoint.requests if r.operation in WRITES]


def test_a_job_whose_inputs_changed_is_not_updated_in_place(endpoint, aws_env):
    boto3.client("s3").create_bucket(Bucket="models")
    boto3.client("s3").put_object(Bucket="models", Key="resnet.tar.gz", Body=b"not really a model")
    reconciler = CompilationJobReconciler(
        SageMakerGateway(AwsConfig()), ObjectStore(AwsConfig()), backoff=Backoff(initial=0.05, factor=1.5, maximum=0.3)
    )
    reconciler.create(parse_compilation_job(job()))
    before = writes(endpoint)

    changed = parse_compilation_job(job(roleArn="arn:aws:iam::123456789012:role/another"))
    with pytest.raises(RequiresReplacement) as caught:
        reconciler.update_tags(changed)
    assert not isinstance(caught.value, AwsError) and isinstance(caught.value, ReconcilerError)
    assert caught.value.replaces == ["roleArn"]
    assert str(caught.value) == "CompilationJob resnet-ml-c5: roleArn cannot change in place; it needs a replacement"
    assert "UpdateCompilationJob" not in str(caught.value)
    assert writes(endpoint) == before


def test_a_team_whose_name_bound_inputs_changed_is_not_updated_in_place(endpoint, aws_env):
    reconciler = WorkteamReconciler(SageMakerGateway(AwsConfig()))
    reconciler.create(parse_workteam(cognito_team()))
    before = writes(endpoint)

    with pytest.raises(RequiresReplacement, match=r"^Workteam team-a: workforceName cannot change in place"):
        reconciler.update(parse_workteam(cognito_team(workforceName="another-force")))
    assert writes(endpoint) == before
