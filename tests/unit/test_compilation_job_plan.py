"""Planning a CompilationJob: replacement names its fields, defaults are not drift, tags move in place."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sagemaker_reconciler.plan import UNKNOWN, Action, plan_compilation_job
from sagemaker_reconciler.specs.compilation_job import TARGET_DEVICES, parse_compilation_job
from sagemaker_reconciler.specs.workteam import props_shape
from tests.unit.test_compilation_job_spec import job, outputs

ARN = "arn:aws:sagemaker:us-east-1:123456789012:compilation-job/resnet-ml-c5"


def described(props, **server_defaults):
    """What DescribeCompilationJob + ListTags would show for a job created from `props`."""
    request = parse_compilation_job(props).to_create_request()
    observed = props_shape({k: v for k, v in request.items() if k != "Tags"})
    observed["stoppingCondition"] = {"maxRuntimeInSeconds": 86400, **observed.get("stoppingCondition", {})}
    observed.update(server_defaults, compilationJobArn=ARN, tags=props.get("tags", {}))
    return observed


def plan(props, live, **kwargs):
    return plan_compilation_job(parse_compilation_job(props).to_props(), live, **kwargs)


def test_absent_job_is_created():
    assert plan(job(), None).action is Action.CREATE


def test_target_change_replaces_naming_output_config():
    result = plan(job(outputConfig=outputs(targetDevice="rasp4b")), described(job()))
    assert result.action is Action.REPLACE and result.replaces == ["outputConfig"]
    assert result.changes[0].details == ("outputConfig.targetDevice",)


def test_every_input_change_is_a_replacement():
    live = described(job())
    for changed in (
        job(roleArn="arn:aws:iam::123456789012:role/other"),
        job(inputConfig={**job()["inputConfig"], "s3Uri": "s3://models/v2.tar.gz"}),
        job(stoppingCondition={"maxRuntimeInSeconds": 1800}),
        job(vpcConfig={"securityGroupIds": ["sg-1"], "subnets": ["subnet-1"]}),
    ):
        result = plan(changed, live)
        assert result.action is Action.REPLACE and len(result.replaces) == 1


def test_service_defaults_and_json_whitespace_are_not_drift():
    props = job(stoppingCondition=None)
    props = {k: v for k, v in props.items() if v is not None}
    live = described(job(inputConfig={**job()["inputConfig"], "dataInputConfig": '{"data":[1,3,224,224]}'}))
    assert plan(props, live).action is Action.NOOP


def test_vpc_lists_are_sets():
    props = job(vpcConfig={"securityGroupIds": ["sg-b", "sg-a"], "subnets": ["subnet-2", "subnet-1"]})
    live = described(job(vpcConfig={"securityGroupIds": ["sg-a", "sg-b"], "subnets": ["subnet-1", "subnet-2"]}))
    assert plan(props, live).action is Action.NOOP


def test_tags_change_in_place():
    result = plan(job(tags={"stage": "prod"}), described(job(tags={"stage": "dev", "old": "1"})))
    assert result.action is Action.UPDATE and result.replaces == []
    assert [c.to_dict() for c in result.calls] == [
        {"operation": "AddTags", "params": {"ResourceArn": ARN, "Tags": [{"Key": "stage", "Value": "prod"}]}},
        {"operation": "DeleteTags", "params": {"ResourceArn": ARN, "TagKeys": ["old"]}},
    ]


def test_missing_artifact_or_failed_job_is_recreated():
    result = plan(job(), described(job()), status="COMPLETED", artifact_exists=False)
    assert result.action is Action.REPLACE and "no longer exists" in result.notes[0]
    assert plan(job(), described(job()), status="FAILED").action is Action.REPLACE
    assert plan(job(), described(job()), status="INPROGRESS").action is Action.NOOP


def test_unknown_input_during_preview_is_a_replacement_of_that_field():
    desired = parse_compilation_job(job()).to_props()
    desired["inputConfig"] = {**desired["inputConfig"], "s3Uri": UNKNOWN}
    result = plan_compilation_job(desired, described(job()))
    assert result.replaces == ["inputConfig"]


shapes = st.lists(st.integers(1, 512), min_size=1, max_size=4)
jobs = st.builds(
    lambda target, shape, runtime, tags: job(
        inputConfig={**job()["inputConfig"], "dataInputConfig": json.dumps({"data": shape})},
        outputConfig=outputs(targetDevice=target),
        stoppingCondition={"maxRuntimeInSeconds": runtime},
        tags=tags,
    ),
    st.sampled_from(TARGET_DEVICES),
    shapes,
    st.integers(1, 28 * 86400),
    st.dictionaries(st.text("abc", min_size=1, max_size=3), st.text("xyz", max_size=3), max_size=3),
)


@settings(max_examples=100, deadline=None)
@given(jobs)
def test_any_valid_job_diffs_clean_against_its_own_description(props):
    assert plan(props, described(props)).action is Action.NOOP
