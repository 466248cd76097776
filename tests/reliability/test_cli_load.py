"""200 work teams and 200 compilation jobs planned by the GitOps CLI's pool while the service throttles.

The plan must still come out in sync, read each resource once (retries aside), write nothing, and
answer the throttled calls by retrying rather than failing.
"""

from __future__ import annotations

import json
from collections import Counter

from sagemaker_reconciler import gitops
from sagemaker_reconciler.aws import AwsConfig
from sagemaker_reconciler.manifest import parse_manifest
from sagemaker_reconciler.report import EXIT_IN_SYNC

from .test_api_calls import load_bench

N = 200
WRITES = {
    "CreateWorkteam",
    "UpdateWorkteam",
    "DeleteWorkteam",
    "CreateCompilationJob",
    "StopCompilationJob",
    "DeleteCompilationJob",
    "AddTags",
    "DeleteTags",
    "PutObject",
    "DeleteObject",
}


def manifest_of(teams, jobs) -> str:
    resources = {
        f"team{i}": {"type": "sagemaker-reconciler:Workteam", "properties": spec.to_props()}
        for i, spec in enumerate(teams)
    }
    resources.update(
        {
            f"job{i}": {"type": "sagemaker-reconciler:CompilationJob", "properties": spec.to_props()}
            for i, spec in enumerate(jobs)
        }
    )
    return json.dumps({"resources": resources})  # JSON is YAML


def test_a_400_resource_no_op_plan_under_throttling(endpoint, aws_env):
    teams, jobs = load_bench().build_stack(endpoint, N)
    manifest = parse_manifest(manifest_of(teams, jobs), "load.yaml")
    endpoint.clear_requests()
    for operation in ("DescribeWorkteam", "DescribeCompilationJob", "ListTags"):
        endpoint.inject_fault("throttling", operation, probability=0.1, seed=7)

    report = gitops.plan(manifest, gitops.RunOptions(config=AwsConfig(endpoint_url=aws_env), parallelism=8))

    assert report.exit_code == EXIT_IN_SYNC, [r.error for r in report.resources if r.error]
    assert len(report.resources) == 2 * N
    attempts = endpoint.all_requests
    throttled = [r for r in attempts if r.fault == "throttling"]
    served = Counter(r.operation for r in attempts if r.fault is None)
    assert throttled, "the fault was injected and retried through"
    assert served["DescribeWorkteam"] == N and served["DescribeCompilationJob"] == N
    assert served["ListTags"] <= 2 * N and served["HeadObject"] == N
    assert not WRITES & set(served)
