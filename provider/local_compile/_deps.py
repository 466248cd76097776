"""Lazy imports of the optional 'local' extra, turned into one actionable error.

Importing ``sagemaker_reconciler.local_compile`` must stay cheap for cloud-only users, so
tvm, onnx and onnxruntime are imported here, on first use, and a missing one
becomes ``MissingExtra`` naming the extra to install.

torch (the 'local-torch' extra) is never imported by the compiling process:
PyTorch models are converted in a child process (``torch_convert``).  But
apache-tvm-ffi's ``__init__`` and ``_convert`` run ``try: import torch`` on
every ``import tvm`` whenever torch is installed, which costs ~1.8 s per
import on this kind of machine and, because MetaSchedule starts a fresh
``python -m tvm.exec.popen_worker`` per builder/runner batch, slowed a small
tuning run by ~60%.  tvm_ffi has no switch for it (``TVM_FFI_DISABLE_TORCH_C_DLPACK``
only skips the DLPack addon), so:

* ``require_tvm`` imports tvm with torch hidden (``sys.modules['torch'] = None``
  for the duration of the import, so tvm_ffi's guarded ``import torch`` fails
  fast), unless torch is already loaded in this process;
* ``torch_hidden_from_subprocesses`` puts a directory holding a ``torch``
  package that raises ImportError first on PYTHONPATH while MetaSchedule's
  workers are started, so they do not load it either.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from types import ModuleType

from sagemaker_reconciler.errors import MissingExtra

__all__ = [
    "FEATURE",
    "HIDDEN_TORCH_PREFIX",
    "require",
    "require_tvm",
    "require_torch_installed",
    "torch_hidden_from_subprocesses",
    "tvm_version",
]

FEATURE = "local-compile mode"
HIDDEN_TORCH_PREFIX = "local-compile-no-torch-"
_STUB = (
    "raise ImportError('torch is hidden from TVM worker processes by sagemaker_reconciler.local_compile "
    "(tvm_ffi would import it on every start); unset this PYTHONPATH entry to use torch')\n"
)


def require(module: str, distribution: str, extra: str = "local") -> ModuleType:
    """Import ``module`` or raise MissingExtra naming the pip ``distribution``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(FEATURE, extra, distribution) from exc


def require_tvm() -> ModuleType:
    """Import tvm; if torch is installed but not loaded, keep tvm_ffi from loading it."""
    if "tvm" in sys.modules or "torch" in sys.modules:
        return require("tvm", "apache-tvm")
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` now raises ImportError
    try:
        return require("tvm", "apache-tvm")
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


def require_torch_installed() -> None:
    """Raise MissingExtra('local-torch') unless torch can be imported (checked without importing it)."""
    if importlib.util.find_spec("torch") is None:
        raise MissingExtra("local compile of PYTORCH models", "local-torch", "torch")


@contextlib.contextmanager
def torch_hidden_from_subprocesses() -> Iterator[None]:
    """While active, Python subprocesses started from here cannot import torch.

    Changes ``os.environ['PYTHONPATH']`` (process-wide) and restores it on exit;
    callers hold the engine's TVM lock.  A no-op when torch is not installed.
    """
    if "torch" not in sys.modules and importlib.util.find_spec("torch") is None:
        yield
        return
    stub_root = Path(tempfile.mkdtemp(prefix=HIDDEN_TORCH_PREFIX))
    (stub_root / "torch").mkdir()
    (stub_root / "torch" / "__init__.py").write_text(_STUB)
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(stub_root), *([before] if before else [])])
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before
        shutil.rmtree(stub_root, ignore_errors=True)


def tvm_version() -> str:
    """The installed apache-tvm version, read without importing tvm (cache keys need it early)."""
    try:
        return metadata.version("apache-tvm")
    except metadata.PackageNotFoundError as exc:
        raise MissingExtra(FEATURE, "local", "apache-tvm") from exc
