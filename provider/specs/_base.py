"""Shared machinery for the desired-state models.

Models are pydantic v2, frozen, ``extra="forbid"``; Python attributes are
snake_case and the wire/state/schema names are camelCase aliases. Pydantic's
errors are turned into :class:`sagemaker_reconciler.errors.SpecError` whose fields are
camelCase dotted paths, so Pulumi CheckFailures and CLI messages name the
property the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from sagemaker_reconciler.errors import SpecError, Violation
from sagemaker_reconciler.specs.java_patterns import java_matches

__all__ = [
    "Model",
    "parse_spec",
    "violations_from",
    "check_pattern",
    "LETTERS_MARKS_SYMBOLS_NUMBERS_PUNCTUATION",
    "TAG_CHARACTERS",
    "integral_floats_to_int",
]

M = TypeVar("M", bound="Model")


class Model(BaseModel):
    """Base of every spec model: immutable, strict about unknown keys, camelCase on the wire."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=False,
        # A docstring under a field is its description: schema.json is generated from these.
        use_attribute_docstrings=True,
    )

    @classmethod
    def prop_defaults(cls) -> dict[str, Any]:
        """camelCase name -> default, for the fields whose default is a value (what to_props() adds)."""
        out = {}
        for name, field in cls.model_fields.items():
            if field.is_required():
                continue
            value = field.get_default(call_default_factory=True)
            if value is not None:
                out[field.alias or name] = value
        return out

    def to_props(self) -> dict[str, Any]:
        """The spec as Pulumi/manifest properties: camelCase, ``None`` dropped."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def check_pattern(value: str, pattern: str, rule: str) -> str:
    """Match `value` against an API pattern as AWS does (Java's ``Pattern.matches``); the rule is what the user sees."""
    if not java_matches(pattern, value):
        raise ValueError(rule)
    return value


# Patterns of the API model that Python's `re` cannot express alone (``\p{..}`` classes).
LETTERS_MARKS_SYMBOLS_NUMBERS_PUNCTUATION = r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"
TAG_CHARACTERS = r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"


def integral_floats_to_int(value: Any) -> Any:
    """Pulumi sends every number as a double: 42 arrives as 42.0. Undo that, recursively."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: integral_floats_to_int(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [integral_floats_to_int(v) for v in value]
    return value


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part.startswith(("function-after", "function-before", "function-wrap")):
            continue  # pydantic validator frames, not user-visible structure
        else:
            name = to_camel(str(part)) if "_" in str(part) else str(part)
            path += f".{name}" if path else name
    return path


def _rule_text(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a known property"
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", error["msg"]))
    if kind == "string_too_short":
        return f"must be at least {ctx['min_length']} characters long"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters long"
    if kind == "too_short":
        return f"must have at least {ctx['min_length']} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} item(s)"
    if kind in ("greater_than_equal", "greater_than"):
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind in ("tuple_type", "list_type"):
        return "must be a list"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}"
    if kind in _TYPE_RULES:
        return f"{_TYPE_RULES[kind]}, got {_json_type(error.get('input'))}"
    return str(error["msg"]).lower()


# The API takes JSON types strictly: no true for 1, no "900" for 900, no "yes" for true.
_TYPE_RULES = {
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "bool_type": "must be a boolean (true or false)",
    "string_type": "must be a string",
    "dict_type": "must be a map",
    "model_type": "must be an object of properties",
    "model_attributes_type": "must be an object of properties",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _is_echo_of_item_error(error: Mapping[str, Any]) -> bool:
    """Pydantic adds "too short after validation" when an item failed; the item's own error says it all."""
    if error["type"] != "too_short":
        return False
    given = error.get("input")
    return isinstance(given, (list, tuple)) and len(given) >= error["ctx"]["min_length"]


def violations_from(exc: ValidationError) -> list[Violation]:
    """Translate pydantic's errors into user-facing violations (camelCase path + rule)."""
    out = []
    for error in exc.errors(include_url=False):
        if _is_echo_of_item_error(error):
            continue
        out.append(Violation(_field_path(tuple(error["loc"])), _rule_text(error)))
    return out


def parse_spec(model: type[M], props: Mapping[str, Any], *, resource: str) -> M:
    """Validate raw properties (camelCase or snake_case keys) into a model, or raise SpecError."""
    try:
        return model.model_validate(integral_floats_to_int(dict(props)))
    except ValidationError as exc:
        raise SpecError(resource, violations_from(exc)) from None
