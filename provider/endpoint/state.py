"""What the endpoint remembers outside moto: per-region models, endpoint-wide settings, the request log.

Per-region backends follow moto's BackendDict idea: one instance per
(backend class, region), created on first use, all dropped by ``reset()``.
Endpoint-wide settings (``shared()``) are one instance per class, also dropped
by ``reset()``. The werkzeug server is threaded, so callers hold ``lock`` while
they touch state.

Time: every model reads ``state.clock``, which is the injected source clock
plus an offset that ``advance_clock()`` moves forward, so tests can jump past a
job's runtime instead of sleeping through it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, Self, TypeVar

from .faults import FaultInjector
from .protocol import ACCOUNT_ID

__all__ = ["Clock", "EndpointState", "ObjectStore", "RecordedRequest", "RegionalBackend"]

Clock = Callable[[], float]


class ObjectStore(Protocol):
    """The endpoint's own S3 as models see it (moto's S3 backend, in process)."""

    def bucket_exists(self, bucket: str) -> bool: ...

    def get(self, bucket: str, key: str) -> bytes | None:
        """The object's bytes, or None when the bucket or the key does not exist."""
        ...

    def put(self, bucket: str, key: str, body: bytes) -> None:
        """Write an object to an existing bucket."""
        ...


class RegionalBackend:
    """Base of the in-memory models: one instance per region of the one account."""

    def __init__(self, region: str, account_id: str, clock: Clock):
        self.region = region
        self.account_id = account_id
        self.clock = clock

    @classmethod
    def for_region(cls, state: EndpointState, region: str) -> Self:
        """How ``state.backend()`` builds one; override to take more from the state (settings, the object store)."""
        return cls(region=region, account_id=ACCOUNT_ID, clock=state.clock)


Backend = TypeVar("Backend", bound=RegionalBackend)
Shared = TypeVar("Shared")


WRITE_OPERATIONS = frozenset(
    {
        "CreateWorkteam",
        "UpdateWorkteam",
        "DeleteWorkteam",
        "AddTags",
        "DeleteTags",
        "CreateCompilationJob",
        "StopCompilationJob",
        "DeleteCompilationJob",
        "PutObject",
        "DeleteObject",
        "CopyObject",
        "DeleteObjects",
    }
)
"""Every operation in the request log that changes something (what a read-only plan must never send)."""


@dataclass(frozen=True)
class RecordedRequest:
    """One call as received: tests assert on what the client actually sent.

    ``service`` is ``sagemaker`` for SageMaker calls (the only ones ``requests`` lists) and the
    SigV4 scope's service for the rest (``s3``, with ``params`` Bucket/Key). ``fault`` is the kind
    of the injected fault that answered this attempt instead of the service (``throttling``,
    ``drop``...), or None for an attempt the endpoint served normally.
    """

    operation: str
    params: dict[str, Any] | None
    region: str
    service: str = "sagemaker"
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"operation": self.operation, "params": self.params, "region": self.region}
        if self.service != "sagemaker":
            body["service"] = self.service
        if self.fault is not None:
            body["fault"] = self.fault
        return body


class EndpointState:
    """Per-region backends, endpoint-wide settings, the request log, and the lock, clock and object store they share."""

    def __init__(self, clock: Clock = time.time, object_store: ObjectStore | None = None):
        self.lock = threading.RLock()
        self.object_store = object_store
        self._source_clock = clock
        self._clock_offset = 0.0
        self._backends: dict[tuple[type[RegionalBackend], str], RegionalBackend] = {}
        self._shared: dict[type, object] = {}
        self._requests: list[RecordedRequest] = []
        self.faults = FaultInjector()

    def clock(self) -> float:
        """Now, in epoch seconds: the source clock plus whatever ``advance_clock()`` added."""
        return self._source_clock() + self._clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move the endpoint's time forward by ``seconds`` (never back); returns the new now."""
        if not seconds >= 0:
            raise ValueError(f"the clock only moves forward; got {seconds} seconds")
        with self.lock:
            self._clock_offset += seconds
            return self.clock()

    def backend(self, backend_type: type[Backend], region: str) -> Backend:
        with self.lock:
            key = (backend_type, region)
            if key not in self._backends:
                self._backends[key] = backend_type.for_region(self, region)
            backend = self._backends[key]
            assert isinstance(backend, backend_type)
            return backend

    def shared(self, kind: type[Shared]) -> Shared:
        """The endpoint-wide instance of ``kind`` (built with no arguments on first use), e.g. a resource's settings."""
        with self.lock:
            if kind not in self._shared:
                self._shared[kind] = kind()
            instance = self._shared[kind]
            assert isinstance(instance, kind)
            return instance

    def backends(self, backend_type: type[Backend]) -> list[Backend]:
        """Every region's instance of ``backend_type`` created so far."""
        with self.lock:
            return [b for (kind, _), b in self._backends.items() if kind is backend_type]  # type: ignore[misc]

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self._requests.append(request)

    def requests(self, service: str | None = "sagemaker") -> list[RecordedRequest]:
        """The log, oldest first: one service's calls, or every call with ``service=None``."""
        with self.lock:
            return [r for r in self._requests if service is None or r.service == service]

    def clear_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    def reset(self) -> None:
        """Forget every resource, setting, fault and request; the clock goes back to its source."""
        with self.lock:
            self.faults.clear()
            self._backends.clear()
            self._shared.clear()
            self._requests.clear()
            self._clock_offset = 0.0
