"""Create, a second preview with nothing to do, destroy: through the real engine and the installed plugin."""

from __future__ import annotations

import boto3
import pulumi

from sagemaker_reconciler.sdk import CompilationJob, Workteam

MEMBERS = [
    {
        "cognito_member_definition": {
            "user_pool": "us-east-1_AbCdEf123",
            "user_group": "labelers",
            "client_id": "client1",
        }
    }
]


def teams() -> list[str]:
    return sorted(t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"])


def jobs() -> list[str]:
    summaries = boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]
    return sorted(j["CompilationJobName"] for j in summaries)


def test_up_then_nothing_to_do_then_destroy(deploy):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"model bytes")

    def program():
        job = CompilationJob(
            "resnet",
            role_arn="arn:aws:iam::123456789012:role/neo",
            input_config={
                "s3_uri": "s3://models/resnet.tar.gz",
                "framework": "ONNX",
                "data_input_config": '{"data": [1, 3, 224, 224]}',
            },
            output_config={"s3_output_location": "s3://models/compiled", "target_device": "ml_c5"},
            stopping_condition={"max_runtime_in_seconds": 900},
        )
        pulumi.export("artifact", job.compiled_artifact_uri)
        auto_named = Workteam(
            "labelers", description="Labels street scenes", member_definitions=MEMBERS, tags={"team": "perception"}
        )
        Workteam("reviewers", workteam_name="reviewers", description="Reviews labels", member_definitions=MEMBERS)
        pulumi.export("arn", auto_named.arn)
        pulumi.export("name", auto_named.workteam_name)

    stack = deploy(program).stack
    up = stack.up()
    assert up.summary.result == "succeeded"
    name = up.outputs["name"].value
    assert name.startswith("labelers-") and up.outputs["arn"].value.endswith("/" + name)
    assert teams() == sorted([name, "reviewers"])
    (job,) = jobs()
    assert job.startswith("resnet-") and up.outputs["artifact"].value.startswith("s3://models/compiled/")
    preview = stack.preview()
    assert preview.change_summary == {"same": 4}
    stack.destroy()
    assert teams() == [] and jobs() == []


def test_replacements_delete_first_only_for_a_fixed_name(deploy):
    def program(fixed: str, workforce: str | None = None):
        def run():
            Workteam("fixed", workteam_name=fixed, description="d", member_definitions=MEMBERS)
            auto = Workteam("auto", description="d", member_definitions=MEMBERS, workforce_name=workforce)
            pulumi.export("auto", auto.workteam_name)

        return run

    deployment = deploy(program("team-one"))
    first = deployment.stack.up().outputs["auto"].value
    deployment.set_program(program("team-two", workforce="other"))
    events: list = []
    up = deployment.stack.up(on_event=events.append)
    steps: dict[str, list[str]] = {}
    for event in events:
        if event.resource_pre_event and event.resource_pre_event.metadata.op.value != "same":
            step = event.resource_pre_event.metadata
            steps.setdefault(step.urn.rsplit("::", 1)[-1], []).append(step.op.value)
    assert steps == {
        "fixed": ["delete-replaced", "replace", "create-replacement"],
        "auto": ["create-replacement", "replace", "delete-replaced"],
    }
    assert teams() == sorted(["team-two", up.outputs["auto"].value]) and up.outputs["auto"].value != first
