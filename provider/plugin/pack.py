"""Pack the plugin as the tarball ``pulumi plugin install resource sagemaker-reconciler VERSION --file X`` takes.

Pulumi extracts the tarball straight into ``$PULUMI_HOME/plugins/resource-sagemaker-reconciler-vVERSION/``
and runs ``pulumi-resource-sagemaker-reconciler`` from its root, so the root holds that
launcher (a small sh script) and this project's package source, as ``sagemaker_reconciler/``. The
launcher runs ``python -u -m sagemaker_reconciler.plugin`` with the Python named by
``$SAGEMAKER_RECONCILER_PYTHON``, else the one that packed it (if it still exists),
else ``python3``; that Python needs the project's dependencies (``pip install
sagemaker-reconciler`` gives them). No PulumiPlugin.yaml is shipped, so installing
downloads nothing: the install works offline.
"""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

from sagemaker_reconciler.plugin.server import plugin_version

__all__ = ["BINARY", "launcher", "pack"]

BINARY = "pulumi-resource-sagemaker-reconciler"
PACKAGE_DIR = Path(__file__).resolve().parents[1]

_LAUNCHER = """#!/bin/sh
# The sagemaker-reconciler Pulumi provider plugin: sagemaker_reconciler.plugin from beside this script.
here=$(dirname "$(readlink -f "$0")")
python=${{SAGEMAKER_RECONCILER_PYTHON:-{python}}}
command -v "$python" >/dev/null 2>&1 || python=python3
PYTHONPATH="$here${{PYTHONPATH:+:$PYTHONPATH}}" exec "$python" -u -m sagemaker_reconciler.plugin "$@"
"""


def launcher(python: str) -> str:
    return _LAUNCHER.format(python=python)


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    tar.addfile(info, io.BytesIO(data))


def pack(out_dir: Path, python: str | None = None) -> Path:
    """Write ``pulumi-resource-sagemaker-reconciler-v<version>.tar.gz`` into `out_dir`; return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    version = plugin_version()
    target = out_dir / f"{BINARY}-v{version}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        _add(tar, BINARY, launcher(python or sys.executable).encode(), 0o755)
        _add(tar, "sagemaker_reconciler/plugin/_packed.py", f'VERSION = "{version}"\n'.encode(), 0o644)
        for path in sorted(PACKAGE_DIR.rglob("*.py")):
            if "__pycache__" not in path.parts and path.name != "_packed.py":
                _add(tar, f"sagemaker_reconciler/{path.relative_to(PACKAGE_DIR).as_posix()}", path.read_bytes(), 0o644)
    return target
