"""schema.json: generated from the spec models, committed up to date, and true to the models.

Round trip: from the schema alone (plus one sample value per leaf property, below),
build examples that set every input property, validate them with the spec
parsers, and check that ``to_props()`` gives back exactly those keys with the
types the schema says.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest

from sagemaker_reconciler.aws import AwsConfig
from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.reconcile.compilation_job import ObservedJob
from sagemaker_reconciler.reconcile.local_compile import LocalCompiler
from sagemaker_reconciler.reconcile.workteam import Observed
from sagemaker_reconciler.schema import REGENERATE_COMMAND, SCHEMA_FILE, package_schema, schema_text
from sagemaker_reconciler.specs.compilation_job import FRAMEWORKS, TARGET_DEVICES, TargetPlatform, parse_compilation_job
from sagemaker_reconciler.specs.workteam import EnabledOrDisabled, parse_workteam

REPO = Path(__file__).resolve().parents[2]
SCHEMA = package_schema()
WORKTEAM = "sagemaker-reconciler:index:Workteam"
JOB = "sagemaker-reconciler:index:CompilationJob"
PARSERS = {WORKTEAM: parse_workteam, JOB: parse_compilation_job}
# The metaschema's token pattern (pulumi/pkg/codegen/schema/pulumi.json, $defs.token).
TOKEN = re.compile(r"^[a-zA-Z][-a-zA-Z0-9_]*:([^0-9][a-zA-Z0-9._/-]*)?:[^0-9][a-zA-Z0-9._/-]*$")

# One valid sample per leaf property (strings and numbers have rules the schema cannot carry).
# A new input fails test_round_trip until it gets a sample here.
SAMPLES: dict[str, Any] = {
    "workteamName": "team-a",
    "workforceName": "default",
    "description": "Labels street scenes",
    "userPool": "us-east-1_AbCdEf123",
    "userGroup": "labelers",
    "clientId": "client1",
    "groups": "g1",
    "notificationTopicArn": "arn:aws:sns:us-east-1:123456789012:labeling-events",
    "forceDelete": True,
    "compilationJobName": "resnet-ml-c5",
    "roleArn": "arn:aws:iam::123456789012:role/neo",
    "modelPackageVersionArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/1",
    "s3Uri": "s3://models/resnet.tar.gz",
    "dataInputConfig": '{"data": [1, 3, 224, 224]}',
    "frameworkVersion": "1.15",
    "s3OutputLocation": "s3://models/compiled",
    "compilerOptions": '{"mcpu": "skylake-avx512"}',
    "kmsKeyId": "alias/neo",
    "securityGroupIds": "sg-0123",
    "subnets": "subnet-0123",
    "maxRuntimeInSeconds": 900,
    "maxWaitTimeInSeconds": 1800,
    "maxPendingTimeInSeconds": 7200,
    "deleteArtifacts": True,
    "verify": False,  # local mode only: the sample job is a cloud job
    "tuningTrials": 0,
    "trials": 0,  # tuning.*: local mode only, inert in a cloud job without a budget
    "tracker": "10.0.0.5:9190",
    "deviceKey": "rasp4b",
    "sessionTimeout": 60,
    "maxMinutes": 0,  # tuning.*: 0 = no time cap, inert in a cloud job
    "tags": {"team": "vision"},
}
# Enum choices where the first value would not fit the other samples.
ENUM_PICKS = {"framework": "ONNX", "mode": "cloud", "arch": "ARM64", "accelerator": "NVIDIA", "os": "LINUX"}
# "Exactly one of" groups: each example sets one member of each group.
ONE_OF = {
    "MemberDefinition": ("cognitoMemberDefinition", "oidcMemberDefinition"),
    "OutputConfig": ("targetDevice", "targetPlatform"),
    "CompilationJob": ("inputConfig", "modelPackageVersionArn"),
}


def _type(ref: str) -> dict[str, Any]:
    return SCHEMA["types"][ref.removeprefix("#/types/")]


def _walk_properties(node: dict[str, Any], path: str):
    """(path, property spec) for every property of `node`'s properties, through nested types."""
    for name, prop in node.get("properties", {}).items():
        yield f"{path}.{name}", prop
        ref = prop.get("$ref") or prop.get("items", {}).get("$ref")
        if ref and "properties" in _type(ref):
            yield from _walk_properties(_type(ref), f"{path}.{name}")


