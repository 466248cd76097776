"""The Workteam Resource class as a Pulumi program sees it, against the SDK's mock monitor.

Checks what gets registered (camelCase properties, the serialized provider,
auto-naming marker) and that outputs come back as snake_case attributes.
"""

import pulumi
import pytest

from sagemaker_reconciler.pulumi_resources._common import AUTONAME_KEY


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self):
        self.registered = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered.append(args)
        outs = dict(args.inputs)
        outs.update(
            arn="arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x",
            subdomain="abc.labeling",
            workforceArn="arn:aws:sagemaker:us-east-1:123456789012:workforce/default",
            createDate="2026-11-21T00:00:00",
            compiledArtifactUri="s3://m/out/resnet-ml_c5.tar.gz",
        )
        return args.name + "_id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def mocks():
    m = RecordingMocks()
    pulumi.runtime.set_mocks(m, preview=False)
    yield m


@pulumi.runtime.test
def test_snake_case_kwargs_register_camel_case_properties(mocks):
    from sagemaker_reconciler import Workteam

    team = Workteam(
        "labelers",
        description="d",
        member_definitions=[
            {"cognito_member_definition": {"user_pool": "us-east-1_A1", "user_group": "g", "client_id": "c"}}
        ],
        notification_configuration={"notification_topic_arn": "arn:aws:sns:us-east-1:123456789012:t"},
        tags={"cost_center": "42"},
    )

    def check(values):
        arn, subdomain = values
        (args,) = mocks.registered
        assert args.typ == "pulumi-python:dynamic/sagemaker:Workteam"
        props = args.inputs
        assert props["memberDefinitions"] == [
            {"cognitoMemberDefinition": {"userPool": "us-east-1_A1", "userGroup": "g", "clientId": "c"}}
        ]
        assert props["notificationConfiguration"] == {"notificationTopicArn": "arn:aws:sns:us-east-1:123456789012:t"}
        assert props["tags"] == {"cost_center": "42"}  # user keys are not camelized
        assert props[AUTONAME_KEY] == "labelers" and "workteamName" not in props
        assert "__provider" in props
        assert arn.endswith("/x") and subdomain == "abc.labeling"

    return pulumi.Output.all(team.arn, team.subdomain, team.workteam_name).apply(lambda v: check(v[:2]))


@pulumi.runtime.test
def test_a_fixed_name_is_passed_through_without_autoname_marker(mocks):
    from sagemaker_reconciler import Workteam

    team = Workteam(
        "labelers",
        workteam_name="fixed",
        description="d",
        member_definitions=[{"oidcMemberDefinition": {"groups": ["g"]}}],
    )

    def check(_):
        props = mocks.registered[0].inputs
        assert props["workteamName"] == "fixed" and AUTONAME_KEY not in props

    return team.arn.apply(check)


@pulumi.runtime.test
def test_compilation_job_outputs_are_snake_case_attributes(mocks):
    from sagemaker_reconciler import CompilationJob

    compiled = CompilationJob(
        "resnet",
        role_arn="arn:aws:iam::123456789012:role/neo",
        input_config={
            "s3_uri": "s3://m/resnet.tar.gz",
            "framework": "ONNX",
            "data_input_config": '{"data":[1,3,224,224]}',
        },
        output_config={"s3_output_location": "s3://m/out", "target_device": "ml_c5"},
    )

    def check(uri):
        assert uri == "s3://m/out/resnet-ml_c5.tar.gz"
        props = mocks.registered[0].inputs
        assert mocks.registered[0].typ == "pulumi-python:dynamic/sagemaker:CompilationJob"
        assert props["inputConfig"]["dataInputConfig"] == '{"data":[1,3,224,224]}'
        assert props["outputConfig"] == {"s3OutputLocation": "s3://m/out", "targetDevice": "ml_c5"}
        assert props[AUTONAME_KEY] == "resnet"

    return compiled.compiled_artifact_uri.apply(check)


@pulumi.runtime.test
def test_multi_word_outputs_resolve_as_snake_case_attributes(mocks):
    from sagemaker_reconciler import Workteam

    team = Workteam(
        "t", workteam_name="t", description="d", member_definitions=[{"oidc_member_definition": {"groups": ["g"]}}]
    )

    def check(values):
        workforce_arn, create_date = values
        assert workforce_arn == "arn:aws:sagemaker:us-east-1:123456789012:workforce/default"
        assert create_date == "2026-11-21T00:00:00"

    return pulumi.Output.all(team.workforce_arn, team.create_date).apply(check)
