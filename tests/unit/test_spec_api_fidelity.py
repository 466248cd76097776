"""Issue 10's spec rules, one by one: what the API allows is accepted, what it refuses is refused up front."""

from __future__ import annotations

import textwrap

import pytest

from sagemaker_reconciler.errors import ManifestError, SpecError
from sagemaker_reconciler.manifest import parse_manifest
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from sagemaker_reconciler.specs.data_input import FRAMEWORK_LAYOUT
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.unit.test_compilation_job_spec import inputs, job, outputs
from tests.unit.workteam_samples import cognito_team, oidc_team


def refusals(parse, props) -> dict[str, str]:
    with pytest.raises(SpecError) as info:
        parse(props)
    return {v.field: v.rule for v in info.value.violations}


# --- accepted although the old specs refused them -------------------------------------------------

COREML = [
    '{"input_1": {"shape": [1,224,224,3]}}',
    '{"input_1": {"shape": ["1..10", 224, 224, 3]}}',
    '{"input_1": {"shape": [[1,224,224,3], [1,160,160,3]], "default_shape": [1,224,224,3]}}',
    (
        '{"input_1": {"shape": [[1,224,224,3]], "default_shape": [1,224,224,3], "type": "Image", '
        '"bias": [-1,-1,-1], "scale": 0.007843137255}}'
    ),
    '{"input_1": [1,224,224,3]}',
]
COREML_PYTORCH = [
    '[{"shape": [[1,3,224,224], [1,3,160,160]], "default_shape": [1,3,224,224]}]',
    '[{"shape": [[1,3,224,224]], "type": "Image", "bias": [-1,-1,-1], "scale": 0.5}]',
]


@pytest.mark.parametrize(
    "props",
    [
        job(stoppingCondition={"maxPendingTimeInSeconds": 1800}),
        job(stoppingCondition={"maxPendingTimeInSeconds": 7199}),
        job(stoppingCondition={"maxRuntimeInSeconds": 900, "maxWaitTimeInSeconds": 900}),
        job(inputConfig=inputs(framework="XGBOOST")),
        job(inputConfig=inputs(framework="XGBOOST", dataInputConfig='{"anything": "goes"}')),
        job(inputConfig={"s3Uri": "s3://m/model.tar.gz", "framework": "TFLITE"}),
        job(inputConfig={"s3Uri": "s3://m/model.tar.gz", "framework": "SKLEARN"}),
        job(inputConfig=inputs(framework="KERAS", dataInputConfig='{"input_1": [1,3,224,224]}')),
        job(stoppingCondition={"maxRuntimeInSeconds": 900.0}),  # Pulumi sends every number as a double
        *[
            job(
                inputConfig=inputs(framework="TENSORFLOW", dataInputConfig=c),
                outputConfig=outputs(targetDevice="coreml"),
            )
            for c in COREML
        ],
        *[
            job(inputConfig=inputs(framework="PYTORCH", dataInputConfig=c), outputConfig=outputs(targetDevice="coreml"))
            for c in COREML_PYTORCH
        ],
    ],
)
def test_compilation_jobs_the_api_allows_are_accepted(props) -> None:
    parse_compilation_job(props)


@pytest.mark.parametrize(
    "props",
    [
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {}}]),
        cognito_team(notificationConfiguration={}),
        cognito_team(description="Étiquettes 街景 \t tabs are fine"),
        cognito_team(
            memberDefinitions=[
                {
                    "cognitoMemberDefinition": {
                        "userPool": "us-east-1_AbCdEf123",
                        "userGroup": "équipe-٣😀",
                        "clientId": "client1",
                    }
                }
            ]
        ),
    ],
)
def test_work_teams_the_api_allows_are_accepted(props) -> None:
    parse_workteam(props)


def test_an_empty_notification_block_is_no_topic_in_state_and_request() -> None:
    spec = parse_workteam(cognito_team(notificationConfiguration={}))
    assert spec.notification_configuration is None
    assert "notificationConfiguration" not in spec.to_props()
    assert "NotificationConfiguration" not in spec.to_create_request()


# --- refused although the old specs accepted them -------------------------------------------------

LINE_BREAKS = ["\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029"]


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=repr)
def test_line_breaks_are_refused_where_the_pattern_is_dot(brk: str) -> None:
    found = refusals(parse_workteam, cognito_team(description=f"Labels{brk}street scenes"))
    assert "one line" in found["description"]
    found = refusals(parse_compilation_job, job(outputConfig=outputs(compilerOptions=f'{{"mcpu": "x"}}{brk}')))
    assert "one line" in found["outputConfig.compilerOptions"]


def test_a_yaml_block_scalar_description_is_refused_with_its_line() -> None:
    text = textwrap.dedent("""\
        resources:
          team:
            type: sagemaker-reconciler:Workteam
            properties:
              workteamName: team-a
              description: |
                Labels street scenes
              memberDefinitions:
                - oidcMemberDefinition: {groups: [g1]}
        """)
    with pytest.raises(ManifestError) as info:
        parse_manifest(text)
    assert "resources.team.properties.description: must be one line" in str(info.value)


@pytest.mark.parametrize(
    ("props", "field"),
    [
        (job(roleArn="arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/neo"), "roleArn"),
        (job(roleArn="arn:aws:iam::１２３４５６７８９０１２:role/neo"), "roleArn"),
    ],
)
def test_non_ascii_digits_are_not_digits(props, field) -> None:
    assert field in refusals(parse_compilation_job, props)


def test_non_ascii_word_characters_are_not_in_a_user_pool_id() -> None:
    pool = {"userPool": "us-east-١_AbCdEf123", "userGroup": "g", "clientId": "c"}
    found = refusals(parse_workteam, cognito_team(memberDefinitions=[{"cognitoMemberDefinition": pool}]))
    assert "memberDefinitions[0].cognitoMemberDefinition.userPool" in found


