"""sagemaker-reconciler: declarative SageMaker Workteams and Neo CompilationJobs.

Imported as ``sagemaker_reconciler`` (the folder is ``provider/``, mapped by
setuptools); ``provider`` stays an alias of the same modules, for stacks whose
state pickled the provider under that path (see ``_alias.py``).

The Pulumi-facing names are loaded lazily, so that importing the pure core
(``sagemaker_reconciler.specs``, ``.plan``) pulls in neither pulumi nor boto3.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

if __name__ != "sagemaker_reconciler":
    # A checkout on sys.path found this folder under its old name: load the package once, under its own
    # name, from this same folder, and make `provider` that very module (the import returns sys.modules').
    if "sagemaker_reconciler" not in sys.modules:
        _spec = importlib.util.spec_from_file_location(
            "sagemaker_reconciler", __file__, submodule_search_locations=__path__
        )
        assert _spec is not None and _spec.loader is not None
        sys.modules["sagemaker_reconciler"] = importlib.util.module_from_spec(_spec)
        try:
            _spec.loader.exec_module(sys.modules["sagemaker_reconciler"])
        except BaseException:
            del sys.modules["sagemaker_reconciler"]
            raise
    # ...and serve `provider.x` as `sagemaker_reconciler.x` (one module object per file, see _alias).
    importlib.import_module("sagemaker_reconciler._alias").install()
    sys.modules[__name__] = sys.modules["sagemaker_reconciler"]

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
    "CompilationJob": "sagemaker_reconciler.pulumi_resources",
    "CompilationJobProvider": "sagemaker_reconciler.pulumi_resources",
    "CompilationJobSpec": "sagemaker_reconciler.specs.compilation_job",
    "Workteam": "sagemaker_reconciler.pulumi_resources",
    "WorkteamProvider": "sagemaker_reconciler.pulumi_resources",
    "WorkteamSpec": "sagemaker_reconciler.specs.workteam",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sagemaker_reconciler' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
