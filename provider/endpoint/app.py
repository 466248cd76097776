"""The WSGI application: test controls, then SageMaker operations we implement, then moto.

Every SageMaker call (``X-Amz-Target: SageMaker.<Operation>``) is logged. Those
with a registered handler are validated against the service model and answered
here; the rest, and every other service (S3, IAM...), reach moto unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request

from .compilation_job_models import CompilationJobBackend
from .compilation_job_responses import OPERATIONS as COMPILATION_JOB_OPERATIONS
from .control import CONTROL_PREFIX, EndpointControls, control_response
from .exceptions import InternalFailure, NotImplementedOperation, SerializationException, ServiceError
from .protocol import (
    SageMakerRequest,
    error_response,
    json_response,
    parse_params,
    read_body,
    region_from_authorization,
    sagemaker_operation,
)
from .registry import OperationRegistry, PassThrough
from .state import EndpointState, RecordedRequest
from .tag_responses import tag_operations
from .validation import validate_input
from .workteam_models import WorkteamBackend
from .workteam_responses import OPERATIONS as WORKTEAM_OPERATIONS

__all__ = ["EndpointApp", "default_registry"]

Environ = dict[str, Any]
WSGIApp = Callable[[Environ, Any], Iterable[bytes]]


def default_registry() -> OperationRegistry:
    """Every operation the endpoint answers itself; add a resource's handlers here."""
    registry = OperationRegistry()
    registry.register(WORKTEAM_OPERATIONS)
    registry.register(COMPILATION_JOB_OPERATIONS)
    registry.register(tag_operations({"workteam": WorkteamBackend, "compilation-job": CompilationJobBackend}))
    return registry


class EndpointApp:
    def __init__(
        self, state: EndpointState, registry: OperationRegistry, controls: EndpointControls, moto_app: WSGIApp
    ):
        self._state = state
        self._registry = registry
        self._controls = controls
        self._moto_app = moto_app

    def __call__(self, environ: Environ, start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return control_response(self._controls, Request(environ))(environ, start_response)
        operation = sagemaker_operation(environ)
        if operation is None:
            return self._moto_app(environ, start_response)
        try:
            return self._sagemaker(operation, environ, start_response)
        except ServiceError as error:
            return error_response(error)(environ, start_response)

    def _sagemaker(self, operation: str, environ: Environ, start_response: Any) -> Iterable[bytes]:
        region = region_from_authorization(environ.get("HTTP_AUTHORIZATION"))
        body = read_body(environ)
        try:
            params = parse_params(body)
        except SerializationException:
            self._state.record(RecordedRequest(operation, None, region))
            raise
        self._state.record(RecordedRequest(operation, params, region))
        handler = self._registry.handler(operation)
        if handler is not None:
            validate_input(operation, params)
            with self._state.lock:
                result = handler(SageMakerRequest(operation, params, region), self._state)
            if not isinstance(result, PassThrough):
                return json_response(result)(environ, start_response)
        return self._moto_sagemaker(operation, environ, start_response)

    def _moto_sagemaker(self, operation: str, environ: Environ, start_response: Any) -> Iterable[bytes]:
        """moto raises on what it lacks or trips over; answer in protocol instead of an HTML 500 page."""
        try:
            return self._moto_app(environ, start_response)
        except NotImplementedError as error:
            raise NotImplementedOperation(f"The embedded endpoint does not implement SageMaker.{operation}.") from error
        except Exception as error:  # any moto crash becomes the protocol's InternalFailure
            raise InternalFailure(f"moto failed on SageMaker.{operation}: {type(error).__name__}: {error}") from error
