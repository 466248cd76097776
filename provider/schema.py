"""The Pulumi package schema (``schema.json``), generated from the spec models. Pure.

Every input property, its type, description (the docstring under the model
field, plus the length and range rules pydantic enforces), enum values and
nested object type comes from ``sagemaker_reconciler.specs``; outputs come from
``sagemaker_reconciler.specs.outputs``; which inputs force a replacement comes from
``sagemaker_reconciler.resource_types``. Regenerate with::

    python -m sagemaker_reconciler schema --write   # or: sagemaker-reconcile schema --write

and ``tests/unit/test_schema.py`` fails while the committed file is out of date.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from sagemaker_reconciler.resource_types import PACKAGE, ResourceType, all_types
from sagemaker_reconciler.specs.compilation_job import FRAMEWORKS, TARGET_DEVICES

__all__ = ["REGENERATE_COMMAND", "SCHEMA_FILE", "package_schema", "schema_text", "type_token"]

SCHEMA_FILE = "schema.json"
REGENERATE_COMMAND = "python -m sagemaker_reconciler schema --write"

# Enums keep one name wherever their values appear; others are named <Model><Field>.
_ENUM_NAMES: dict[tuple[Any, ...], tuple[str, str]] = {
    tuple(TARGET_DEVICES): (
        "TargetDevice",
        "A device SageMaker Neo compiles for (CreateCompilationJob's TargetDevice).",
    ),
    tuple(FRAMEWORKS): ("Framework", "The framework a model was trained with."),
    ("Enabled", "Disabled"): ("EnabledOrDisabled", "`Enabled` or `Disabled`."),
    ("cloud", "local"): (
        "CompilationMode",
        "Where a job compiles: SageMaker Neo (`cloud`) or this machine with TVM (`local`).",
    ),
}

_PROVIDER_CONFIG = {
    "region": "The AWS region; else `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile's region.",
    "profile": "A named AWS profile; else `AWS_PROFILE` or the default credential chain.",
    "endpoint": (
        "An endpoint URL for SageMaker and S3 (the embedded endpoint, say); else `AWS_ENDPOINT_URL`, "
        "`AWS_ENDPOINT_URL_SAGEMAKER`, `AWS_ENDPOINT_URL_S3`."
    ),
}


def type_token(name: str) -> str:
    return f"{PACKAGE}:index:{name}"


def _words(text: str | None) -> str:
    """A docstring as one Markdown paragraph."""
    return " ".join((text or "").split())


def _pascal(value: str) -> str:
    """An enum value as a member name: ml_c5 -> MlC5, X86_64 -> X86_64, INTEL_GRAPHICS -> IntelGraphics."""
    name = ""
    for part in re.split(r"[_\-\s]+", str(value)):
        if not part:
            continue
        if name and part[0].isdigit():
            name += "_"
        name += part[0].upper() + part[1:].lower()
    return name


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for item in metadata:
        if isinstance(item, FieldInfo):
            found.update(_constraints(item.metadata))
        elif isinstance(item, annotated_types.MinLen):
            found["min_length"] = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
        elif isinstance(item, annotated_types.Ge):
            found["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            found["le"] = item.le
        elif isinstance(item, annotated_types.Gt):
            found["ge"] = cast(int, item.gt) + 1
        elif isinstance(item, annotated_types.Lt):
            found["le"] = cast(int, item.lt) - 1
    return found


def _rule_text(kind: str, limits: Mapping[str, Any]) -> str:
    low, high = limits.get("min_length"), limits.get("max_length")
    unit = {"string": "characters", "array": "items"}.get(kind)
    if unit:
        if low is not None and high is not None:
            return f"{low}-{high} {unit}."
        if high is not None:
            return f"At most {high} {unit}."
        if low is not None:
            return f"At least {low} {unit}."
        return ""
    low, high = limits.get("ge"), limits.get("le")
    if low is not None and high is not None:
        return f"{low} to {high}."
    if low is not None:
        return f"At least {low}."
    if high is not None:
        return f"At most {high}."
    return ""


class _Generator:
    def __init__(self) -> None:
        self.types: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, Any] = {}

    # --- types --------------------------------------------------------------------------

    def _claim(self, name: str, owner: Any) -> str:
        token = type_token(name)
        if self._owners.setdefault(token, owner) != owner:
            raise ValueError(f"two different types would both be named {token}")
        return token

    def _enum(self, values: tuple[Any, ...], owner: type[BaseModel], field: str) -> dict[str, Any]:
        owner_name = owner.__name__.removesuffix("Spec")
        name, description = _ENUM_NAMES.get(values) or (
            owner_name + _pascal(field),
            f"The values of {owner_name}'s `{to_camel(field)}`.",
        )
        token = self._claim(name, ("enum", values))
        if token not in self.types:
            members = [{"name": _pascal(v), "value": v} for v in values]
            if len({m["name"] for m in members}) != len(members):
                raise ValueError(f"enum {name}: two values map to one member name")
            base = "string" if all(isinstance(v, str) for v in values) else "integer"
            self.types[token] = {"type": base, "description": description, "enum": members}
        return {"$ref": f"#/types/{token}"}

    def _object(self, model: type[BaseModel]) -> dict[str, Any]:
        token = self._claim(model.__name__, model)
        if token not in self.types:
            self.types[token] = {}  # claimed first: a model that refers to itself terminates
            properties, required = self.properties(model)
            self.types[token] = {
                "type": "object",
                "description": _words(model.__doc__),
                "properties": properties,
                **({"required": required} if required else {}),
            }
        return {"$ref": f"#/types/{token}"}

    def type_spec(self, annotation: Any, owner: type[BaseModel], field: str) -> tuple[dict[str, Any], str]:
        """(the Pulumi type reference, the rule text from length/range constraints)."""
        metadata: list[Any] = []
        while True:
            origin = get_origin(annotation)
            if origin is Annotated:
                annotation, *extra = get_args(annotation)
                metadata.extend(extra)
            elif origin in (Union, types.UnionType):
                options = [a for a in get_args(annotation) if a is not type(None)]
                if len(options) != 1:
                    raise TypeError(f"{owner.__name__}.{field}: unions other than Optional have no schema form")
                annotation = options[0]
            else:
                break
        limits = _constraints(metadata)
        origin = get_origin(annotation)
        if origin is Literal:
            return self._enum(tuple(get_args(annotation)), owner, field), ""
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self._object(annotation), ""
        if origin in (tuple, list):
            item_type, *rest = get_args(annotation)
            if origin is tuple and rest != [Ellipsis]:
                raise TypeError(f"{owner.__name__}.{field}: only variable-length tuples have a schema form")
            items, item_rule = self.type_spec(item_type, owner, field)
            rule = " ".join(r for r in (_rule_text("array", limits), item_rule and f"Each: {item_rule}") if r)
            return {"type": "array", "items": items}, rule
        if origin is dict:
            key_type, value_type = get_args(annotation)
            if key_type is not str:
                raise TypeError(f"{owner.__name__}.{field}: map keys must be strings")
            values, _ = self.type_spec(value_type, owner, field)
            return {"type": "object", "additionalProperties": values}, ""
        primitive = {str: "string", bool: "boolean", int: "integer", float: "number"}.get(annotation)
        if primitive is None:
            raise TypeError(f"{owner.__name__}.{field}: no schema form for {annotation!r}")
        return {"type": primitive}, _rule_text(primitive, limits)

    # --- properties ---------------------------------------------------------------------

    def property_spec(self, model: type[BaseModel], name: str, field: FieldInfo) -> dict[str, Any]:
        annotation: Any = field.annotation
        if field.metadata:
            annotation = Annotated[(annotation, *field.metadata)]  # pydantic lifts top-level Annotated rules
        spec, rule = self.type_spec(annotation, model, name)
        description = " ".join(t for t in (_words(field.description), rule) if t)
        prop = {**spec, "description": description}
        default = field.get_default(call_default_factory=False) if not field.is_required() else None
        if isinstance(default, (bool, str, int, float)):
            prop["default"] = default
        return prop

    def properties(self, model: type[BaseModel]) -> tuple[dict[str, Any], list[str]]:
        properties: dict[str, Any] = {}
        required: list[str] = []
        for name, field in model.model_fields.items():
            key = field.alias or name
            properties[key] = self.property_spec(model, name, field)
            if field.is_required():
                required.append(key)
        return properties, required

    # --- resources ----------------------------------------------------------------------

    def resource(self, kind: ResourceType) -> dict[str, Any]:
        inputs, required_inputs = self.properties(kind.spec_model)
        unknown = sorted(set(kind.replace_on_changes) - set(inputs))
        if unknown:
            raise ValueError(f"{kind.name}: replace_on_changes names unknown inputs {unknown}")
        for key in kind.replace_on_changes:
            inputs[key] = {**inputs[key], "replaceOnChanges": True}
            inputs[key]["description"] += " Changing it replaces the resource."
        outputs, _ = self.properties(kind.outputs_model)
        clash = sorted(set(inputs) & set(outputs))
        if clash:
            raise ValueError(f"{kind.name}: {clash} are both inputs and outputs")
        # In state every input with a value or a default is present, and every output.
        always = [
            key
            for key, field in ((f.alias or n, f) for n, f in kind.spec_model.model_fields.items())
            if field.is_required() or field.get_default(call_default_factory=True) is not None
        ]
        return {
            "description": _words(kind.spec_model.__doc__),
            "properties": {**inputs, **outputs},
            "required": [*always, *outputs],
            "inputProperties": inputs,
            "requiredInputs": [k for k in required_inputs if k != kind.name_property],
        }


def package_schema() -> dict[str, Any]:
    """The whole package schema as a JSON-ready dict (deterministic: same models, same output)."""
    generator = _Generator()
    resources = {kind.token: generator.resource(kind) for kind in all_types()}
    config = {key: {"type": "string", "description": text} for key, text in _PROVIDER_CONFIG.items()}
    return {
        "name": PACKAGE,
        "displayName": "SageMaker Reconciler",
        "description": (
            "Declarative Amazon SageMaker Workteams and Neo CompilationJobs: diffs against the live "
            "Describe output, minimal API calls."
        ),
        "keywords": ["aws", "sagemaker", "neo", "workteam", "category/cloud"],
        "license": "Apache-2.0",
        "config": {"variables": config},
        "provider": {
            "description": "Where to talk to; credentials always come from the standard AWS chain at call time.",
            "inputProperties": config,
            "properties": config,
        },
        "types": dict(sorted(generator.types.items())),
        "resources": resources,
    }


def schema_text() -> str:
    """schema.json's exact contents."""
    return json.dumps(package_schema(), indent=2, ensure_ascii=False) + "\n"
