"""API calls per resource for a no-op plan: N work teams and N compilation jobs on the embedded endpoint.

Creates the stack through the reconcilers, then plans it again with nothing
changed, and counts from the endpoint's request log (SageMaker and S3 alike)
what each resource cost. Half of each kind declare tags. Prints counts and
ratios (calls per resource), which do not depend on the machine.

The service allows 25 work teams per region; the endpoint's
``set_workteam_limit()`` control (``POST /_reconciler/workteams/limit``) raises
that for this load test only.

    python bench/api_calls.py            # N = 200
    python bench/api_calls.py --n 50
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3

from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.endpoint import WRITE_OPERATIONS
from sagemaker_reconciler.plan.model import Action
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec, parse_compilation_job
from sagemaker_reconciler.specs.workteam import WorkteamSpec, parse_workteam

WRITES = WRITE_OPERATIONS
READS = ("DescribeWorkteam", "DescribeCompilationJob", "ListTags", "HeadObject")


def team_spec(index: int) -> WorkteamSpec:
    props: dict[str, Any] = {
        "workteamName": f"team-{index:04d}",
        "description": f"Labelers {index}",
        "memberDefinitions": [
            {
                "cognitoMemberDefinition": {
                    "userPool": "us-east-1_AbCdEf123",
                    "userGroup": f"group-{index}",
                    "clientId": "client1",
                }
            }
        ],
    }
    if index % 2 == 0:
        props["tags"] = {"team": "vision", "index": str(index)}
    return parse_workteam(props)


def job_spec(index: int) -> CompilationJobSpec:
    props: dict[str, Any] = {
        "compilationJobName": f"job-{index:04d}",
        "roleArn": "arn:aws:iam::123456789012:role/neo",
        "inputConfig": {
            "s3Uri": "s3://bench-models/m.tar.gz",
            "framework": "ONNX",
            "dataInputConfig": '{"data": [1, 3, 224, 224]}',
        },
        "outputConfig": {"s3OutputLocation": f"s3://bench-models/out/{index}", "targetDevice": "ml_c5"},
        "stoppingCondition": {"maxRuntimeInSeconds": 900},
    }
    if index % 2 == 0:
        props["tags"] = {"model": "resnet", "index": str(index)}
    return parse_compilation_job(props)


@dataclass
class Measure:
    """Calls a no-op plan made, per kind of resource and per tags declared or not."""

    resources: Counter = field(default_factory=Counter)
    calls: dict[str, Counter] = field(default_factory=dict)
    noops: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def per_resource(self, group: str, operation: str) -> float:
        return self.calls.get(group, Counter())[operation] / max(self.resources[group], 1)

    def writes(self, group: str) -> int:
        return sum(n for op, n in self.calls.get(group, Counter()).items() if op in WRITES)


def build_stack(endpoint: Any, n: int) -> tuple[list[WorkteamSpec], list[CompilationJobSpec]]:
    """Create n teams and n completed jobs (the endpoint's team limit raised to n)."""
    endpoint.set_workteam_limit(max(n, 25))
    endpoint.set_compilation_timing(starting_seconds=0, compiling_seconds=0)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="bench-models")
    s3.put_object(Bucket="bench-models", Key="m.tar.gz", Body=b"model")
    teams = [team_spec(i) for i in range(n)]
    jobs = [job_spec(i) for i in range(n)]
    team_reconciler = WorkteamReconciler(SageMakerGateway(AwsConfig()))
    job_reconciler = CompilationJobReconciler(
        SageMakerGateway(AwsConfig()), ObjectStore(AwsConfig()), sleep=endpoint.advance_clock, clock=endpoint.now
    )
    for spec in teams:
        team_reconciler.create(spec)
    for job in jobs:
        job_reconciler.create(job)
    return teams, jobs


def measure_noop_plan(endpoint: Any, teams: list[WorkteamSpec], jobs: list[CompilationJobSpec]) -> Measure:
    """Plan every resource once, nothing changed; attribute each logged call to its resource's group."""
    result = Measure()
    team_reconciler = WorkteamReconciler(SageMakerGateway(AwsConfig()))
    job_reconciler = CompilationJobReconciler(SageMakerGateway(AwsConfig()), ObjectStore(AwsConfig()))
    work: list[tuple[str, Any]] = []
    for spec in teams:
        work.append(
            (f"Workteam, tags {'declared' if spec.tags else 'not declared'}", lambda s=spec: team_reconciler.plan(s))
        )
    for spec in jobs:
        work.append(
            (
                f"CompilationJob, tags {'declared' if spec.tags else 'not declared'}",
                lambda s=spec: job_reconciler.plan(s),
            )
        )
    for group, plan in work:
        endpoint.clear_requests()
        started = time.perf_counter()
        decided, _ = plan()
        result.seconds[group] = result.seconds.get(group, 0.0) + time.perf_counter() - started
        result.resources[group] += 1
        result.noops[group] += decided.action is Action.NOOP
        result.calls.setdefault(group, Counter()).update(r.operation for r in endpoint.all_requests)
    return result


def report(result: Measure) -> str:
    columns = "".join(f"{op:>24}" for op in READS)
    header = f"{'resources':<34}{'n':>5}{'no-op':>7}{columns}{'writes':>8}{'ms/plan':>9}"
    lines = [header, "-" * len(header)]
    for group in sorted(result.resources):
        n = result.resources[group]
        ratios = "".join(f"{result.per_resource(group, op):>24.2f}" for op in READS)
        ms = 1000 * result.seconds[group] / n
        lines.append(f"{group:<34}{n:>5}{result.noops[group]:>7}{ratios}{result.writes(group):>8}{ms:>9.1f}")
    lines.append("(columns: calls per resource; writes: total; ms/plan: sequential wall time, for scale only)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="work teams and compilation jobs each (default 200)")
    args = parser.parse_args(argv)

    from sagemaker_reconciler.endpoint import start_endpoint

    with start_endpoint() as endpoint:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=endpoint.url,
        )
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_S3"):
            os.environ.pop(name, None)
        teams, jobs = build_stack(endpoint, args.n)
        result = measure_noop_plan(endpoint, teams, jobs)
    print(f"no-op plan of {args.n} work teams and {args.n} compilation jobs (half of each declare tags)\n")
    print(report(result))
    worst = max(result.per_resource(group, op) for group in result.resources for op in READS)
    writes = sum(result.writes(group) for group in result.resources)
    print(f"\nmost calls of one kind per resource: {worst:.2f}; writes: {writes}")
    return 0 if worst <= 1 and writes == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