@pytest.mark.parametrize(
    ("stopping", "rule"),
    [
        ({"maxRuntimeInSeconds": True}, "must be an integer, got the boolean true"),
        ({"maxRuntimeInSeconds": "900"}, "must be an integer, got the string '900'"),
        ({"maxRuntimeInSeconds": 900.5}, "must be an integer"),
        ({"maxWaitTimeInSeconds": 2**31}, "at most 2147483647"),
        ({"maxPendingTimeInSeconds": 1799}, "at least 1800"),
    ],
)
def test_numbers_are_strict(stopping, rule) -> None:
    found = refusals(parse_compilation_job, job(stoppingCondition=stopping))
    field = f"stoppingCondition.{next(iter(stopping))}"
    assert rule in found[field], found


@pytest.mark.parametrize("value", ["yes", "no", "true", 1, 0])
def test_booleans_are_strict(value) -> None:
    assert (
        "must be a boolean (true or false)"
        in refusals(parse_compilation_job, job(deleteArtifacts=value))["deleteArtifacts"]
    )
    assert (
        "must be a boolean (true or false)" in refusals(parse_workteam, cognito_team(forceDelete=value))["forceDelete"]
    )


def test_a_yaml_yes_is_not_one_second() -> None:
    text = textwrap.dedent("""\
        resources:
          job:
            type: sagemaker-reconciler:CompilationJob
            properties:
              compilationJobName: j
              roleArn: arn:aws:iam::123456789012:role/neo
              inputConfig: {s3Uri: s3://m/model.tar.gz, framework: XGBOOST}
              outputConfig: {s3OutputLocation: s3://m/out, targetDevice: ml_c5}
              stoppingCondition: {maxRuntimeInSeconds: yes}
        """)
    with pytest.raises(ManifestError) as info:
        parse_manifest(text)
    assert "stoppingCondition.maxRuntimeInSeconds: must be an integer, got the boolean true" in str(info.value)


def test_max_wait_must_cover_max_runtime() -> None:
    found = refusals(
        parse_compilation_job, job(stoppingCondition={"maxRuntimeInSeconds": 900, "maxWaitTimeInSeconds": 600})
    )
    assert found["stoppingCondition.maxWaitTimeInSeconds"] == "must be at least maxRuntimeInSeconds (900), got 600"


@pytest.mark.parametrize(
    ("config", "target", "rule"),
    [
        ('{"input_1": {"shape": [1,224,224,3]}}', "ml_c5", "must be a list of positive integers"),
        ('{"input_1": {"shape": [1,224,224,3], "color": "red"}}', "coreml", "unknown CoreML input parameter"),
        ('{"input_1": {"shape": ["1-10", 224, 224, 3]}}', "coreml", '"shape" must be a shape'),
        ('{"input_1": {"shape": [1,224,224,3], "type": "Video"}}', "coreml", "Image or Tensor"),
        ('[{"shape": [1,3,224,224]}]', "coreml", "for targetDevice coreml"),  # the list form is PyTorch's
    ],
)
def test_coreml_forms_only_for_coreml_and_well_formed(config, target, rule) -> None:
    props = job(
        inputConfig=inputs(framework="TENSORFLOW", dataInputConfig=config), outputConfig=outputs(targetDevice=target)
    )
    assert rule in refusals(parse_compilation_job, props)["inputConfig.dataInputConfig"]


def test_keras_is_nchw_in_both_tables() -> None:
    from sagemaker_reconciler.local_compile import frontends

    assert FRAMEWORK_LAYOUT["KERAS"] == "NCHW" and FRAMEWORK_LAYOUT["TENSORFLOW"] == "NHWC"
    assert frontends.FRAMEWORK_LAYOUT is FRAMEWORK_LAYOUT
    found = refusals(parse_compilation_job, job(inputConfig=inputs(framework="KERAS", dataInputConfig="[1]")))
    assert "(NCHW)" in found["inputConfig.dataInputConfig"]


def test_every_violation_of_a_job_is_reported_together() -> None:
    props = job(
        roleArn="not-a-role",
        modelPackageVersionArn="arn:aws:sagemaker:us-east-1:123456789012:model-package/m/1",
        inputConfig=inputs(dataInputConfig="{not json", s3Uri="file:///tmp/m.tar.gz"),
        stoppingCondition={"maxRuntimeInSeconds": 900, "maxWaitTimeInSeconds": 60},
        verify=True,
        deleteArtifacts="yes",
    )
    found = refusals(parse_compilation_job, props)
    assert {
        "roleArn",
        "inputConfig",
        "inputConfig.dataInputConfig",
        "inputConfig.s3Uri",
        "stoppingCondition.maxWaitTimeInSeconds",
        "verify",
        "deleteArtifacts",
    } <= set(found), found


def test_tag_problems_are_reported_together() -> None:
    rule = refusals(parse_workteam, cognito_team(tags={"aws:x": "y", "k": "semi;colon", "l" * 129: "v"}))["tags"]
    assert "reserved" in rule and "may contain" in rule and "1-128" in rule


def test_a_coreml_form_is_not_refused_while_the_target_is_not_known() -> None:
    """A preview Unknown (or an outputConfig broken elsewhere) must not make the CoreML form look wrong."""
    props = job(
        inputConfig=inputs(framework="TENSORFLOW", dataInputConfig='{"input_1": {"shape": [1,224,224,3]}}'),
        outputConfig=object(),
    )
    assert "inputConfig.dataInputConfig" not in refusals(parse_compilation_job, props)
