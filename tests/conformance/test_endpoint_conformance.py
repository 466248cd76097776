"""The embedded endpoint validates with the model's rules, as the service does (Java pattern semantics).

The same generated requests as the spec test: in process, the endpoint's
validation refuses exactly what the model refuses; over HTTP, every refused
request gets a 400 ValidationException or SerializationException naming the
member in the service's own path form (``memberDefinitions.1.member...``),
through unmodified boto3 wherever botocore can serialize the request.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagemaker_reconciler.endpoint.exceptions import ServiceError
from sagemaker_reconciler.endpoint.validation import validate_input
from tests.conformance.botocore_cases import Case, cases, model_violations

CASES = cases()
REFUSED = [case for case in CASES if model_violations(case.operation, case.request)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_endpoint_validation_refuses_exactly_what_the_model_refuses(case: Case) -> None:
    violations = model_violations(case.operation, case.request)
    try:
        validate_input(case.operation, case.request)
        refused = None
    except ServiceError as error:
        refused = f"{error.code}: {error.message}"
    assert (refused is not None) == bool(violations), f"model: {violations}; endpoint: {refused}"


def service_path(path: tuple[Any, ...]) -> str:
    """('MemberDefinitions', 0, 'CognitoMemberDefinition') -> 'memberDefinitions.1.member.cognitoMemberDefinition'."""
    parts = [f"{part + 1}.member" if isinstance(part, int) else part[:1].lower() + part[1:] for part in path]
    return ".".join(parts)


def _raw_call(url: str, operation: str, request: dict[str, Any]) -> tuple[int, str, str]:
    body = json.dumps(request).encode()
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"SageMaker.{operation}",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sagemaker/aws4_request, "
        "SignedHeaders=host, Signature=0",
    }
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, headers, method="POST"), timeout=30) as response:
            return response.status, "", response.read().decode()
    except urllib.error.HTTPError as error:
        payload = json.loads(error.read() or b"{}")
        return error.code, payload.get("__type", ""), payload.get("message", "")


_METHODS = {
    "CreateWorkteam": "create_workteam",
    "UpdateWorkteam": "update_workteam",
    "CreateCompilationJob": "create_compilation_job",
}


def test_every_refused_request_is_a_400_naming_the_member(endpoint: Any, conformance_tally: dict[str, int]) -> None:
    sagemaker = boto3.client(
        "sagemaker",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, parameter_validation=False),
    )
    through_boto3 = 0
    for case in REFUSED:
        try:
            if case.probe.startswith("type "):
                raise TypeError("botocore reshapes wrong types (a dict for a list becomes []): send them raw")
            getattr(sagemaker, _METHODS[case.operation])(**case.request)
            outcome: tuple[int, str, str] = (200, "", "")
            through_boto3 += 1
        except ClientError as error:
            meta, details = error.response["ResponseMetadata"], error.response["Error"]
            outcome = (meta["HTTPStatusCode"], details["Code"], details["Message"])
            through_boto3 += 1
        except (TypeError, AttributeError, ValueError):  # botocore cannot serialize it: send the JSON as it is
            outcome = _raw_call(endpoint.url, case.operation, case.request)
        status, code, message = outcome
        assert status == 400 and code in ("ValidationException", "SerializationException"), (case.id, outcome)
        where = service_path(case.path)
        named = where in message or (case.probe == "removed" and service_path(case.path[:-1]) in message)
        assert named, (case.id, where, message)
    conformance_tally["refused over HTTP"] += len(REFUSED)
    conformance_tally["of them through unmodified boto3"] += through_boto3
    assert endpoint.requests, "the requests reached the endpoint"
