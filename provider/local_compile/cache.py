"""Content-addressed cache of compiled artifacts.

The key is a sha256 over everything that changes the artifact: the model
archive's bytes, the resolved target, the compiler options, the input
signature, the tuning settings, the TVM version and this engine's own
pipeline version.  A hit is a file copy: no extraction, no compile, no tuning.
Entries are written atomically (temp file + rename), so a crash never leaves a
half artifact that a later run would trust.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagemaker_reconciler.local_compile.archive import copy_file

__all__ = ["PIPELINE_VERSION", "default_cache_dir", "cache_key", "ArtifactCache"]

# Bump when the build pipeline changes what it produces for the same inputs.
PIPELINE_VERSION = "6"
CACHE_ENV = "SAGEMAKER_RECONCILER_CACHE"


def default_cache_dir() -> Path:
    """``$SAGEMAKER_RECONCILER_CACHE`` or ``~/.cache/sagemaker-reconciler``."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "sagemaker-reconciler"


def cache_key(
    model_digest: str,
    framework: str,
    target_json: str,
    compiler_options: Mapping[str, Any],
    data_input_config: Any,
    tuning: Mapping[str, Any],
    tvm_version: str,
) -> str:
    """Hex sha256 of the canonical JSON of every input that shapes the artifact."""
    material = {
        "model": model_digest,
        "framework": framework.upper(),
        "target": json.loads(target_json),
        "compiler_options": dict(compiler_options),
        "data_input_config": data_input_config,
        "tuning": dict(tuning),
        "tvm": tvm_version,
        "pipeline": PIPELINE_VERSION,
    }
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"), default=list)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class ArtifactCache:
    """``<root>/artifacts/<key[:2]>/<key>.tar.gz``."""

    root: Path

    def path_for(self, key: str) -> Path:
        return self.root / "artifacts" / key[:2] / f"{key}.tar.gz"

    def get(self, key: str) -> Path | None:
        path = self.path_for(key)
        return path if path.is_file() else None

    def put(self, key: str, artifact: Path) -> Path:
        path = self.path_for(key)
        copy_file(artifact, path)
        return path
