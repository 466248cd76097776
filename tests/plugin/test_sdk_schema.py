"""The typed classes (sagemaker_reconciler.sdk) and schema.json describe the same resources, tokens and properties."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pulumi
import pytest

from sagemaker_reconciler.pulumi_resources._common import snake
from sagemaker_reconciler.sdk import CompilationJob, Provider, Workteam
from sagemaker_reconciler.sdk._resource import required_inputs

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schema.json").read_text())
CLASSES = {"sagemaker-reconciler:index:Workteam": Workteam, "sagemaker-reconciler:index:CompilationJob": CompilationJob}


def keywords(cls: type) -> set[str]:
    return {
        name
        for name, p in inspect.signature(cls.__init__).parameters.items()
        if p.kind is p.KEYWORD_ONLY and not name.startswith("_")
    }


def test_every_schema_resource_has_a_class_and_no_class_lacks_one():
    assert sorted(SCHEMA["resources"]) == sorted(CLASSES)


@pytest.mark.parametrize("token", sorted(CLASSES))
def test_keyword_arguments_are_the_schemas_inputs_and_attributes_its_outputs(token):
    resource, cls = SCHEMA["resources"][token], CLASSES[token]
    assert keywords(cls) == {snake(name) for name in resource["inputProperties"]}
    outputs = set(resource["properties"]) - set(resource["inputProperties"])
    assert {snake(name) for name in outputs} <= set(cls.__annotations__)
    assert set(required_inputs(token)) == set(resource.get("requiredInputs", []))


class _Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[tuple[str, str, dict]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered.append((args.typ, args.name, dict(args.inputs)))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def recorder():
    mocks = _Recorder()
    pulumi.runtime.set_mocks(mocks, preview=False)
    return mocks


@pulumi.runtime.test
def test_the_classes_register_the_schemas_tokens_with_camel_case_properties(recorder):
    provider = Provider("explicit", region="eu-west-1")
    team = Workteam(
        "team",
        opts=pulumi.ResourceOptions(provider=provider),
        description="d",
        member_definitions=[{"oidc_member_definition": {"groups": ["g"]}}],
        tags={"cost_center": "1"},
    )
    job = CompilationJob(
        "job",
        role_arn="arn:aws:iam::123456789012:role/r",
        output_config={"s3_output_location": "s3://b/o", "target_device": "ml_c5"},
    )

    def check(_):
        by_name = {name: (typ, inputs) for typ, name, inputs in recorder.registered}
        assert by_name["explicit"][0] == f"pulumi:providers:{SCHEMA['name']}"
        assert {by_name["team"][0], by_name["job"][0]} == set(SCHEMA["resources"])
        team_inputs = by_name["team"][1]
        assert team_inputs["memberDefinitions"] == [{"oidcMemberDefinition": {"groups": ["g"]}}]
        assert team_inputs["tags"] == {"cost_center": "1"}  # user map keys are not renamed
        assert by_name["job"][1]["outputConfig"] == {"s3OutputLocation": "s3://b/o", "targetDevice": "ml_c5"}

    # Both registrations, not only the team's: the job's may still be in flight when the team resolves.
    return pulumi.Output.all(team.urn, job.urn).apply(check)


def test_a_missing_required_property_is_named():
    with pytest.raises(TypeError, match="missing required property description, memberDefinitions"):
        Workteam("team")


def test_the_provider_class_takes_the_schemas_config():
    assert keywords(Provider) == {snake(name) for name in SCHEMA["provider"]["inputProperties"]}
    assert set(SCHEMA["config"]["variables"]) == {"region", "profile", "endpoint"}
