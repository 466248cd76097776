"""The spec models accept exactly what botocore's service model accepts, except documented stricter rules.

Each generated request (``botocore_cases``) is turned into the properties a user
would write (camelCase, tags as a map) and parsed by the spec model. The spec
must accept it iff the model does and no rule of ``STRICTER`` applies; when it
refuses, it must name the member the model found wrong. A rule belongs in
``STRICTER`` only with the API documentation sentence that makes it a rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from sagemaker_reconciler.specs.workteam import parse_workteam, props_shape
from tests.conformance.botocore_cases import BASES, WORKTEAM_BASES, Case, cases, input_shape, model_violations

Request = dict[str, Any]
CASES = cases()
MAX_RUNTIME = 28 * 24 * 3600


@dataclass(frozen=True)
class Stricter:
    """A rule the spec enforces beyond the service model, with the documentation that states it."""

    name: str
    documented: str
    applies: Callable[[str, Request], bool]


def _get(request: Request, *path: str) -> Any:
    value: Any = request
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _not_tar_gz(op: str, r: Request) -> bool:
    uri = _get(r, "InputConfig", "S3Uri")
    return isinstance(uri, str) and not uri.endswith(".tar.gz")


def _bad_data_input_config(op: str, r: Request) -> bool:
    inputs = _get(r, "InputConfig")
    if not isinstance(inputs, dict) or inputs.get("Framework") not in (
        "ONNX",
        "PYTORCH",
        "TENSORFLOW",
        "KERAS",
        "MXNET",
        "DARKNET",
        "TFLITE",
        "XGBOOST",
        "SKLEARN",
    ):
        return False
    framework, text = inputs["Framework"], inputs.get("DataInputConfig")
    if not isinstance(text, str):
        return text is None and framework in ("ONNX", "PYTORCH", "TENSORFLOW", "KERAS", "MXNET", "DARKNET")
    try:
        value = json.loads(text)
    except ValueError:
        return True
    if framework == "XGBOOST":
        return False

    def shape(s: Any) -> bool:
        return isinstance(s, list) and bool(s) and all(type(d) is int and d > 0 for d in s)

    if isinstance(value, dict):
        return not value or not all(
            shape(s) or (isinstance(s, list) and s and all(map(shape, s))) for s in value.values()
        )
    return not (framework == "PYTORCH" and isinstance(value, list) and value and all(map(shape, value)))


def _not_one_source(op: str, r: Request) -> bool:
    return op == "CreateCompilationJob" and (r.get("InputConfig") is None) == (r.get("ModelPackageVersionArn") is None)


def _not_one_target(op: str, r: Request) -> bool:
    outputs = r.get("OutputConfig")
    return isinstance(outputs, dict) and (outputs.get("TargetDevice") is None) == (
        outputs.get("TargetPlatform") is None
    )


def _over_28_days(op: str, r: Request) -> bool:
    runtime = _get(r, "StoppingCondition", "MaxRuntimeInSeconds")
    return type(runtime) is int and runtime > MAX_RUNTIME


def _wait_under_runtime(op: str, r: Request) -> bool:
    runtime = _get(r, "StoppingCondition", "MaxRuntimeInSeconds")
    wait = _get(r, "StoppingCondition", "MaxWaitTimeInSeconds")
    return type(runtime) is int and type(wait) is int and wait < runtime


def _reserved_tag_key(op: str, r: Request) -> bool:
    tags = r.get("Tags")
    return isinstance(tags, list) and any(
        isinstance(t, dict) and isinstance(t.get("Key"), str) and t["Key"].lower().startswith("aws:") for t in tags
    )


def _members(r: Request) -> list[Any]:
    members = r.get("MemberDefinitions")
    return [m for m in members if isinstance(m, dict)] if isinstance(members, list) else []


def _not_exactly_one_kind(op: str, r: Request) -> bool:
    return any(
        (m.get("CognitoMemberDefinition") is None) == (m.get("OidcMemberDefinition") is None) for m in _members(r)
    )


def _mixed_or_many_pools(op: str, r: Request) -> bool:
    members = _members(r)
    cognito = [m["CognitoMemberDefinition"] for m in members if isinstance(m.get("CognitoMemberDefinition"), dict)]
    oidc = [m for m in members if m.get("OidcMemberDefinition") is not None]
    pools = {(str(c.get("UserPool")), str(c.get("ClientId"))) for c in cognito}
    return bool(cognito and oidc) or len(pools) > 1


STRICTER = [
    Stricter(
        "model archive is a .tar.gz",
        "InputConfig.S3Uri: 'This path must point to a single gzip compressed tar archive (.tar.gz suffix).'",
        _not_tar_gz,
    ),
    Stricter(
        "DataInputConfig in the framework's form",
        "InputConfig.DataInputConfig: 'Specifies the name and shape "
        "of the expected data inputs for your trained model with a JSON dictionary form. The data inputs are "
        "Framework specific.' ('TensorFlow: You must specify the name and shape ...', 'XGBOOST: input data name "
        "and shape are not needed.')",
        _bad_data_input_config,
    ),
    Stricter(
        "exactly one of InputConfig and ModelPackageVersionArn",
        "ModelPackageVersionArn: 'Provide either a "
        "ModelPackageVersionArn or an InputConfig object in the request syntax. The presence of both objects in "
        "the CreateCompilationJob request will return an exception.'",
        _not_one_source,
    ),
    Stricter(
        "exactly one of TargetDevice and TargetPlatform",
        "OutputConfig.TargetPlatform: 'It is an alternative of "
        "TargetDevice.'; TargetDevice: 'It can be used instead of TargetPlatform.'",
        _not_one_target,
    ),
    Stricter(
        "MaxRuntimeInSeconds at most 28 days",
        "StoppingCondition.MaxRuntimeInSeconds: 'The maximum value is 28 days.'",
        _over_28_days,
    ),
    Stricter(
        "MaxWaitTimeInSeconds >= MaxRuntimeInSeconds",
        "StoppingCondition.MaxWaitTimeInSeconds: 'It must be equal to or greater than MaxRuntimeInSeconds.'",
        _wait_under_runtime,
    ),
    Stricter(
        "no aws: tag keys",
        "Tagging AWS resources (linked from Tag): 'Do not use aws:, AWS:, or any upper or "
        "lowercase combination of such as a prefix for either keys or values as it is reserved for AWS use.'",
        _reserved_tag_key,
    ),
    Stricter(
        "a member definition is Cognito or OIDC",
        "MemberDefinition: 'Defines an Amazon Cognito or your own "
        "OIDC IdP user group that is part of a work team.'; MemberDefinitions: 'Do not provide input for both "
        "of these parameters in a single request.'",
        _not_exactly_one_kind,
    ),
    Stricter(
        "one kind of member, one user pool",
        "MemberDefinitions: 'Do not provide input for both of these "
        "parameters in a single request. ... All of the CognitoMemberDefinition objects that make up the member "
        "definition must have the same ClientId and UserPool values.'",
        _mixed_or_many_pools,
    ),
]

# Members the provider fills in itself, so the API never sees them missing.
PROVIDER_FILLED = {
    (
        "CreateCompilationJob",
        "StoppingCondition: required",
    ): "to_create_request sends StoppingCondition {} (the service's defaults) when none is declared"
}


class NotExpressible(Exception):
    """The request has no spec equivalent (e.g. tags given as something other than a list of tags)."""


def _tags_map(tags: Any) -> Any:
    if not isinstance(tags, list) or not all(isinstance(t, dict) for t in tags):
        raise NotExpressible("Tags is a map in the spec: a non-list or a non-object tag has no spelling there")
    out = {}
    for tag in tags:
        key = tag.get("Key")
        if isinstance(key, (list, dict)):
            raise NotExpressible("an object or list cannot be a map key")
        out[key] = tag.get("Value")
    if len(out) != len(tags):
        raise NotExpressible("duplicate tag keys collapse in a map")
    return out


def spec_props(case: Case) -> dict[str, Any]:
    """The properties a user writes for the case's request: camelCase, tags as a map."""
    request = dict(case.request)
    if case.operation == "UpdateWorkteam":
        shape = input_shape("UpdateWorkteam")
        base = {k: v for k, v in WORKTEAM_BASES[case.base].items() if k not in shape.members}
        for name in shape.members:
            if request.get(name) is not None:
                base[name] = request[name]
            elif name not in shape.required_members and name in WORKTEAM_BASES[case.base]:
                base[name] = WORKTEAM_BASES[case.base][name]  # an update leaves unnamed members as they are
        request = base
    tags = request.pop("Tags", None)
    props = props_shape(request)
    if tags is not None:
        props["tags"] = _tags_map(tags)
    return props