# --- the committed file ----------------------------------------------------------------------------


def test_committed_schema_json_is_what_the_generator_produces():
    committed = (REPO / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == schema_text(), f"{SCHEMA_FILE} is out of date: regenerate it with `{REGENERATE_COMMAND}`"


def test_the_schema_command_prints_and_checks_it(tmp_path, capsys):
    from sagemaker_reconciler.cli import main

    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == SCHEMA
    stale = tmp_path / "schema.json"
    stale.write_text("{}")
    assert main(["schema", "--check", str(stale)]) == 1
    assert REGENERATE_COMMAND in capsys.readouterr().err
    assert main(["schema", "--write", str(stale)]) == 0
    assert main(["schema", "--check", str(stale)]) == 0


# --- shape ---------------------------------------------------------------------------------------


def test_package_and_tokens():
    assert SCHEMA["name"] == "sagemaker-reconciler"
    assert list(SCHEMA["resources"]) == [WORKTEAM, JOB]
    assert all(TOKEN.match(token) for token in [*SCHEMA["resources"], *SCHEMA["types"]])
    assert set(SCHEMA["config"]["variables"]) == {"region", "profile", "endpoint"}


def test_every_property_has_a_type_a_description_and_resolvable_references():
    nodes = [("resource " + t, r) for t, r in SCHEMA["resources"].items()]
    nodes += [("type " + t, t_) for t, t_ in SCHEMA["types"].items() if t_["type"] == "object"]
    for where, node in nodes:
        for bag in ("properties", "inputProperties"):
            for name, prop in node.get(bag, {}).items():
                assert prop["description"].strip(), f"{where}: {name} has no description"
                kinds = [k for k in ("$ref", "type") if k in prop]
                assert len(kinds) == 1, f"{where}: {name} needs exactly one of $ref/type"
                for ref in (
                    prop.get("$ref"),
                    prop.get("items", {}).get("$ref"),
                    prop.get("additionalProperties", {}).get("$ref"),
                ):
                    if ref:
                        assert ref.removeprefix("#/types/") in SCHEMA["types"], f"{where}: {name} -> {ref}"
                if prop.get("type") == "array":
                    assert "items" in prop
        for key, bag in (("required", "properties"), ("requiredInputs", "inputProperties")):
            assert set(node.get(key, [])) <= set(node.get(bag, {})), f"{where}: {key} names unknown properties"


def test_outputs_are_the_reconcilers_outputs_and_always_present():
    """The names every front end reads (the outputs models) are the ones each backend builds."""
    team = tuple(Observed({"WorkteamArn": "arn"}, None).outputs())
    cloud_job = tuple(ObservedJob({}, None).outputs())
    local_job = tuple(LocalCompiler(AwsConfig(region="us-east-1"))._outputs("job", "file:///m", "", "", ""))
    assert cloud_job == local_job
    for token, keys in ((WORKTEAM, team), (JOB, cloud_job)):
        resource = SCHEMA["resources"][token]
        outputs = [k for k in resource["properties"] if k not in resource["inputProperties"]]
        assert tuple(outputs) == keys
        assert set(keys) <= set(resource["required"])
    assert SCHEMA["resources"][WORKTEAM]["properties"]["productListingIds"]["type"] == "array"


def test_required_inputs_leave_the_name_to_auto_naming():
    assert SCHEMA["resources"][WORKTEAM]["requiredInputs"] == ["description", "memberDefinitions"]
    assert SCHEMA["resources"][JOB]["requiredInputs"] == ["roleArn", "outputConfig"]


def test_replace_on_changes_marks_exactly_the_inputs_that_force_replacement():
    def replacing(token):
        return {k for k, p in SCHEMA["resources"][token]["inputProperties"].items() if p.get("replaceOnChanges")}

    assert replacing(WORKTEAM) == {"workteamName", "workforceName"}
    job_inputs = set(SCHEMA["resources"][JOB]["inputProperties"])
    assert replacing(JOB) == job_inputs - {"tags", "deleteArtifacts", "verify"}
    assert "compilationJobName" in replacing(JOB) and "mode" in replacing(JOB)


def _enum(name):
    return [m["value"] for m in SCHEMA["types"][f"sagemaker-reconciler:index:{name}"]["enum"]]


def test_enums_equal_the_specs_literal_values():
    assert _enum("TargetDevice") == list(TARGET_DEVICES) and len(TARGET_DEVICES) == 37
    assert _enum("Framework") == list(FRAMEWORKS)
    assert _enum("TargetPlatformOs") == list(get_args(TargetPlatform.model_fields["os"].annotation))
    assert _enum("TargetPlatformArch") == list(get_args(TargetPlatform.model_fields["arch"].annotation))
    accelerator = next(
        a for a in get_args(TargetPlatform.model_fields["accelerator"].annotation) if a is not type(None)
    )
    assert _enum("TargetPlatformAccelerator") == list(get_args(accelerator))
    assert _enum("EnabledOrDisabled") == list(get_args(EnabledOrDisabled))
    assert _enum("CompilationMode") == ["cloud", "local"]
    names = [m["name"] for m in SCHEMA["types"]["sagemaker-reconciler:index:TargetDevice"]["enum"]]
    assert len(set(names)) == len(names) and "MlC5" in names


def test_enum_properties_reference_the_named_enums():
    output_config = SCHEMA["types"]["sagemaker-reconciler:index:OutputConfig"]["properties"]
    assert output_config["targetDevice"]["$ref"] == "#/types/sagemaker-reconciler:index:TargetDevice"
    constraints = SCHEMA["types"]["sagemaker-reconciler:index:IamPolicyConstraints"]["properties"]
    assert {p["$ref"] for p in constraints.values()} == {"#/types/sagemaker-reconciler:index:EnabledOrDisabled"}


def test_descriptions_carry_the_models_docstrings_and_length_rules():
    name = SCHEMA["resources"][WORKTEAM]["inputProperties"]["workteamName"]["description"]
    assert "unique in the account and region" in name and "1-63 characters" in name
    assert "Changing it replaces the resource." in name
    members = SCHEMA["resources"][WORKTEAM]["inputProperties"]["memberDefinitions"]["description"]
    assert "1-10 items" in members


# --- round trip through the spec models -----------------------------------------------------------


def _value(prop: dict[str, Any], name: str, choice: dict[str, str]) -> list[Any]:
    """Every distinct example value for one property (more than one where a one-of group sits below)."""
    ref = prop.get("$ref")
    if ref:
        target = _type(ref)
        if "enum" in target:
            values = [m["value"] for m in target["enum"]]
            return [ENUM_PICKS.get(name, values[0])]
        return _objects(target, ref.rsplit(":", 1)[-1], choice)
    kind = prop["type"]
    if kind == "array":
        if "$ref" in prop["items"]:
            return [[item] for item in _value(prop["items"], name, choice)]
        assert name in SAMPLES, f"no sample value for {name!r}: add one to SAMPLES"
        return [[SAMPLES[name]]]
    assert name in SAMPLES, f"no sample value for {name!r}: add one to SAMPLES"
    return [SAMPLES[name]]


def _objects(node: dict[str, Any], type_name: str, choice: dict[str, str]) -> list[dict[str, Any]]:
    group = ONE_OF.get(type_name, ())
    names = [n for n in node.get("inputProperties", node["properties"]) if n not in group or n == choice.get(type_name)]
    props = node.get("inputProperties", node["properties"])
    options = [[(n, v) for v in _value(props[n], n, choice)] for n in names]
    return [dict(combo) for combo in itertools.product(*options)]


def _examples(token: str) -> list[dict[str, Any]]:
    """Valid examples that together set every input property of the resource, nested ones included."""
    found = []
    for picks in itertools.product(*[[(t, m) for m in members] for t, members in ONE_OF.items()]):
        found += _objects(SCHEMA["resources"][token], token.rsplit(":", 1)[-1], dict(picks))
    unique = {json.dumps(e, sort_keys=True): e for e in found}
    return list(unique.values())


def _paths(value: Any, path: str = "") -> set[str]:
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if path.endswith(".tags"):
                continue
            out.add(f"{path}.{k}")
            out |= _paths(v, f"{path}.{k}")
    elif isinstance(value, list):
        for v in value:
            out |= _paths(v, path)
    return out


def _conforms(value: Any, prop: dict[str, Any], path: str) -> None:
    ref = prop.get("$ref")
    if ref:
        target = _type(ref)
        if "enum" in target:
            assert value in [m["value"] for m in target["enum"]], path
            return
        assert isinstance(value, dict), path
        assert set(value) <= set(target["properties"]), f"{path}: {set(value) - set(target['properties'])}"
        assert set(target.get("required", [])) <= set(value), path
        for k, v in value.items():
            _conforms(v, target["properties"][k], f"{path}.{k}")
        return
    python = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict, "number": (int, float)}
    assert isinstance(value, python[prop["type"]]), f"{path}: {value!r} is not {prop['type']}"
    if prop["type"] == "integer":
        assert not isinstance(value, bool), path
    if prop["type"] == "array":
        for i, item in enumerate(value):
            _conforms(item, prop["items"], f"{path}[{i}]")
    if prop["type"] == "object":
        for k, item in value.items():
            _conforms(item, prop.get("additionalProperties", {"type": "string"}), f"{path}.{k}")


