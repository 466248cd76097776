"""How a failed request reaches the engine: a clear message, never a traceback; a partial failure with details.

A create that failed after the resource came to exist is answered, as Pulumi's
Go and Node providers do, with gRPC status UNKNOWN whose ``grpc-status-details-bin``
trailer holds a ``google.rpc.Status`` with one ``pulumirpc.ErrorResourceInitFailed``:
the engine then keeps the resource (its id and outputs) in state, so nothing is
orphaned, and the next ``up`` retries it as an update.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Mapping
from typing import Any

import grpc
from google.protobuf import any_pb2
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import status_pb2

__all__ = ["Failure", "PartialFailure", "failure_for"]


class _Status(grpc.Status):
    def __init__(self, code: grpc.StatusCode, details: str, trailing: tuple[tuple[str, bytes], ...] = ()):
        self.code = code
        self.details = details
        self.trailing_metadata = trailing


class Failure(Exception):
    """An answer that is an error: gRPC code and the message the user reads."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def status(self) -> grpc.Status:
        return _Status(self.code, self.message)


class PartialFailure(Failure):
    """The resource exists although the operation failed: its id, outputs and inputs go to state."""

    def __init__(self, message: str, id_: str, properties: Mapping[str, Any], inputs: Mapping[str, Any]):
        from sagemaker_reconciler.plugin.wire import encode

        super().__init__(grpc.StatusCode.UNKNOWN, message)
        self.detail = pb.ErrorResourceInitFailed(
            id=id_, properties=encode(properties), inputs=encode(inputs), reasons=[message]
        )

    def status(self) -> grpc.Status:
        packed = any_pb2.Any()
        packed.Pack(self.detail)
        body = status_pb2.Status(code=grpc.StatusCode.UNKNOWN.value[0], message=self.message, details=[packed])
        return _Status(self.code, self.message, (("grpc-status-details-bin", body.SerializeToString()),))


def failure_for(exc: BaseException, what: str) -> Failure:
    """Any exception -> what the engine shows: our own errors as they are, anything else without a traceback."""
    from sagemaker_reconciler.errors import ReconcilerError, SpecError

    if isinstance(exc, Failure):
        return exc
    if isinstance(exc, SpecError):
        return Failure(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
    if isinstance(exc, ReconcilerError):
        return Failure(grpc.StatusCode.UNKNOWN, str(exc))
    traceback.print_exception(exc, file=sys.stderr)  # the plugin's stderr: the engine's debug log
    return Failure(
        grpc.StatusCode.INTERNAL,
        f"{what}: internal error in the sagemaker-reconciler plugin ({type(exc).__name__}: {exc})",
    )
