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
    "CompileRequest": "sagemaker_reconciler.local_compile.engine",
    "CompileResult": "sagemaker_reconciler.local_compile.engine",
    "check_request": "sagemaker_reconciler.local_compile.engine",
    "compile_model": "sagemaker_reconciler.local_compile.engine",
    "publish_artifact": "sagemaker_reconciler.local_compile.engine",
    "artifact_file_name": "sagemaker_reconciler.local_compile.engine",
    "TuningOptions": "sagemaker_reconciler.local_compile.tvm_backend",
    "Progress": "sagemaker_reconciler.local_compile.tvm_backend",
    "verify_artifact": "sagemaker_reconciler.local_compile.verify",
    "check_verifiable": "sagemaker_reconciler.local_compile.verify",
    "VerificationFailed": "sagemaker_reconciler.local_compile.verify",
    "resolve_target": "sagemaker_reconciler.local_compile.targets",
    "ResolvedTarget": "sagemaker_reconciler.local_compile.targets",
    "UnsupportedTarget": "sagemaker_reconciler.local_compile.targets",
    "UnsupportedFramework": "sagemaker_reconciler.local_compile.frontends",
    "UnsafeArchive": "sagemaker_reconciler.local_compile.archive",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sagemaker_reconciler.local_compile' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
