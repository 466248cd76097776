"""Fixtures for the reliability tests: botocore's backoff on a recorded, zero-length clock; engine servers.

botocore's standard retries sleep ``rand() * 2 ** (attempt - 1)`` seconds (capped at 20) between
attempts, so a fault that persists through all 8 attempts costs ~35 s of real sleep. ``retry_delays``
keeps botocore's decision (whether to retry, and the delay it wanted) but records the delay instead
of sleeping it, so the tests can assert *that* botocore backed off without waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import pytest

from sagemaker_reconciler.endpoint import WRITE_OPERATIONS
from sagemaker_reconciler.waiters import Backoff
from tests.engine.harness import EngineClient

MAX_ATTEMPTS = (
    9  # sagemaker_reconciler.aws: botocore standard retries, max_attempts 8 = 8 retries after the first attempt
)
FAST = Backoff(initial=0.01, factor=1.5, maximum=0.05)
WRITES = WRITE_OPERATIONS


@pytest.fixture
def retry_delays(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, float]]:
    """(attempt number, seconds botocore wanted to sleep) for every retry botocore decided on, in order."""
    from botocore.retries import standard

    original = standard.ExponentialBackoff.delay_amount
    wanted: list[tuple[int, float]] = []

    def recorded(self: Any, context: Any) -> float:
        wanted.append((context.attempt_number, original(self, context)))
        return 0.0

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", recorded)
    return wanted


@pytest.fixture
def env(endpoint, aws_env, retry_delays):
    """The endpoint, reset, with boto3's environment pointing at it and botocore's backoff recorded."""
    return endpoint


@pytest.fixture
def model(env) -> str:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"not really a model")
    env.clear_requests()
    return "s3://models/resnet.tar.gz"


def attempts(endpoint, operation: str, service: str | None = "sagemaker") -> list[str | None]:
    """The fault (or None: served) of every attempt at ``operation``, in order."""
    return [
        r.fault for r in endpoint.all_requests if r.operation == operation and (service is None or r.service == service)
    ]


def operations(endpoint) -> list[str]:
    return [r.operation for r in endpoint.all_requests]


EngineFactory = Callable[..., EngineClient]


@pytest.fixture
def engine_factory() -> Iterator[EngineFactory]:
    """``engine_factory(env=...)``: a fresh dynamic-provider server per call, all stopped after the test."""
    clients: list[EngineClient] = []

    def start(env: Mapping[str, str | None] | None = None, **kwargs: Any) -> EngineClient:
        client = EngineClient(env=env, **kwargs)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()


def endpoint_env(url: str, **extra: str | None) -> dict[str, str | None]:
    """A provider server's environment pointing at the embedded endpoint, as a user's shell would."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": None,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": url,
        "AWS_PROFILE": None,
        "AWS_ENDPOINT_URL_SAGEMAKER": None,
        "AWS_ENDPOINT_URL_S3": None,
        **extra,
    }
