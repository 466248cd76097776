"""Fixtures that start the SDK's dynamic-provider server for a test (start-up is ~0.3 s)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from .harness import EngineClient

EngineFactory = Callable[..., EngineClient]


@pytest.fixture
def engine_factory(request: pytest.FixtureRequest) -> Iterator[EngineFactory]:
    """``engine_factory(env=..., config=...)``: a fresh server per call, all stopped after the test."""
    clients: list[EngineClient] = []
    request.node.stash[_CLIENTS] = clients

    def start(
        env: Mapping[str, str | None] | None = None,
        config: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> EngineClient:
        client = EngineClient(env=env, config=config, **kwargs)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()


@pytest.fixture
def engine(engine_factory: EngineFactory) -> EngineClient:
    """A server with the inherited environment and empty config."""
    return engine_factory()


_CLIENTS = pytest.StashKey[list[EngineClient]]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On failure, show each server's stderr (provider logs, tracebacks) in the report."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for n, client in enumerate(item.stash.get(_CLIENTS, [])):
            report.sections.append((f"provider server {n} stderr", client.stderr()))
