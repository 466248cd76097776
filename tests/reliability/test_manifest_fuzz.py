"""Manifest parsing never fails with anything but the project's own error, whatever the text."""

from __future__ import annotations

import json

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sagemaker_reconciler.errors import ManifestError
from sagemaker_reconciler.manifest import Manifest, parse_manifest

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
property_names = st.sampled_from(
    [
        "workteamName",
        "description",
        "memberDefinitions",
        "tags",
        "compilationJobName",
        "roleArn",
        "inputConfig",
        "outputConfig",
        "mode",
        "forceDelete",
        "x",
    ]
)
resource = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            [
                "sagemaker-reconciler:Workteam",
                "sagemaker-reconciler:CompilationJob",
                "sagemaker-reconciler:index:Workteam",
                "aws:s3:Bucket",
                "",
            ]
        )
    },
    optional={
        "properties": st.dictionaries(property_names, json_values, max_size=6),
        "options": st.dictionaries(st.sampled_from(["protect", "dependsOn"]), json_values, max_size=2),
    },
)
documents = st.fixed_dictionaries(
    {"resources": st.dictionaries(st.text(min_size=1, max_size=10), resource, max_size=3) | json_values},
    optional={"outputs": st.dictionaries(st.text(max_size=8), st.text(max_size=30), max_size=3)},
)


def outcome(text: str) -> None:
    try:
        assert isinstance(parse_manifest(text, "fuzz.yaml"), Manifest)
    except ManifestError as exc:
        assert exc.problems and str(exc)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_a_manifest_or_a_manifest_error(text):
    outcome(text)


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans())
def test_any_structure_is_a_manifest_or_a_manifest_error(document, as_yaml):
    outcome(yaml.safe_dump(document) if as_yaml else json.dumps(document))


def test_deep_nesting_is_a_manifest_error():
    outcome(
        "resources:\n  a:\n    type: sagemaker-reconciler:Workteam\n    properties:\n      description: "
        + "[" * 5000
        + "]" * 5000
        + "\n"
    )
