"""Errors the endpoint answers with, shaped like the service's own.

Models raise these; the protocol layer turns them into an AWS JSON 1.1 error
body (``{"__type": code, "message": ...}``) that botocore parses into
``ClientError.response["Error"]``.
"""

from __future__ import annotations

__all__ = [
    "InternalFailure",
    "NotImplementedOperation",
    "ResourceInUse",
    "ResourceLimitExceeded",
    "ResourceNotFound",
    "SerializationException",
    "ServiceError",
    "ValidationException",
]


class ServiceError(Exception):
    """One error response: the service's code, its HTTP status and a message."""

    code = "InternalFailure"
    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationException(ServiceError):
    """Input breaks a rule; SageMaker also uses it for 'work team does not exist'."""

    code = "ValidationException"
    status = 400


class SerializationException(ServiceError):
    """The body is not JSON, or a member has the wrong JSON type."""

    code = "SerializationException"
    status = 400


class ResourceInUse(ServiceError):
    code = "ResourceInUse"
    status = 400


class ResourceLimitExceeded(ServiceError):
    code = "ResourceLimitExceeded"
    status = 400


class ResourceNotFound(ServiceError):
    code = "ResourceNotFound"
    status = 400


class NotImplementedOperation(ServiceError):
    """Neither this endpoint nor moto implements the operation; 501 so botocore does not retry."""

    code = "NotImplemented"
    status = 501


class InternalFailure(ServiceError):
    """moto crashed on a request; answered in protocol instead of an HTML error page."""
