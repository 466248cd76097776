"""Boundary inputs generated from botocore's SageMaker service model, with the model's own verdict.

``cases()`` walks CreateWorkteamRequest, UpdateWorkteamRequest and
CreateCompilationJobRequest from valid base requests and, at every member the
base holds, makes one request per probe: lengths and ranges at min-1/min/max/
max+1, every enum value and a wrong one, pattern probes (line terminators,
non-ASCII digits and letters, symbols, marks), wrong JSON types, null, and the
member removed. ``model_violations()`` is the model's verdict on a request:
required, JSON type, length, range (``integer`` is a Java int), enum, and the
pattern as Java's ``Pattern.matches`` decides it (through the translator the
specs and the endpoint use).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import botocore.session
from botocore.model import Shape

from sagemaker_reconciler.specs.java_patterns import java_matches

OPERATIONS = ("CreateWorkteam", "UpdateWorkteam", "CreateCompilationJob")
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
Path = tuple[Any, ...]

ROLE = "arn:aws:iam::123456789012:role/neo"
TOPIC = "arn:aws:sns:us-east-1:123456789012:labeling-events"
COGNITO = {
    "CognitoMemberDefinition": {"UserPool": "us-east-1_AbCdEf123", "UserGroup": "labelers", "ClientId": "client1"}
}
TAGS = [{"Key": "team", "Value": "vision"}]

WORKTEAM_BASES = [
    {
        "WorkteamName": "team-a",
        "WorkforceName": "default",
        "Description": "Labels street scenes",
        "MemberDefinitions": [COGNITO],
        "NotificationConfiguration": {"NotificationTopicArn": TOPIC},
        "WorkerAccessConfiguration": {
            "S3Presign": {"IamPolicyConstraints": {"SourceIp": "Enabled", "VpcSourceIp": "Disabled"}}
        },
        "Tags": TAGS,
    },
    {
        "WorkteamName": "team-oidc",
        "Description": "OIDC labelers",
        "MemberDefinitions": [{"OidcMemberDefinition": {"Groups": ["g1", "g2"]}}],
    },
]
UPDATE_BASES = [{k: v for k, v in base.items() if k not in ("WorkforceName", "Tags")} for base in WORKTEAM_BASES]
COMPILATION_BASES = [
    {
        "CompilationJobName": "resnet-ml-c5",
        "RoleArn": ROLE,
        "InputConfig": {
            "S3Uri": "s3://models/resnet.tar.gz",
            "DataInputConfig": '{"data": [1, 3, 224, 224]}',
            "Framework": "ONNX",
            "FrameworkVersion": "1.15",
        },
        "OutputConfig": {
            "S3OutputLocation": "s3://models/compiled",
            "TargetDevice": "ml_c5",
            "CompilerOptions": '{"mcpu": "skylake-avx512"}',
            "KmsKeyId": "alias/neo",
        },
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]},
        "StoppingCondition": {
            "MaxRuntimeInSeconds": 900,
            "MaxWaitTimeInSeconds": 1800,
            "MaxPendingTimeInSeconds": 7200,
        },
        "Tags": TAGS,
    },
    {
        "CompilationJobName": "from-package",
        "RoleArn": ROLE,
        "ModelPackageVersionArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/1",
        "OutputConfig": {
            "S3OutputLocation": "s3://models/compiled",
            "TargetPlatform": {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"},
        },
        "StoppingCondition": {},
    },
]
BASES = {"CreateWorkteam": WORKTEAM_BASES, "UpdateWorkteam": UPDATE_BASES, "CreateCompilationJob": COMPILATION_BASES}

# Which member of a structure makes list items distinct without breaking a cross-member rule
# (all Cognito members share UserPool and ClientId; tag keys are unique).
_VARIED_MEMBER = {"CognitoMemberDefinition": "UserGroup", "Tag": "Key"}

LINE_TERMINATORS = {"LF": "\n", "CR": "\r", "NEL": "\u0085", "LS": "\u2028", "PS": "\u2029"}
CHARACTER_PROBES = {
    "arabic-indic digit": "\u0663",
    "fullwidth digit": "\uff13",
    "latin letter e-acute": "\u00e9",
    "cyrillic letter": "\u0436",
    "fullwidth letter": "\uff41",
    "space": " ",
    "tab": "\t",
    "emoji symbol": "\U0001f600",
    "combining mark": "\u0301",
    "underscore": "_",
    "semicolon": ";",
}
_FILLERS = ("a", "0", " ", "-", "1")


@dataclass(frozen=True)
class Case:
    operation: str
    base: int
    path: Path
    probe: str
    request: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.operation}#{self.base}:{dotted(self.path)}:{self.probe}"


@functools.cache
def service_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def input_shape(operation: str) -> Shape:
    return service_model().operation_model(operation).input_shape


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- the model's verdict ---------------------------------------------------------------------


def model_violations(operation: str, request: dict[str, Any]) -> list[str]:
    """Every rule of the service model the request breaks, as ``path: rule``."""
    return list(_violations(request, input_shape(operation), ()))


def _violations(value: Any, shape: Shape, path: Path) -> Iterator[str]:
    where = dotted(path) or "request"
    kind = shape.type_name
    if not _json_type_ok(value, kind):
        yield f"{where}: expected {kind}, got {type(value).__name__}"
        return
    rules = shape.metadata
    if kind in ("string", "list", "map", "blob"):
        if "min" in rules and len(value) < rules["min"]:
            yield f"{where}: length < {rules['min']}"
        if "max" in rules and len(value) > rules["max"]:
            yield f"{where}: length > {rules['max']}"
    if kind in ("integer", "long"):
        low, high = INT32 if kind == "integer" else INT64
        if not low <= value <= high:
            yield f"{where}: not a Java {kind}"
    if kind in ("integer", "long", "float", "double"):
        if "min" in rules and value < rules["min"]:
            yield f"{where}: < {rules['min']}"
        if "max" in rules and value > rules["max"]:
            yield f"{where}: > {rules['max']}"
    if kind == "string":
        if rules.get("enum") and value not in rules["enum"]:
            yield f"{where}: not in enum"
        if "pattern" in rules and not java_matches(rules["pattern"], value):
            yield f"{where}: does not match {rules['pattern']}"
    if kind == "structure":
        for name, member in shape.members.items():
            item = value.get(name)
            if item is None:
                if name in shape.required_members:
                    yield f"{dotted((*path, name))}: required"
                continue
            yield from _violations(item, member, (*path, name))
    elif kind == "list":
        for index, item in enumerate(value):
            if item is None:
                yield f"{dotted((*path, index))}: null item"
            else:
                yield from _violations(item, shape.member, (*path, index))


def _json_type_ok(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return kind == "boolean"
    expected = {
        "structure": dict,
        "map": dict,
        "list": list,
        "string": str,
        "blob": str,
        "boolean": bool,
        "integer": int,
        "long": int,
        "float": (int, float),
        "double": (int, float),
    }.get(kind, object)
    return isinstance(value, expected)


# --- the probes ------------------------------------------------------------------------------


def cases() -> list[Case]:
    """Every probe at every member of every base request, de-duplicated by request."""
    found: dict[str, Case] = {}
    for operation in OPERATIONS:
        shape = input_shape(operation)
        for index, base in enumerate(BASES[operation]):
            assert model_violations(operation, base) == [], (operation, base)
            for path, member_shape, value in _members(base, shape, ()):
                for probe, new_value in _probes(member_shape, value, path):
                    request = _with(base, path, new_value)
                    key = f"{operation}:{request!r}"
                    found.setdefault(key, Case(operation, index, path, probe, request))
    return list(found.values())


def _members(value: Any, shape: Shape, path: Path) -> Iterator[tuple[Path, Shape, Any]]:
    """(path, shape, value) of every member the base holds, and of every member it could hold but omits."""
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            item = value.get(name)
            if item is None:
                sample = _sample(member)
                if sample is not None:
                    yield (*path, name), member, _ABSENT
                continue
            yield (*path, name), member, item
            yield from _members(item, member, (*path, name))
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            yield from _members(item, shape.member, (*path, index))


_ABSENT: Any = object()


def _sample(shape: Shape) -> Any:
    """A value for a member the base omits: enums get every value through the enum probes."""
    enum = shape.metadata.get("enum")
    return enum[0] if enum else None


def _with(base: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    request = copy.deepcopy(base)
    target: Any = request
    for part in path[:-1]:
        target = target[part]
    if value is _REMOVE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return request


_REMOVE: Any = object()


def _probes(shape: Shape, value: Any, path: Path) -> Iterator[tuple[str, Any]]:
    kind = shape.type_name
    if value is _ABSENT:  # only enums reach here: every value of a member the base omits
        yield from ((f"enum {v}", v) for v in shape.metadata["enum"])
        yield "enum wrong", "NOT_" + shape.metadata["enum"][0]
        return
    yield "removed", _REMOVE
    yield "null", None
    if kind == "string":
        yield from _string_probes(shape, value)
        yield from (("type " + name, v) for name, v in (("int", 5), ("bool", True), ("list", [value]), ("object", {})))
    elif kind in ("integer", "long"):
        yield from _number_probes(shape, kind)
        yield from (
            ("type " + name, v)
            for name, v in (
                ("bool true", True),
                ("bool false", False),
                ("string", str(value)),
                ("fraction", value + 0.5),
                ("list", [value]),
            )
        )
    elif kind == "structure":
        yield "empty object", {}
        yield from (("type " + name, v) for name, v in (("list", [value]), ("string", "x"), ("int", 1)))
    elif kind == "list":
        yield from _list_probes(shape, value, path)
        yield from (("type " + name, v) for name, v in (("object", {}), ("string", "x")))


def _string_probes(shape: Shape, value: str) -> Iterator[tuple[str, Any]]:
    rules = shape.metadata
    if rules.get("enum"):
        yield from ((f"enum {v}", v) for v in rules["enum"])
        yield "enum lower case", rules["enum"][0].lower()
        yield "enum wrong", "NOT_" + rules["enum"][0]
        return
    low, high = rules.get("min", 0), rules.get("max")
    lengths = {"min": low, "min-1": low - 1}
    if high is not None:
        lengths.update({"max": high, "max+1": high + 1})
    for label, length in lengths.items():
        if length >= 0:
            yield f"length {label} ({length})", _of_length(value, length, rules.get("pattern"))
    for name, char in {**LINE_TERMINATORS, **CHARACTER_PROBES}.items():
        yield f"{name} at end", value + char
        yield f"{name} in middle", value[: len(value) // 2] + char + value[len(value) // 2 :]
    for name in ("arabic-indic digit", "latin letter e-acute"):
        yield f"{name} for first ASCII alnum", _replace_first_alnum(value, CHARACTER_PROBES[name])
    yield "leading space", " " + value
    yield "aws: prefix", "aws:" + value
    yield "CRLF at end", value + "\r\n"


def _of_length(value: str, length: int, pattern: str | None) -> str:
    """A string of exactly `length` made from `value`, matching `pattern` if some filler keeps it matching."""
    if length <= len(value):
        return value[:length]
    need = length - len(value)
    candidates = [
        value[:at] + filler * need + value[at:]
        for filler in _FILLERS
        for at in (1, len(value) // 2, max(0, len(value) - 7), len(value))
    ]
    for candidate in candidates:
        if pattern is None or java_matches(pattern, candidate):
            return candidate
    return candidates[0]


def _replace_first_alnum(value: str, char: str) -> str:
    for index, existing in enumerate(value):
        if existing.isascii() and existing.isalnum():
            return value[:index] + char + value[index + 1 :]
    return char + value


def _number_probes(shape: Shape, kind: str) -> Iterator[tuple[str, Any]]:
    rules = shape.metadata
    high = (INT32 if kind == "integer" else INT64)[1]
    if "min" in rules:
        yield f"min ({rules['min']})", rules["min"]
        yield f"min-1 ({rules['min'] - 1})", rules["min"] - 1
    if "max" in rules:
        yield f"max ({rules['max']})", rules["max"]
        yield f"max+1 ({rules['max'] + 1})", rules["max"] + 1
    yield "Java int max", high
    yield "Java int max+1", high + 1
    yield "negative", -1


def _list_probes(shape: Shape, value: list[Any], path: Path) -> Iterator[tuple[str, Any]]:
    rules = shape.metadata
    low, high = rules.get("min", 0), rules.get("max")
    counts = {"min": low, "min-1": low - 1}
    if high is not None:
        counts.update({"max": high, "max+1": high + 1})
    for label, count in counts.items():
        if count >= 0:
            items = [_variant(value[0], shape.member, i) for i in range(count)] if value else []
            yield f"items {label} ({count})", items
    yield "null item", [*value, None]
    if shape.member.name == "MemberDefinition" and value:
        cognito = value[0].get("CognitoMemberDefinition")
        other = {"OidcMemberDefinition": {"Groups": ["g9"]}} if cognito else COGNITO
        yield "Cognito and OIDC mixed", [*value, other]
        if cognito:
            pool = {**cognito, "UserGroup": "other-group", "UserPool": "us-east-1_Other"}
            yield "two user pools", [*value, {"CognitoMemberDefinition": pool}]


def _variant(item: Any, shape: Shape, index: int) -> Any:
    """The `index`-th distinct variant of a list item, keeping every rule between members."""
    if index == 0:
        return copy.deepcopy(item)
    if shape.type_name == "string":
        suffix = str(index)
        candidate = item[: max(1, len(item) - len(suffix))] + suffix if len(item) >= 63 else item + suffix
        return candidate
    if shape.type_name == "structure":
        present = [name for name in shape.members if item.get(name) is not None]
        name = _VARIED_MEMBER.get(shape.name) or present[0]
        return {**copy.deepcopy(item), name: _variant(item[name], shape.members[name], index)}
    if shape.type_name == "list":
        return [_variant(x, shape.member, index) for x in item]
    return item
