"""Fuzz the spec models: whatever JSON-ish value arrives, the answer is a spec or a SpecError, never a crash.

Three shapes of input: arbitrary JSON objects whose keys are mostly real property
names (camelCase and snake_case), a valid spec with one value anywhere in it
replaced by arbitrary JSON, and arbitrary text as dataInputConfig (the one input
that is itself parsed). An accepted spec must also survive the round trip the
providers put it through (``to_props`` -> parse again, ``to_create_request``).

The parse functions take a mapping (the front ends check that: Pulumi always sends one, the
manifest reader refuses a non-mapping ``properties``), so only mappings are fuzzed.

Manifest parsing (``provider/manifest.py``, with the GitOps CLI) is not fuzzed here yet: it
belongs with the CLI's tests once that lands; the same strategies apply to its documents.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.unit.test_compilation_job_spec import job
from tests.unit.workteam_samples import cognito_team, oidc_team

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORKTEAM_KEYS = [
    "workteamName",
    "workforceName",
    "description",
    "memberDefinitions",
    "notificationConfiguration",
    "workerAccessConfiguration",
    "tags",
    "forceDelete",
    "workteam_name",
    "member_definitions",
    "cognitoMemberDefinition",
    "oidcMemberDefinition",
    "userPool",
    "userGroup",
    "clientId",
    "groups",
    "notificationTopicArn",
    "s3Presign",
    "iamPolicyConstraints",
    "sourceIp",
    "vpcSourceIp",
]
JOB_KEYS = [
    "compilationJobName",
    "roleArn",
    "modelPackageVersionArn",
    "inputConfig",
    "outputConfig",
    "vpcConfig",
    "stoppingCondition",
    "tags",
    "mode",
    "deleteArtifacts",
    "s3Uri",
    "dataInputConfig",
    "framework",
    "frameworkVersion",
    "s3OutputLocation",
    "targetDevice",
    "targetPlatform",
    "os",
    "arch",
    "accelerator",
    "compilerOptions",
    "kmsKeyId",
    "securityGroupIds",
    "subnets",
    "maxRuntimeInSeconds",
    "maxWaitTimeInSeconds",
    "maxPendingTimeInSeconds",
    "input_config",
    "output_config",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "",
            "ml_c5",
            "ONNX",
            "LINUX",
            "ARM64",
            "Enabled",
            "cloud",
            "local",
            "s3://b/k.tar.gz",
            "file:///tmp/m.tar.gz",
            "arn:aws:iam::123456789012:role/r",
            '{"data": [1, 3]}',
        ]
    )
)


def json_values(keys: list[str]) -> st.SearchStrategy[Any]:
    key = st.sampled_from(keys) | st.text(max_size=12)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(key, children, max_size=5),
        max_leaves=15,
    )


def objects(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=12), json_values(keys), max_size=8)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*prefix, i))
    return found


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    head, *rest = path
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = replaced(value[head], tuple(rest), new)
    return copy


@st.composite
def mutants(draw: st.DrawFn, valid: list[dict[str, Any]], keys: list[str]) -> Any:
    base = draw(st.sampled_from(valid))
    path = draw(st.sampled_from(paths(base)[1:]))
    return replaced(base, path, draw(json_values(keys)))


def outcome(parse, props: Any) -> None:
    """A spec that round-trips, or a SpecError; anything else fails the test."""
    try:
        spec = parse(props)
    except SpecError as error:
        assert error.violations and all(isinstance(v.rule, str) and v.rule for v in error.violations)
        return
    assert parse(spec.to_props()) == spec
    json.dumps(spec.to_create_request())


VALID_TEAMS = [
    cognito_team(),
    oidc_team(),
    cognito_team(
        workerAccessConfiguration={
            "s3Presign": {"iamPolicyConstraints": {"sourceIp": "Enabled", "vpcSourceIp": "Disabled"}}
        }
    ),
]
VALID_JOBS = [
    job(),
    job(
        vpcConfig={"securityGroupIds": ["sg-1"], "subnets": ["subnet-1"]},
        tags={"k": "v"},
        outputConfig={"s3OutputLocation": "s3://m/c", "targetPlatform": {"os": "LINUX", "arch": "ARM64"}},
    ),
    job(inputConfig={"s3Uri": "s3://m/x.tar.gz", "framework": "PYTORCH", "dataInputConfig": "[[1,3,8,8]]"}),
]


@FUZZ
@given(objects(WORKTEAM_KEYS))
def test_any_object_is_a_workteam_or_a_spec_error(props):
    outcome(parse_workteam, props)


@FUZZ
@given(mutants(VALID_TEAMS, WORKTEAM_KEYS))
def test_a_valid_workteam_with_any_value_replaced_is_a_workteam_or_a_spec_error(props):
    outcome(parse_workteam, props)


@FUZZ
@given(objects(JOB_KEYS))
def test_any_object_is_a_compilation_job_or_a_spec_error(props):
    outcome(parse_compilation_job, props)


@FUZZ
@given(mutants(VALID_JOBS, JOB_KEYS))
def test_a_valid_job_with_any_value_replaced_is_a_job_or_a_spec_error(props):
    outcome(parse_compilation_job, props)


@FUZZ
@given(
    st.sampled_from(["ONNX", "PYTORCH", "TENSORFLOW", "XGBOOST", "MXNET"]),
    st.text(max_size=60) | json_values(["data", "input0"]).map(json.dumps),
)
@example("ONNX", '{"data": [1e400]}')
@example("PYTORCH", "[[1, 3, 2.0]]")
@example("ONNX", '{"data": [NaN]}')
def test_any_data_input_config_text_is_accepted_or_a_spec_error(framework, text):
    outcome(
        parse_compilation_job,
        job(inputConfig={"s3Uri": "s3://m/x.tar.gz", "framework": framework, "dataInputConfig": text}),
    )


@pytest.mark.parametrize("depth", [1000, 8000])
def test_a_deeply_nested_data_input_config_is_a_spec_error(depth):
    with pytest.raises(SpecError, match="nested too deeply"):
        parse_compilation_job(
            job(
                inputConfig={
                    "s3Uri": "s3://m/x.tar.gz",
                    "framework": "ONNX",
                    "dataInputConfig": "[" * depth + "]" * depth,
                }
            )
        )