@pytest.mark.parametrize("token", [WORKTEAM, JOB])
def test_round_trip_every_schema_input_through_the_spec_models(token):
    resource = SCHEMA["resources"][token]
    examples = _examples(token)
    covered: set[str] = set()
    for example in examples:
        props = PARSERS[token](copy.deepcopy(example)).to_props()
        assert props == example, "to_props() must give back exactly what the schema-shaped input said"
        assert set(props) <= set(resource["inputProperties"])
        for key, value in props.items():
            _conforms(value, resource["inputProperties"][key], key)
        covered |= _paths(example)
    every = {path for path, _ in _walk_properties({"properties": resource["inputProperties"]}, "")}
    assert every - covered == set(), "schema inputs no example reached"


@pytest.mark.parametrize("token", [WORKTEAM, JOB])
def test_required_inputs_are_required_by_the_models(token):
    resource = SCHEMA["resources"][token]
    example = _examples(token)[0]
    name_property = {WORKTEAM: "workteamName", JOB: "compilationJobName"}[token]
    for key in [*resource["requiredInputs"], name_property]:
        with pytest.raises(SpecError) as err:
            PARSERS[token]({k: v for k, v in example.items() if k != key})
        assert key in err.value.fields
    exclusive = {m for group in ONE_OF.values() for m in group}
    for key in set(resource["inputProperties"]) - set(resource["requiredInputs"]) - {name_property} - exclusive:
        PARSERS[token]({k: v for k, v in example.items() if k != key})  # optional: still valid


def test_every_target_device_and_framework_in_the_schema_is_accepted():
    example = next(e for e in _examples(JOB) if "targetDevice" in e.get("outputConfig", {}) and "inputConfig" in e)
    for device in _enum("TargetDevice"):
        parse_compilation_job({**example, "outputConfig": {**example["outputConfig"], "targetDevice": device}})
    for framework in _enum("Framework"):
        inputs = {**example["inputConfig"], "framework": framework}
        if framework == "XGBOOST":
            inputs.pop("dataInputConfig")
        parse_compilation_job({**example, "inputConfig": inputs})
