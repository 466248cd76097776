"""AWS JSON 1.1 on the wire: which operation, which region, the body in and out.

Nothing here decides anything about resources; it only parses and serialises.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from werkzeug.wrappers import Response

from .exceptions import SerializationException, ServiceError

__all__ = [
    "ACCOUNT_ID",
    "DEFAULT_REGION",
    "SageMakerRequest",
    "epoch_seconds",
    "error_response",
    "json_response",
    "parse_params",
    "read_body",
    "region_from_authorization",
    "s3_error_response",
    "s3_operation",
    "sagemaker_operation",
    "signing_scope",
]

ACCOUNT_ID = "123456789012"
"""moto's default account, so ARNs minted here and by moto agree."""

DEFAULT_REGION = "us-east-1"

_JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
_TARGET_PREFIX = "SageMaker."
# SigV4: "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sagemaker/aws4_request, ..."
_CREDENTIAL_REGION = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")


@dataclass(frozen=True)
class SageMakerRequest:
    """One parsed SageMaker call, as handlers see it."""

    operation: str
    params: dict[str, Any]
    region: str
    account_id: str = ACCOUNT_ID


def sagemaker_operation(environ: dict[str, Any]) -> str | None:
    """``CreateWorkteam`` for ``X-Amz-Target: SageMaker.CreateWorkteam``; None for any other request."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return target.removeprefix(_TARGET_PREFIX) if target.startswith(_TARGET_PREFIX) else None


def region_from_authorization(header: str | None) -> str:
    """The region of the SigV4 credential scope; unsigned or odd requests count as us-east-1."""
    match = _CREDENTIAL_REGION.search(header or "")
    return match.group(1) if match else DEFAULT_REGION


def signing_scope(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(region, service) of the SigV4 credential scope, from the Authorization header or a presigned
    URL's ``X-Amz-Credential``; None for an unsigned request."""
    match = _CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION") or "")
    if match:
        return match.group(1), match.group(2)
    credential = parse_qs(environ.get("QUERY_STRING") or "").get("X-Amz-Credential")
    if credential:
        parts = credential[0].split("/")
        if len(parts) >= 5:
            return parts[2], parts[3]
    return None


def s3_operation(environ: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The S3 operation a path-style request is (``HeadObject``, ``PutObject``...) and its Bucket/Key.

    Coarse on purpose: enough to name what the project calls and to aim a fault at it.
    """
    method = environ.get("REQUEST_METHOD", "GET").upper()
    bucket, _, key = environ.get("PATH_INFO", "/").lstrip("/").partition("/")
    query = parse_qs(environ.get("QUERY_STRING") or "", keep_blank_values=True)
    params = {"Bucket": bucket, "Key": key} if key else ({"Bucket": bucket} if bucket else {})
    if not bucket:
        return "ListBuckets", params
    if key:
        if "uploads" in query or "uploadId" in query:
            operation = {
                "POST": "CreateMultipartUpload" if "uploads" in query else "CompleteMultipartUpload",
                "PUT": "UploadPart",
                "DELETE": "AbortMultipartUpload",
                "GET": "ListParts",
            }.get(method)
        elif method == "PUT" and environ.get("HTTP_X_AMZ_COPY_SOURCE"):
            operation = "CopyObject"
        else:
            operation = {"GET": "GetObject", "HEAD": "HeadObject", "PUT": "PutObject", "DELETE": "DeleteObject"}.get(
                method
            )
    elif "delete" in query and method == "POST":
        operation = "DeleteObjects"
    else:
        listing = "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
        operation = {"GET": listing, "HEAD": "HeadBucket", "PUT": "CreateBucket", "DELETE": "DeleteBucket"}.get(method)
    return operation or f"{method} {environ.get('PATH_INFO', '/')}", params


def read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back, so moto can still read it on pass-through."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def parse_params(body: bytes) -> dict[str, Any]:
    """The JSON object of the request; an empty body means no parameters."""
    if not body.strip():
        return {}
    try:
        params = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise SerializationException("The request body must be a JSON object.")
    return params


def epoch_seconds(timestamp: float | str | None) -> float | None:
    """A timestamp member as epoch seconds: botocore sends numbers; other clients may send ISO 8601."""
    if isinstance(timestamp, str):
        try:
            return datetime.fromisoformat(timestamp).timestamp()
        except ValueError as error:
            raise SerializationException(f"Not a timestamp: {timestamp!r}.") from error
    return timestamp


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        content_type=_JSON_CONTENT_TYPE,
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )


def error_response(error: ServiceError) -> Response:
    response = json_response({"__type": error.code, "message": error.message}, error.status)
    response.headers["x-amzn-ErrorType"] = error.code
    return response


def s3_error_response(status: int, code: str, message: str) -> Response:
    """An error the way S3 answers one: an XML ``<Error>`` document."""
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return Response(body, status=status, content_type="application/xml", headers={"x-amz-request-id": request_id})
