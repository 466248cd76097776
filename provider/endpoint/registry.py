"""Which SageMaker operations the endpoint answers itself.

A handler gets the parsed request and the endpoint state and returns the
response body, or ``PASS_THROUGH`` to let moto answer (AddTags on an ARN of a
resource type the endpoint does not model, say). Operations without a handler go to moto untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from .protocol import SageMakerRequest
from .state import EndpointState

__all__ = ["PASS_THROUGH", "Handler", "OperationRegistry", "PassThrough"]


class PassThrough:
    """Marker type of ``PASS_THROUGH``."""

    def __repr__(self) -> str:
        return "PASS_THROUGH"


PASS_THROUGH: Final = PassThrough()

Handler = Callable[[SageMakerRequest, EndpointState], "dict[str, Any] | PassThrough"]


class OperationRegistry:
    """Operation name -> handler; registering a name twice is a bug, so it raises."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, handlers: Mapping[str, Handler]) -> None:
        clashes = sorted(set(handlers) & set(self._handlers))
        if clashes:
            raise ValueError(f"operations registered twice: {', '.join(clashes)}")
        self._handlers.update(handlers)

    def handler(self, operation: str) -> Handler | None:
        return self._handlers.get(operation)
