"""Fault injection: make chosen requests fail the way a real service (or network) fails.

A ``Fault`` matches requests by service, operation, region and a subset of
their parameters, and fires for the next ``count`` matching requests (or for
every one), each time with ``probability`` drawn from its own seeded RNG, so a
"30 % of DescribeWorkteam" run is the same run every time. Kinds:

==============  ==========================================================================
``throttling``  400 ``ThrottlingException`` (S3: 503 ``SlowDown``); botocore retries it as
                throttling, with the larger backoff
``internal``    500 ``InternalFailure`` (S3: ``InternalError``); retried as transient
``unavailable`` 503 ``ServiceUnavailable``; retried as transient
``error``       any ``code``/``status``/``message`` (an auth failure, a 400 botocore gives up on)
``slow``        wait ``delay_seconds`` of real time, then answer normally
``drop``        close the connection without any response; botocore sees
                ``ConnectionClosedError`` and retries it as transient
==============  ==========================================================================

``phase="before"`` (the default) fails the request before the endpoint looks at
it: nothing changes server-side. ``phase="after"`` applies the request first
and then fails or drops its response, as when a create succeeds but its reply
is lost: the client cannot tell that it worked. Any kind may add
``delay_seconds`` before it fires. Every request a fault fires on is logged
with ``fault=<kind>`` (see ``RecordedRequest``), so tests count attempts.

Delays wait on an event that ``clear()`` (and so ``reset()``) sets: clearing
the faults, resetting or stopping the endpoint never waits for a slow fault.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .exceptions import ValidationException

__all__ = ["FAULT_KINDS", "DropConnection", "Fault", "FaultInjector", "FaultResponse"]

Json = dict[str, Any]
Phase = Literal["before", "after"]

FAULT_KINDS = ("throttling", "internal", "unavailable", "error", "slow", "drop")
SERVICES = ("sagemaker", "s3")
_PHASES = ("before", "after")

# (HTTP status, error code, message) per kind and service, as each service answers.
_ERRORS: dict[str, dict[str, tuple[int, str, str]]] = {
    "sagemaker": {
        "throttling": (400, "ThrottlingException", "Rate exceeded"),
        "internal": (500, "InternalFailure", "We encountered an internal error. Please try again."),
        "unavailable": (503, "ServiceUnavailable", "The service is unavailable. Please try again later."),
    },
    "s3": {
        "throttling": (503, "SlowDown", "Please reduce your request rate."),
        "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
        "unavailable": (503, "ServiceUnavailable", "Service is unable to handle request."),
    },
}


class DropConnection(ConnectionError):
    """Raised by the app to make the server close the socket without writing a response.

    A ``ConnectionError`` so that werkzeug's request handler treats it as a dropped
    connection (``connection_dropped``) instead of answering 500.
    """


@dataclass(frozen=True)
class FaultResponse:
    """What to answer instead of the real response: status, the service's error code, a message."""

    status: int
    code: str
    message: str


@dataclass
class Fault:
    """One planted fault; ``injected`` counts the requests it fired on, ``seen`` the ones it matched."""

    id: int
    kind: str
    operation: str = "*"
    service: str = "sagemaker"
    count: int | None = None
    probability: float = 1.0
    seed: int | None = 0
    delay_seconds: float = 0.0
    phase: Phase = "before"
    match: Json | None = None
    region: str | None = None
    code: str | None = None
    status: int | None = None
    message: str | None = None
    injected: int = 0
    seen: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.injected >= self.count

    def matches(self, service: str, operation: str, params: Mapping[str, Any] | None, region: str) -> bool:
        if service != self.service or self.operation not in ("*", operation):
            return False
        if self.region is not None and region != self.region:
            return False
        if self.match:
            given = params or {}
            return all(given.get(key) == value for key, value in self.match.items())
        return True

    def fires(self) -> bool:
        """Called for a matching request: does the fault fire on it? Updates the counters."""
        if self.exhausted:
            return False
        self.seen += 1
        if self.probability < 1.0 and self._rng.random() >= self.probability:
            return False
        self.injected += 1
        return True

    def response(self) -> FaultResponse:
        """The error answer of an error kind (not ``slow`` or ``drop``)."""
        if self.kind == "error":
            return FaultResponse(
                self.status or 400, self.code or "ValidationException", self.message or "Injected fault"
            )
        status, code, message = _ERRORS[self.service][self.kind]
        return FaultResponse(self.status or status, self.code or code, self.message or message)

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "kind": self.kind,
            "operation": self.operation,
            "service": self.service,
            "count": self.count,
            "probability": self.probability,
            "seed": self.seed,
            "delay_seconds": self.delay_seconds,
            "phase": self.phase,
            "match": self.match,
            "region": self.region,
            "code": self.code,
            "status": self.status,
            "message": self.message,
            "injected": self.injected,
            "seen": self.seen,
            "exhausted": self.exhausted,
        }


