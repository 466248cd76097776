"""Manifests: a Pulumi YAML program's resources parsed into specs, every problem named by path and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sagemaker_reconciler.errors import ManifestError
from sagemaker_reconciler.manifest import load_manifest, parse_manifest, resolve_outputs
from sagemaker_reconciler.resource_types import COMPILATION_JOB, WORKTEAM

REPO = Path(__file__).resolve().parents[2]

GOOD = textwrap.dedent("""\
    name: stack
    runtime: yaml
    resources:
      team:
        type: sagemaker-reconciler:Workteam
        properties:
          workteamName: team-a
          description: Labels street scenes
          memberDefinitions:
            - cognitoMemberDefinition:
                userPool: us-east-1_AbCdEf123
                userGroup: labelers
                clientId: client1
      job:
        type: sagemaker-reconciler:index:CompilationJob
        options:
          protect: true
          dependsOn: [team]
        properties:
          compilationJobName: resnet-ml-c5
          roleArn: arn:aws:iam::123456789012:role/neo
          inputConfig: {s3Uri: s3://models/resnet.tar.gz, framework: ONNX, dataInputConfig: '{"data": [1,3,224,224]}'}
          outputConfig: {s3OutputLocation: s3://models/compiled, targetDevice: ml_c5}
    outputs:
      arn: ${team.arn}
      summary: team ${team.workteamName} compiles to ${job.compiledArtifactUri}
""")


def problems(text: str) -> list[str]:
    with pytest.raises(ManifestError) as err:
        parse_manifest(text, "stack.yaml")
    return [str(p) for p in err.value.problems]


def test_a_pulumi_yaml_program_parses_into_specs():
    manifest = parse_manifest(GOOD, "stack.yaml")
    team, job = manifest.resources
    assert (team.logical_name, team.kind, team.name, team.protect) == ("team", WORKTEAM, "team-a", False)
    assert (job.logical_name, job.kind, job.name, job.protect) == ("job", COMPILATION_JOB, "resnet-ml-c5", True)
    assert team.spec.description == "Labels street scenes" and job.spec.output_config.target_device == "ml_c5"
    assert team.type_token == "sagemaker-reconciler:Workteam" and team.line == 4


def test_the_example_stack_parses():
    manifest = load_manifest(REPO / "examples" / "stack.yaml")
    assert {r.kind for r in manifest.resources} == {WORKTEAM, COMPILATION_JOB}
    assert set(manifest.outputs) >= {"workteamArn", "compiledArtifact"}


def test_a_nested_property_error_names_resource_property_path_and_line():
    bad = GOOD.replace("userPool: us-east-1_AbCdEf123", "userPool: not a pool")
    assert problems(bad) == [
        "line 11: resources.team.properties.memberDefinitions[0].cognitoMemberDefinition.userPool: "
        "must look like a Cognito user pool id, e.g. us-east-1_AbCdEf123"
    ]


def test_every_problem_of_every_resource_is_reported_at_once():
    bad = GOOD.replace("description: Labels street scenes", "description: ''").replace("ml_c5", "ml_c99")
    found = problems(bad)
    assert any(p.startswith("line 8: resources.team.properties.description: must be at least 1") for p in found)
    assert any("resources.job.properties.outputConfig.targetDevice: must be one of" in p for p in found)


def test_unknown_type_names_the_valid_ones():
    (found,) = problems(GOOD.replace("type: sagemaker-reconciler:Workteam", "type: aws:sagemaker:Workteam"))
    assert found == (
        "line 5: resources.team.type: unknown type 'aws:sagemaker:Workteam'; valid types: "
        "sagemaker-reconciler:Workteam, sagemaker-reconciler:CompilationJob"
    )


def test_yaml_syntax_errors_give_the_line():
    (found,) = problems(GOOD.replace("    properties:\n      workteamName", "    properties:\n     workteamName", 1))
    assert found == "line 8: YAML syntax error, column 18: mapping values are not allowed here"


def test_duplicate_keys_are_errors_not_silently_dropped():
    twice = GOOD.replace("  job:\n", "  team:\n", 1)
    assert problems(twice) == ["line 14: resources.team: duplicate key 'team'"]


def test_the_name_is_required_because_the_cli_is_stateless():
    (found,) = problems(GOOD.replace("      workteamName: team-a\n", ""))
    assert found == (
        "line 6: resources.team.properties.workteamName: is required: sagemaker-reconcile finds "
        "each resource by its name in the account and region"
    )


def test_two_resources_with_one_name_are_refused():
    second = GOOD.replace(
        "  job:\n",
        "  team2:\n    type: sagemaker-reconciler:Workteam\n"
        "    properties: {workteamName: team-a, description: d, memberDefinitions:"
        " [{oidcMemberDefinition: {groups: [g]}}]}\n  job:\n",
    )
    (found,) = problems(second)
    assert "resources.team2.properties.workteamName: 'team-a' is also the name of resource 'team'" in found


def test_interpolations_and_unsupported_options_need_the_engine():
    bad = GOOD.replace("roleArn: arn:aws:iam::123456789012:role/neo", "roleArn: ${role.arn}").replace(
        "protect: true", "protect: true\n      ignoreChanges: [tags]"
    )
    found = problems(bad)
    assert any("resources.job.properties.roleArn: ${role.arn} needs the Pulumi engine" in p for p in found)
    assert any("resources.job.options.ignoreChanges: is not supported" in p for p in found)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "the manifest is empty"),
        ("- a\n- b\n", "line 1: must be a mapping with a `resources:` key"),
        ("name: x\n", "resources: is required"),
        ("resources: [a]\n", "line 1: resources: must be a mapping"),
        ("resources:\n  a: 3\n", "line 2: resources.a: must be a mapping"),
        ("resources:\n  a: {properties: {}}\n", "line 2: resources.a.type: is required"),
        (
            "resources:\n  a: {type: sagemaker-reconciler:Workteam, propertys: {}}\n",
            "resources.a.propertys: is not supported",
        ),
    ],
)
def test_document_shape_problems(text, expected):
    assert any(expected in p for p in problems(text)), problems(text)


def test_output_references_are_checked_before_anything_runs():
    found = problems(GOOD.replace("${team.arn}", "${team.nope}").replace("${job.compiledArtifactUri}", "${ghost.arn}"))
    assert any("outputs.arn: ${team.nope}: a Workteam has no property 'nope'" in p for p in found)
    assert any("outputs.summary: ${ghost.arn}: only" in p for p in found)


def test_outputs_resolve_against_applied_values():
    manifest = parse_manifest(GOOD)
    values = {"team": {"arn": "arn:team", "workteamName": "team-a"}, "job": {"compiledArtifactUri": "s3://b/k"}}
    assert resolve_outputs(manifest.outputs, values) == {
        "arn": "arn:team",
        "summary": "team team-a compiles to s3://b/k",
    }
    assert resolve_outputs({"ids": "${team.ids}"}, {"team": {"ids": ["a"]}}) == {"ids": ["a"]}
    assert resolve_outputs({"x": "${team.missing}"}, values) == {"x": "${team.missing}"}


def test_an_unreadable_file_is_a_manifest_error(tmp_path):
    with pytest.raises(ManifestError, match="cannot read the manifest"):
        load_manifest(tmp_path / "missing.yaml")
