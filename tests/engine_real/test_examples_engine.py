"""Every examples/ program through the real Pulumi engine: preview, up, preview, refresh, destroy.

The programs run unchanged as inline Automation API programs; their resources are created by the
SDK's dynamic-provider server, started by the engine through the project's plugin script, against the
embedded endpoint. The exports are checked with the same assertions as the mock-monitor tier.
"""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from examples.test_examples import CHECKS

from .programs import EXAMPLE_DIRS, example_program, example_project
from .pulumi_env import Events, changes

RESOURCES = {"workteam": 2, "compilation-job": 1, "pipeline": 3, "local-compile": 2}
"""Resources each example declares (the engine's counts add one for the stack itself)."""
READS = {"DescribeWorkteam", "DescribeCompilationJob", "ListTags"}


def test_every_example_is_counted():
    assert set(EXAMPLE_DIRS) == set(RESOURCES), "add the example's resource count to RESOURCES"


@pytest.mark.parametrize("name", EXAMPLE_DIRS)
def test_example_through_the_engine(name, new_stack, endpoint, model, tmp_path: Path):
    stack = new_stack(example_project(name), example_program(name, tmp_path))
    count = RESOURCES[name] + 1

    preview = stack.preview()
    assert changes(preview.change_summary) == {"create": count}
    assert endpoint.requests == []  # check is pure: previewing new resources calls nothing

    up = stack.up()
    assert changes(up.summary.resource_changes) == {"create": count}
    exports = {key: output.value for key, output in up.outputs.items()}
    CHECKS[name](exports, model)

    endpoint.clear_requests()
    again = Events()
    second = stack.preview(on_event=again.record)
    assert changes(second.change_summary) == {}, second.stdout
    assert {op for op, _ in again.steps()} == {"same"}
    assert {r.operation for r in endpoint.requests} <= READS  # a preview only reads

    refresh = stack.refresh()
    assert changes(refresh.summary.resource_changes) == {}, refresh.stdout
    assert changes(stack.preview().change_summary) == {}  # refresh left nothing to change either
    assert {key: output.value for key, output in stack.outputs().items()} == exports

    destroy = stack.destroy()
    assert changes(destroy.summary.resource_changes) == {"delete": count}
    sagemaker = boto3.client("sagemaker")
    assert sagemaker.list_workteams()["Workteams"] == []
    assert sagemaker.list_compilation_jobs()["CompilationJobSummaries"] == []
    assert boto3.client("sns").list_topics()["Topics"] == []
    if name == "local-compile":  # delete_artifacts=True: the compiled files go with the jobs
        assert not [p for p in (tmp_path / "build" / "compiled").rglob("*.tar.gz")]
    assert stack.export_stack().deployment.get("resources") in (None, [])
