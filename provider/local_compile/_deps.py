"""Lazy imports of the optional 'local' extra, turned into one actionable error.

Importing ``provider.local_compile`` must stay cheap for cloud-only users, so
tvm, onnx and onnxruntime are imported here, on first use, and a missing one
becomes ``MissingExtra`` naming the extra to install.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from types import ModuleType

from provider.errors import MissingExtra

__all__ = ["FEATURE", "require", "require_tvm", "tvm_version"]

FEATURE = "local-compile mode"


def require(module: str, distribution: str) -> ModuleType:
    """Import ``module`` or raise MissingExtra naming the pip ``distribution``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(FEATURE, "local", distribution) from exc


def require_tvm() -> ModuleType:
    return require("tvm", "apache-tvm")


def tvm_version() -> str:
    """The installed apache-tvm version, read without importing tvm (cache keys need it early)."""
    try:
        return metadata.version("apache-tvm")
    except metadata.PackageNotFoundError as exc:
        raise MissingExtra(FEATURE, "local", "apache-tvm") from exc
