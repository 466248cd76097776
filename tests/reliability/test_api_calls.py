"""A no-op plan costs at most one Describe, one ListTags and (for a job) one HeadObject per resource, and no writes.

Uses the measurement of ``bench/api_calls.py`` (which runs the same at N = 200) on a
smaller stack, with more teams than the service's 25 per region (the endpoint's
limit is raised for load tests).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import boto3

BENCH = Path(__file__).resolve().parents[2] / "bench" / "api_calls.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_api_calls", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_a_no_op_plan_of_a_stack_reads_each_resource_once_and_writes_nothing(endpoint, aws_env):
    bench = load_bench()
    teams, jobs = bench.build_stack(endpoint, 30)
    assert len(boto3.client("sagemaker").list_workteams(MaxResults=100)["Workteams"]) == 30  # over the 25 limit
    result = bench.measure_noop_plan(endpoint, teams, jobs)

    assert sum(result.resources.values()) == 60
    assert result.noops == result.resources, "every plan is a no-op"
    for group in result.resources:
        kind = group.split(",")[0]
        describe = "DescribeWorkteam" if kind == "Workteam" else "DescribeCompilationJob"
        assert result.per_resource(group, describe) == 1.0, group
        assert result.per_resource(group, "ListTags") == (1.0 if "tags declared" in group else 0.0), group
        assert result.per_resource(group, "HeadObject") == (1.0 if kind == "CompilationJob" else 0.0), group
        assert result.writes(group) == 0, group
        assert set(result.calls[group]) <= {describe, "ListTags", "HeadObject"}, result.calls[group]
    assert "Workteam, tags declared" in bench.report(result)
