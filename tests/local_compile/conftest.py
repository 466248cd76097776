"""Fixtures for the local-compile tests: generated model archives and an isolated cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.conftest import engine_factory  # noqa: F401  (the engine-protocol fixture, for test_local_mode)
from tests.local_compile.models import mlp, small_convnet, write_model_archive


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def convnet_archive(model_dir: Path) -> Path:
    return write_model_archive(small_convnet(), model_dir / "convnet.tar.gz")


@pytest.fixture(scope="session")
def mlp_archive(model_dir: Path) -> Path:
    return write_model_archive(mlp(), model_dir / "mlp.tar.gz")


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One artifact cache for the session, so a target compiled by one test is reused by the next."""
    return tmp_path_factory.mktemp("cache")
