"""Describe calls while waiting for a compilation job of T seconds: our backoff vs a fixed 5 s poll.

Runs a real CompilationJobReconciler against the embedded endpoint, whose job
clock is advanced by the waiter's own sleeps, so a 3-hour job takes a second.
Prints counts and ratios (stable on a noisy machine), never wall time.
"""

from __future__ import annotations

import math
import os

import boto3

from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.endpoint import start_endpoint
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job

DURATIONS = (10, 60, 300, 900, 3600, 10800)
FIXED_POLL = 5.0  # the SageMaker Python SDK's wait() interval


def main() -> None:
    with start_endpoint() as endpoint:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=endpoint.url,
        )
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="models")
        s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"model")
        print(
            f"{'job seconds':>11} {'describes':>9} {'fixed 5s':>8} {'calls ratio':>11} {'noticed after':>13} {'fixed 5s worst':>14}"
        )
        for index, seconds in enumerate(DURATIONS):
            endpoint.set_compilation_timing(starting_seconds=0, compiling_seconds=seconds)
            reconciler = CompilationJobReconciler(
                SageMakerGateway(AwsConfig()),
                ObjectStore(AwsConfig()),
                sleep=endpoint.advance_clock,
                clock=endpoint.now,
            )
            spec = parse_compilation_job(
                {
                    "compilationJobName": f"bench-{index}",
                    "roleArn": "arn:aws:iam::123456789012:role/neo",
                    "inputConfig": {
                        "s3Uri": "s3://models/m.tar.gz",
                        "framework": "ONNX",
                        "dataInputConfig": '{"data": [1, 3, 224, 224]}',
                    },
                    "outputConfig": {"s3OutputLocation": "s3://models/out", "targetDevice": "ml_c5"},
                    "stoppingCondition": {"maxRuntimeInSeconds": 4 * 3600},
                }
            )
            endpoint.clear_requests()
            start = endpoint.now()
            reconciler.create(spec)
            describes = sum(r.operation == "DescribeCompilationJob" for r in endpoint.requests)
            late = endpoint.now() - start - seconds
            fixed = math.ceil(seconds / FIXED_POLL) + 1
            print(
                f"{seconds:>11} {describes:>9} {fixed:>8} {describes / fixed:>11.2f} {late:>12.1f}s {FIXED_POLL:>13.1f}s"
            )


if __name__ == "__main__":
    main()
