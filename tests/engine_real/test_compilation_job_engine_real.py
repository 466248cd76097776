"""Compilation jobs through the real engine: replacement order, resource options, a failing create."""

from __future__ import annotations

import boto3
import pulumi
import pytest
from pulumi import automation as auto

from sagemaker_reconciler import CompilationJob

from .programs import job_args
from .pulumi_env import Events, changes

WRITES = {"CreateCompilationJob", "DeleteCompilationJob", "StopCompilationJob", "AddTags", "DeleteTags"}


def job_writes(endpoint) -> list[tuple[str, str]]:
    return [(r.operation, r.params.get("CompilationJobName")) for r in endpoint.requests if r.operation in WRITES]


def job_program(name: str | None = None, **options):
    """One job whose target device comes from config `target`; `name` None -> auto-named."""

    def program() -> None:
        target = pulumi.Config().get("target") or "ml_c5"
        job = CompilationJob(
            "resnet",
            compilation_job_name=name,
            opts=pulumi.ResourceOptions(**options),
            **job_args(output_config={"s3_output_location": "s3://models/compiled", "target_device": target}),
        )
        pulumi.export("job_name", job.id)
        pulumi.export("artifact_uri", job.compiled_artifact_uri)

    return program


def retarget(stack: auto.Stack, project: str, target: str = "rasp4b") -> auto.UpResult:
    stack.set_config(f"{project}:target", auto.ConfigValue(target))
    return stack.up()


def test_auto_named_replacement_creates_the_new_job_before_deleting_the_old(new_stack, endpoint, model):
    stack = new_stack("auto-job", job_program())
    old = stack.up().outputs["job_name"].value
    endpoint.clear_requests()
    events = Events()
    stack.set_config("auto-job:target", auto.ConfigValue("rasp4b"))
    up = stack.up(on_event=events.record)
    new = up.outputs["job_name"].value
    assert new != old and new.startswith("resnet-")
    assert changes(up.summary.resource_changes) == {"replace": 1}
    assert job_writes(endpoint) == [("CreateCompilationJob", new), ("DeleteCompilationJob", old)]
    assert [op for op, name in events.steps() if name == "resnet"] == [
        "create-replacement",
        "replace",
        "delete-replaced",
    ]
    assert up.outputs["artifact_uri"].value == "s3://models/compiled/resnet-rasp4b.tar.gz"


def test_fixed_name_replacement_deletes_first(new_stack, endpoint, model):
    stack = new_stack("fixed-job", job_program("resnet-fixed"))
    stack.up()
    endpoint.clear_requests()
    up = retarget(stack, "fixed-job")
    assert changes(up.summary.resource_changes) == {"replace": 1}
    assert job_writes(endpoint) == [("DeleteCompilationJob", "resnet-fixed"), ("CreateCompilationJob", "resnet-fixed")]
    job = boto3.client("sagemaker").describe_compilation_job(CompilationJobName="resnet-fixed")
    assert job["OutputConfig"]["TargetDevice"] == "rasp4b"


def test_delete_before_replace_option_is_honoured_for_an_auto_named_job(new_stack, endpoint, model):
    stack = new_stack("dbr-job", job_program(delete_before_replace=True))
    old = stack.up().outputs["job_name"].value
    endpoint.clear_requests()
    new = retarget(stack, "dbr-job").outputs["job_name"].value
    assert job_writes(endpoint) == [("DeleteCompilationJob", old), ("CreateCompilationJob", new)]


def test_custom_timeouts_do_not_reach_a_dynamic_provider(new_stack, endpoint, model):
    """The engine passes timeouts in the Create request; the SDK's dynamic server drops them, and the
    provider's own bound (the stopping condition plus 5 minutes) applies instead. README says so."""
    endpoint.set_compilation_timing(starting_seconds=0.1, compiling_seconds=3)
    stack = new_stack("timeouts-job", job_program(custom_timeouts=pulumi.CustomTimeouts(create="1s")))
    up = stack.up()
    assert changes(up.summary.resource_changes) == {"create": 2}
    job = boto3.client("sagemaker").describe_compilation_job(CompilationJobName=up.outputs["job_name"].value)
    assert job["CompilationJobStatus"] == "COMPLETED"


def test_a_failed_job_fails_up_with_its_reason_and_the_next_up_succeeds(new_stack, endpoint, model):
    endpoint.fail_compilation_job("ClientError: CompilationError: unsupported operator Foo in the model")
    stack = new_stack("failing-job", job_program())
    with pytest.raises(auto.CommandError) as failure:
        stack.up()
    message = str(failure.value)
    assert "unsupported operator Foo in the model" in message and "FAILED" in message

    up = stack.up()  # the planted failure was for one job only: the retry compiles
    assert changes(up.summary.resource_changes).get("create") == 1
    job = boto3.client("sagemaker").describe_compilation_job(CompilationJobName=up.outputs["job_name"].value)
    assert job["CompilationJobStatus"] == "COMPLETED"
    assert changes(stack.preview().change_summary) == {}


def test_a_failed_fixed_name_job_is_retried_by_the_next_up(new_stack, endpoint, model):
    endpoint.fail_compilation_job("ClientError: CompilationError: unsupported operator Foo in the model")
    stack = new_stack("failing-fixed-job", job_program("resnet-fixed"))
    with pytest.raises(auto.CommandError, match="unsupported operator Foo in the model"):
        stack.up()
    up = stack.up()
    assert changes(up.summary.resource_changes).get("create") == 1
    job = boto3.client("sagemaker").describe_compilation_job(CompilationJobName="resnet-fixed")
    assert job["CompilationJobStatus"] == "COMPLETED"
