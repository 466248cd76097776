"""Shared fixtures. Each one is self-contained; append new fixtures below the existing ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sagemaker_reconciler.endpoint import EmbeddedEndpoint


# --- embedded AWS-compatible endpoint (sagemaker_reconciler.endpoint) -------------------------------------


@pytest.fixture(scope="session")
def embedded_endpoint() -> Iterator[EmbeddedEndpoint]:
    """One running embedded endpoint (moto + SageMaker work teams) shared by the whole session."""
    from sagemaker_reconciler.endpoint import start_endpoint  # imported here: only tests that ask pay for moto

    with start_endpoint() as endpoint:
        yield endpoint


@pytest.fixture
def endpoint(embedded_endpoint: EmbeddedEndpoint) -> Iterator[EmbeddedEndpoint]:
    """The session endpoint with every resource (moto's too) and the request log forgotten."""
    embedded_endpoint.reset()
    yield embedded_endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, embedded_endpoint: EmbeddedEndpoint) -> str:
    """Point default boto3 clients at the embedded endpoint with dummy credentials; returns its URL."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", embedded_endpoint.url)
    return embedded_endpoint.url


# --- test tiers --------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/local_compile needs TVM: mark it `local`, as tests elsewhere that need it are."""
    local_dir = __import__("pathlib").Path(__file__).parent / "local_compile"
    for item in items:
        if local_dir in item.path.parents:
            item.add_marker(pytest.mark.local)


# --- pulumi.dynamic's pickler patch ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _undo_pulumi_pickler_patch() -> Iterator[None]:
    """pulumi.dynamic's serialize_provider wraps ``pickle._Pickler._batch_setitems`` on every call and
    never restores it, so one long session nests a wrapper per serialized provider until pickling an
    empty dict raises RecursionError. Each test starts from the same pickler."""
    import pickle

    original = pickle._Pickler._batch_setitems  # type: ignore[attr-defined]
    yield
    pickle._Pickler._batch_setitems = original  # type: ignore[attr-defined]
