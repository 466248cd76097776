"""sagemaker-reconciler: declarative SageMaker Workteams and Neo CompilationJobs.

The Pulumi-facing names are loaded lazily, so that importing the pure core
(``provider.specs``, ``provider.plan``) pulls in neither pulumi nor boto3.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "CompilationJob",
    "CompilationJobProvider",
    "CompilationJobSpec",
    "Workteam",
    "WorkteamProvider",
    "WorkteamSpec",
    "errors",
]

_LAZY = {
    "CompilationJob": "provider.pulumi_resources",
    "CompilationJobProvider": "provider.pulumi_resources",
    "CompilationJobSpec": "provider.specs.compilation_job",
    "Workteam": "provider.pulumi_resources",
    "WorkteamProvider": "provider.pulumi_resources",
    "WorkteamSpec": "provider.specs.workteam",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'provider' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