def spec_path(path: tuple[Any, ...]) -> str:
    if path and path[0] == "Tags":
        return "tags"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part[:1].lower() + part[1:]
            out += f".{name}" if out else name
    return out


def _related(field: str, path: str) -> bool:
    """One names the other or a member inside it."""
    short, long = sorted((field, path), key=len)
    return long == short or long.startswith((short + ".", short + "["))


def parse(operation: str, props: dict[str, Any]) -> None:
    (parse_compilation_job if operation == "CreateCompilationJob" else parse_workteam)(props)


def expected_verdict(case: Case) -> tuple[bool, list[str], list[str]]:
    """(accept?, the model's violations, the stricter rules that apply)."""
    violations = [
        v for v in model_violations(case.operation, case.request) if (case.operation, v) not in PROVIDER_FILLED
    ]
    stricter = [rule.name for rule in STRICTER if rule.applies(case.operation, case.request)]
    return not violations and not stricter, violations, stricter


def run_case(case: Case) -> dict[str, Any]:
    """What happened to one case, for the test and the summary."""
    try:
        props = spec_props(case)
    except NotExpressible as why:
        return {"expressible": False, "why": str(why)}
    accept, violations, stricter = expected_verdict(case)
    try:
        parse(case.operation, props)
        refused: list[str] | None = None
    except SpecError as error:
        refused = [v.field for v in error.violations]
    return {
        "expressible": True,
        "accept": accept,
        "violations": violations,
        "stricter": stricter,
        "refused": refused,
        "props": props,
    }


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_spec_accepts_exactly_what_the_model_accepts(case: Case, conformance_tally: dict[str, int]) -> None:
    result = run_case(case)
    if not result["expressible"]:
        # The spec's tag map cannot spell it (a non-list Tags, a tag object as a key): the API must refuse
        # such a request anyway, so nothing a user could send is lost.
        conformance_tally["not expressible"] += 1
        accept, violations, _ = expected_verdict(case)
        assert not accept and violations, f"the model accepts a request the spec cannot spell ({result['why']})"
        return
    conformance_tally["cases"] += 1
    refused = result["refused"]
    detail = f"model: {result['violations']}, stricter: {result['stricter']}, spec refused: {refused}"
    if result["accept"]:
        conformance_tally["accepted"] += 1
        assert refused is None, f"the spec refuses what the model accepts; {detail}; props={result['props']!r}"
        return
    assert refused is not None, f"the spec accepts what the model refuses; {detail}; props={result['props']!r}"
    if result["violations"]:
        conformance_tally["refused by the model"] += 1
        where = spec_path(case.path)
        assert any(_related(field, where) for field in refused), f"the error does not name {where}; {detail}"
    else:
        conformance_tally["refused by a documented stricter rule"] += 1


def test_every_stricter_rule_is_exercised_and_documented() -> None:
    used = {name for case in CASES for name in run_case(case).get("stricter", [])}
    assert used == {rule.name for rule in STRICTER}
    assert all("'" in rule.documented for rule in STRICTER)  # each quotes its sentence


def test_the_cases_cover_every_member_of_the_three_requests() -> None:
    covered = {(case.operation, case.path[0]) for case in CASES}
    for operation in BASES:
        assert {(operation, name) for name in input_shape(operation).members} <= covered
