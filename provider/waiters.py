"""Polling with backoff. Sleep and clock are injected so tests run instantly and count polls.

A fixed 5 s poll (the SageMaker Python SDK's) makes T/5 Describe calls for a
job of T seconds. Geometric backoff from 1 s, capped, notices a short job
within a second or two and makes a long job cost a few dozen calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from sagemaker_reconciler.errors import AwsError, WaitTimeout

__all__ = ["Backoff", "wait_for", "THROTTLING_CODES", "NETWORK_ERROR_CODES", "RETRYABLE_CODES"]

T = TypeVar("T")
THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
    }
)
NETWORK_ERROR_CODES = frozenset(
    {"ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError", "EndpointConnectionError"}
)
"""No response at all (the gateway names these after botocore's exception class)."""
RETRYABLE_CODES = THROTTLING_CODES | NETWORK_ERROR_CODES
"""What a wait outlasts: a poll failing with one of these is retried at the next delay."""


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0
    factor: float = 1.5
    maximum: float = 15.0

    def delays(self) -> Iterator[float]:
        delay = self.initial
        while True:
            yield delay
            delay = min(delay * self.factor, self.maximum)


def wait_for(
    poll: Callable[[], T],
    done: Callable[[T], bool],
    *,
    timeout: float,
    what: str,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_poll: Callable[[T, float], None] | None = None,
    describe: Callable[[T], str] | None = None,
    limit_text: str = "",
    after_timeout: str = "",
) -> T:
    """Poll until `done(result)`; throttling, 5xx and dropped connections that outlast botocore's retries
    are waited out too, and a timeout names the last such failure.

    A timeout message says where the thing stood (`describe` of the last result), what the limit was
    made of (`limit_text`) and what goes on after the wait gives up (`after_timeout`)."""
    start = clock()
    last_error: AwsError | None = None
    last: list[T] = []
    for delay in backoff.delays():
        try:
            result = poll()
        except AwsError as exc:
            if exc.code not in RETRYABLE_CODES:
                raise
            last_error = exc
        else:
            last_error = None
            last[:] = [result]
            if on_poll is not None:
                on_poll(result, clock() - start)
            if done(result):
                return result
        elapsed = clock() - start
        if elapsed >= timeout:
            cause = f"; the last poll failed: {last_error}" if last_error is not None else ""
            state = describe(last[0]) if describe is not None and last else "not done"
            limit = f"limit {timeout:.0f} s" + (f": {limit_text}" if limit_text else "")
            tail = f"; {after_timeout}" if after_timeout else ""
            raise WaitTimeout(f"{what}: still {state} after {elapsed:.0f} s ({limit}){cause}{tail}")
        sleep(min(delay, max(timeout - elapsed, 0.0)))
    raise AssertionError("unreachable")  # pragma: no cover
