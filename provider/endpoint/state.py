"""What the endpoint remembers outside moto: per-region models and the request log.

Per-region backends follow moto's BackendDict idea: one instance per
(backend class, region), created on first use, all dropped by ``reset()``.
The werkzeug server is threaded, so callers hold ``lock`` while they touch state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .protocol import ACCOUNT_ID

__all__ = ["Clock", "EndpointState", "RecordedRequest", "RegionalBackend"]

Clock = Callable[[], float]


class RegionalBackend:
    """Base of the in-memory models: one instance per region of the one account."""

    def __init__(self, region: str, account_id: str, clock: Clock):
        self.region = region
        self.account_id = account_id
        self.clock = clock


Backend = TypeVar("Backend", bound=RegionalBackend)


@dataclass(frozen=True)
class RecordedRequest:
    """One SageMaker call as received: tests assert on what the client actually sent."""

    operation: str
    params: dict[str, Any] | None
    region: str

    def to_json(self) -> dict[str, Any]:
        return {"operation": self.operation, "params": self.params, "region": self.region}


class EndpointState:
    """Per-region backends, the request log, and the lock and clock they share."""

    def __init__(self, clock: Clock = time.time):
        self.lock = threading.RLock()
        self.clock = clock
        self._backends: dict[tuple[type[RegionalBackend], str], RegionalBackend] = {}
        self._requests: list[RecordedRequest] = []

    def backend(self, backend_type: type[Backend], region: str) -> Backend:
        with self.lock:
            key = (backend_type, region)
            if key not in self._backends:
                self._backends[key] = backend_type(region=region, account_id=ACCOUNT_ID, clock=self.clock)
            backend = self._backends[key]
            assert isinstance(backend, backend_type)
            return backend

    def backends(self, backend_type: type[Backend]) -> list[Backend]:
        """Every region's instance of ``backend_type`` created so far."""
        with self.lock:
            return [b for (kind, _), b in self._backends.items() if kind is backend_type]  # type: ignore[misc]

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self.lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    def reset(self) -> None:
        with self.lock:
            self._backends.clear()
            self._requests.clear()
