"""The WSGI application: test controls, then SageMaker operations we implement, then moto.

Every call is logged: SageMaker calls (``X-Amz-Target: SageMaker.<Operation>``)
by operation and parameters, the rest by the SigV4 scope's service (S3 calls
by operation, Bucket and Key). SageMaker calls with a registered handler are
validated against the service model and answered here; the rest, and every
other service (S3, IAM...), reach moto unchanged. Before any of that, a planted
fault (``faults``) may answer instead, or drop the connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request

from .compilation_job_models import CompilationJobBackend
from .compilation_job_responses import OPERATIONS as COMPILATION_JOB_OPERATIONS
from .control import CONTROL_PREFIX, EndpointControls, control_response
from .exceptions import InternalFailure, NotImplementedOperation, SerializationException, ServiceError
from .faults import DropConnection, Fault
from .protocol import (
    DEFAULT_REGION,
    SageMakerRequest,
    error_response,
    json_response,
    parse_params,
    read_body,
    region_from_authorization,
    s3_error_response,
    s3_operation,
    sagemaker_operation,
    signing_scope,
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
        if operation is not None:
            return self._sagemaker_call(operation, environ, start_response)
        region, service = signing_scope(environ) or (DEFAULT_REGION, "unknown")
        if service == "s3":
            name, params = s3_operation(environ)
        else:
            name, params = f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}", None
        fault = self._state.faults.pick(service, name, params, region)
        self._state.record(RecordedRequest(name, params, region, service, fault.kind if fault else None))
        if fault is None:
            return self._moto_app(environ, start_response)
        return self._faulted(fault, self._moto_app, s3_error_response, environ, start_response)

    def _sagemaker_call(self, operation: str, environ: Environ, start_response: Any) -> Iterable[bytes]:
        region = region_from_authorization(environ.get("HTTP_AUTHORIZATION"))
        body = read_body(environ)
        try:
            params: dict[str, Any] | None = parse_params(body)
        except SerializationException as error:
            params = None
            parse_error: ServiceError | None = error
        else:
            parse_error = None
        fault = self._state.faults.pick("sagemaker", operation, params, region)
        self._state.record(RecordedRequest(operation, params, region, fault=fault.kind if fault else None))

        def serve(environ: Environ, start_response: Any) -> Iterable[bytes]:
            try:
                if parse_error is not None:
                    raise parse_error
                assert params is not None
                return self._sagemaker(operation, params, region, environ, start_response)
            except ServiceError as error:
                return error_response(error)(environ, start_response)

        if fault is None:
            return serve(environ, start_response)

        def as_error(status: int, code: str, message: str) -> Any:
            error = ServiceError(message)
            error.code, error.status = code, status  # the fault's own code and status, on this one error
            return error_response(error)

        return self._faulted(fault, serve, as_error, environ, start_response)

    def _faulted(
        self,
        fault: Fault,
        served: WSGIApp,
        error_body: Callable[[int, str, str], Any],
        environ: Environ,
        start_response: Any,
    ) -> Iterable[bytes]:
        """Answer with ``fault``: before or after the real app has run (whose answer is then lost)."""
        faults = self._state.faults
        if fault.phase == "after":
            captured = _capture(served, environ)
            faults.delay(fault.delay_seconds)
            if fault.kind == "slow":
                return captured(environ, start_response)
        else:
            faults.delay(fault.delay_seconds)
            if fault.kind == "slow":
                return served(environ, start_response)
        if fault.kind == "drop":
            raise DropConnection(f"injected fault {fault.id}: connection dropped")
        answer = fault.response()
        return error_body(answer.status, answer.code, answer.message)(environ, start_response)

    def _sagemaker(
        self, operation: str, params: dict[str, Any], region: str, environ: Environ, start_response: Any
    ) -> Iterable[bytes]:
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


def _capture(app: WSGIApp, environ: Environ) -> WSGIApp:
    """Run ``app`` to the end now (so what it does takes effect) and return a WSGI app replaying its answer."""
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        answer["status"], answer["headers"] = status, headers
        return lambda data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()

    def replay(environ: Environ, start_response: Any) -> Iterable[bytes]:
        start_response(answer["status"], answer["headers"])
        return [body]

    return replay
