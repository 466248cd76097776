"""Local-compile mode: compile a CompilationJob's model with Apache TVM on this machine.

Importing this package imports no tvm (nor onnx, numpy, boto3, pulumi):
the heavy modules load on first use, so the spec check stays fast and works
without the 'local' extra.

Modules: ``targets`` (pure target table), ``archive`` (safe tar I/O),
``cache`` (content-addressed artifacts), ``frontends`` (model -> Relax),
``tvm_backend`` (build/tune/run), ``verify`` (compare with onnxruntime),
``engine`` (the entry points below).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CompileRequest",
    "CompileResult",
    "TuningOptions",
    "Progress",
    "check_request",
    "compile_model",
    "publish_artifact",
    "artifact_file_name",
    "verify_artifact",
    "check_verifiable",
    "resolve_target",
    "ResolvedTarget",
    "UnsupportedTarget",
    "UnsupportedFramework",
    "UnsafeArchive",
    "VerificationFailed",
]

_LAZY = {
    "CompileRequest": "provider.local_compile.engine",
    "CompileResult": "provider.local_compile.engine",
    "check_request": "provider.local_compile.engine",
    "compile_model": "provider.local_compile.engine",
    "publish_artifact": "provider.local_compile.engine",
    "artifact_file_name": "provider.local_compile.engine",
    "TuningOptions": "provider.local_compile.tvm_backend",
    "Progress": "provider.local_compile.tvm_backend",
    "verify_artifact": "provider.local_compile.verify",
    "check_verifiable": "provider.local_compile.verify",
    "VerificationFailed": "provider.local_compile.verify",
    "resolve_target": "provider.local_compile.targets",
    "ResolvedTarget": "provider.local_compile.targets",
    "UnsupportedTarget": "provider.local_compile.targets",
    "UnsupportedFramework": "provider.local_compile.frontends",
    "UnsafeArchive": "provider.local_compile.archive",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'provider.local_compile' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