class FaultInjector:
    """The endpoint's planted faults, in the order they were added; the first that fires wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        self._cancel = threading.Event()

    def add(
        self,
        kind: str,
        operation: str = "*",
        *,
        service: str = "sagemaker",
        count: int | None = None,
        probability: float = 1.0,
        seed: int | None = 0,
        delay_seconds: float = 0.0,
        phase: str = "before",
        match: Json | None = None,
        region: str | None = None,
        code: str | None = None,
        status: int | None = None,
        message: str | None = None,
    ) -> Fault:
        _check(
            kind,
            operation,
            service,
            count,
            probability,
            seed,
            delay_seconds,
            phase,
            match,
            region,
            code,
            status,
            message,
        )
        with self._lock:
            fault = Fault(
                id=self._next_id,
                kind=kind,
                operation=operation,
                service=service,
                count=count,
                probability=float(probability),
                seed=seed,
                delay_seconds=float(delay_seconds),
                phase=phase,  # type: ignore[arg-type]
                match=dict(match) if match else None,
                region=region,
                code=code,
                status=status,
                message=message,
            )
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def pick(self, service: str, operation: str, params: Mapping[str, Any] | None, region: str) -> Fault | None:
        """The fault that fires on this request, if any (counters updated)."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, operation, params, region) and fault.fires():
                    return fault
        return None

    def faults(self) -> list[Json]:
        with self._lock:
            return [fault.to_json() for fault in self._faults]

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            before = len(self._faults)
            self._faults = [fault for fault in self._faults if fault.id != fault_id]
            return len(self._faults) != before

    def clear(self) -> None:
        """Forget every fault and cut short every delay in progress."""
        with self._lock:
            self._faults.clear()
            self._cancel.set()
            self._cancel = threading.Event()

    def delay(self, seconds: float) -> None:
        """Wait ``seconds`` of real time, or until ``clear()``."""
        if seconds > 0:
            with self._lock:
                cancel = self._cancel
            cancel.wait(seconds)


def _check(
    kind: Any,
    operation: Any,
    service: Any,
    count: Any,
    probability: Any,
    seed: Any,
    delay_seconds: Any,
    phase: Any,
    match: Any,
    region: Any,
    code: Any,
    status: Any,
    message: Any,
) -> None:
    def number(value: Any) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)

    if kind not in FAULT_KINDS:
        raise ValidationException(f"kind must be one of {', '.join(FAULT_KINDS)}; got {kind!r}")
    if not isinstance(operation, str) or not operation:
        raise ValidationException(
            f"operation must be an operation name such as CreateWorkteam, or '*'; got {operation!r}"
        )
    if service not in SERVICES:
        raise ValidationException(f"service must be one of {', '.join(SERVICES)}; got {service!r}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValidationException(f"count must be an integer >= 1, or null for every matching request; got {count!r}")
    if not number(probability) or not 0.0 < probability <= 1.0:
        raise ValidationException(f"probability must be a number in (0, 1]; got {probability!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValidationException(f"seed must be an integer or null; got {seed!r}")
    if not number(delay_seconds) or not 0 <= delay_seconds <= 3600:
        raise ValidationException(f"delay_seconds must be a number of seconds in [0, 3600]; got {delay_seconds!r}")
    if kind == "slow" and not delay_seconds:
        raise ValidationException("a slow fault needs delay_seconds > 0")
    if phase not in _PHASES:
        raise ValidationException(f"phase must be 'before' or 'after'; got {phase!r}")
    if match is not None and not isinstance(match, dict):
        raise ValidationException(f"match must be an object of request parameters; got {match!r}")
    if region is not None and not isinstance(region, str):
        raise ValidationException(f"region must be a region name; got {region!r}")
    if kind == "error":
        if not isinstance(code, str) or not code:
            raise ValidationException("an error fault needs a code, e.g. UnrecognizedClientException")
        if status is None:
            raise ValidationException("an error fault needs an HTTP status, e.g. 400")
    elif code is not None and kind in ("slow", "drop"):
        raise ValidationException(f"a {kind} fault sends no error, so it takes no code")
    if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599):
        raise ValidationException(f"status must be an HTTP error status 400-599; got {status!r}")
    if message is not None and not isinstance(message, str):
        raise ValidationException(f"message must be a string; got {message!r}")
