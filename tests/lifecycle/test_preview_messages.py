"""Item 8: what a preview logs is true: live facts as facts, drift as drift, no-op edits as no change."""

from __future__ import annotations

import boto3

from sagemaker_reconciler import CompilationJobProvider, WorkteamProvider
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from tests.unit.test_compilation_job_spec import job
from tests.unit.workteam_samples import cognito_team

TOPIC = "arn:aws:sns:us-east-1:123456789012:labels"


def created(server, provider, props):
    inputs, failures = server.check(provider, {}, props)
    assert failures == []
    return server.create(provider, inputs)


def test_a_failed_job_is_logged_with_its_status_and_reason(server, endpoint):
    job_id, outs = created(server, CompilationJobProvider(), job())
    boto3.client("sagemaker").delete_compilation_job(CompilationJobName=job_id)
    endpoint.fail_compilation_job("ClientError: unsupported operator Foo", job_name=job_id)
    endpoint.set_compilation_timing(job_name=job_id, compiling_seconds=0)
    # the job is recreated out of band and fails there
    boto3.client("sagemaker").create_compilation_job(**parse_compilation_job(job()).to_create_request())

    diff = server.diff(CompilationJobProvider(), job_id, outs, job())

    assert diff.changes == "DIFF_SOME" and diff.replaces == ["compilationJobName"]
    log = server.stderr()
    assert "the live job ended FAILED (ClientError: unsupported operator Foo): it is recreated" in log
    assert "drift: changed outside Pulumi" in log
    assert f'compilationJobName: "{job_id}" -> "{job_id}"' not in log


def test_a_missing_artifact_is_logged_as_missing(server):
    job_id, outs = created(server, CompilationJobProvider(), job())
    boto3.client("s3").delete_object(Bucket="models", Key="compiled/resnet-ml_c5.tar.gz")
    diff = server.diff(CompilationJobProvider(), job_id, outs, job())
    assert diff.replaces == ["compilationJobName"]
    log = server.stderr()
    assert "the compiled artifact s3://models/compiled/resnet-ml_c5.tar.gz no longer exists in S3" in log
    assert f'"{job_id}" -> "{job_id}"' not in log


def no_topic_team():
    return {k: v for k, v in cognito_team().items() if k != "notificationConfiguration"}


def test_a_topic_added_outside_pulumi_is_labelled_drift(server):
    team_id, outs = created(server, WorkteamProvider(), no_topic_team())
    boto3.client("sagemaker").update_workteam(
        WorkteamName=team_id, NotificationConfiguration={"NotificationTopicArn": TOPIC}
    )
    diff = server.diff(WorkteamProvider(), team_id, outs, no_topic_team())
    assert diff.changes == "DIFF_SOME"
    log = server.stderr()
    assert (
        f'notificationConfiguration: {{"notificationTopicArn": "{TOPIC}"}} -> (none) '
        "[update in place; drift: changed outside Pulumi]" in log
    )
    assert "changed in the program" not in log


def test_whitespace_only_edits_of_json_inputs_change_nothing(server):
    job_id, outs = created(
        server,
        CompilationJobProvider(),
        job(
            outputConfig={
                "s3OutputLocation": "s3://models/compiled",
                "targetDevice": "ml_c5",
                "compilerOptions": '{"mcpu": "skylake"}',
            }
        ),
    )
    respaced = job(
        inputConfig={**job()["inputConfig"], "dataInputConfig": '{ "data" : [1,3,224,224] }\n'},
        outputConfig={
            "s3OutputLocation": "s3://models/compiled",
            "targetDevice": "ml_c5",
            "compilerOptions": '{"mcpu":"skylake"}',
        },
    )
    diff = server.diff(CompilationJobProvider(), job_id, outs, respaced)
    assert diff.changes == "DIFF_NONE" and diff.replaces == []
    assert "inputConfig" not in server.stderr()


def test_removing_the_stopping_condition_says_why_it_replaces(server):
    job_id, outs = created(server, CompilationJobProvider(), job())
    without = {k: v for k, v in job().items() if k != "stoppingCondition"}
    diff = server.diff(CompilationJobProvider(), job_id, outs, without)
    assert diff.replaces == ["stoppingCondition"]
    assert (
        'stoppingCondition: {"maxRuntimeInSeconds": 900} -> (none) [forces replacement; changed in the program: '
        "removed: a new job runs with the service's default limits"
    ) in server.stderr()


def test_a_real_program_edit_is_still_labelled_as_one(server):
    job_id, outs = created(server, CompilationJobProvider(), job())
    retarget = job(outputConfig={"s3OutputLocation": "s3://models/compiled", "targetDevice": "rasp4b"})
    assert server.diff(CompilationJobProvider(), job_id, outs, retarget).replaces == ["outputConfig"]
    assert (
        'outputConfig: {"s3OutputLocation": "s3://models/compiled", "targetDevice": "ml_c5"} -> '
        '{"s3OutputLocation": "s3://models/compiled", "targetDevice": "rasp4b"} '
        "[forces replacement; changed in the program]"
    ) in server.stderr()
