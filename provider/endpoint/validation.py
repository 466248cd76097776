"""Input validation from botocore's own SageMaker service model.

The rules (required, length, range, enum, pattern) are the ones the API
reference lists, so reading them from the model keeps the endpoint in step with
the service. Patterns are matched as AWS matches them, Java's ``Pattern.matches``
(``sagemaker_reconciler.specs.java_patterns``, the same translator the spec models use), and
an ``integer`` member is a Java int. Messages copy the service's format, member paths included::

    1 validation error detected: Value 'a_b' at 'workteamName' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}

List items are addressed as ``memberDefinitions.1.member.cognitoMemberDefinition``
(1-based), as the service does.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape

from sagemaker_reconciler.specs.java_patterns import java_matcher

from .exceptions import SerializationException, ValidationException

__all__ = ["validate_input"]

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "structure": (dict,),
    "map": (dict,),
    "list": (list,),
    "string": (str,),
    "blob": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "timestamp": (int, float, str),
}


@functools.cache
def _sagemaker_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("sagemaker")


def validate_input(operation: str, params: dict[str, Any]) -> None:
    """Raise ValidationException listing every broken rule, or SerializationException on a wrong JSON type."""
    shape = _sagemaker_model().operation_model(operation).input_shape
    if shape is None:
        return
    problems = list(_violations(params, shape, path=""))
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        raise ValidationException(f"{count} validation {noun} detected: " + "; ".join(problems))


def _violations(value: Any, shape: Shape, path: str) -> Iterator[str]:
    _check_json_type(value, shape, path)
    yield from _constraint_violations(value, shape, path)
    if shape.type_name == "structure":
        yield from _structure_violations(value, shape, path)
    elif shape.type_name == "list":
        for index, item in enumerate(value, start=1):
            item_path = f"{path}.{index}.member"
            if item is None:
                yield f"Value null at '{item_path}' failed to satisfy constraint: Member must not be null"
            else:
                yield from _violations(item, shape.member, item_path)
    elif shape.type_name == "map":
        for key, item in value.items():
            if item is not None:
                yield from _violations(item, shape.value, f"{path}.{key}")


def _check_json_type(value: Any, shape: Shape, path: str) -> None:
    expected = _JSON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
        where = path or "the request"
        raise SerializationException(f"Expected {shape.type_name} at '{where}', got {type(value).__name__}.")


def _structure_violations(value: dict[str, Any], shape: Shape, path: str) -> Iterator[str]:
    for name, member_shape in shape.members.items():
        member_path = f"{path}.{_camel(name)}" if path else _camel(name)
        member = value.get(name)
        if member is None:
            if name in shape.required_members:
                yield f"Value null at '{member_path}' failed to satisfy constraint: Member must not be null"
            continue
        yield from _violations(member, member_shape, member_path)


def _constraint_violations(value: Any, shape: Shape, path: str) -> Iterator[str]:
    rules = shape.metadata
    prefix = f"Value {_render(value)} at '{path}' failed to satisfy constraint: Member must"
    if shape.type_name in ("string", "list", "map", "blob"):
        if "min" in rules and len(value) < rules["min"]:
            yield f"{prefix} have length greater than or equal to {rules['min']}"
        if "max" in rules and len(value) > rules["max"]:
            yield f"{prefix} have length less than or equal to {rules['max']}"
    elif shape.type_name in ("integer", "long", "float", "double"):
        bits = {"integer": 31, "long": 63}.get(shape.type_name)
        if bits is not None and not -(2**bits) <= value < 2**bits:
            raise SerializationException(f"Value {value} at '{path}' does not fit a {bits + 1}-bit {shape.type_name}.")
        if "min" in rules and value < rules["min"]:
            yield f"{prefix} have value greater than or equal to {rules['min']}"
        if "max" in rules and value > rules["max"]:
            yield f"{prefix} have value less than or equal to {rules['max']}"
    if shape.type_name == "string":
        if rules.get("enum") and value not in rules["enum"]:
            yield f"{prefix} satisfy enum value set: [{', '.join(rules['enum'])}]"
        if "pattern" in rules and not java_matcher(rules["pattern"])(value):
            yield f"{prefix} satisfy regular expression pattern: {rules['pattern']}"


def _camel(member_name: str) -> str:
    """The service names members lowerCamelCase in messages: ``S3Presign`` -> ``s3Presign``."""
    return member_name[:1].lower() + member_name[1:]


def _render(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else f"'{json.dumps(value)}'"
