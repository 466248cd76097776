"""`python -m sagemaker_reconciler plugin-pack`: the tarball `pulumi plugin install --file` takes, and its launcher runs."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_tarball_holds_the_launcher_at_its_root_and_the_package_source(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "sagemaker_reconciler", "plugin-pack", "--out", str(tmp_path)],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    tarball = Path(done.stdout.strip())
    assert tarball.name == "pulumi-resource-sagemaker-reconciler-v0.1.0.tar.gz"
    assert "pulumi plugin install resource sagemaker-reconciler 0.1.0 --file" in done.stderr
    with tarfile.open(tarball) as tar:
        members = {m.name: m for m in tar.getmembers()}
        tar.extractall(tmp_path / "plugin", filter="data")
    assert members["pulumi-resource-sagemaker-reconciler"].mode & 0o111
    assert "sagemaker_reconciler/plugin/server.py" in members and "sagemaker_reconciler/specs/workteam.py" in members
    packed = (tmp_path / "plugin" / "sagemaker_reconciler" / "plugin" / "_packed.py").read_text()
    assert packed == 'VERSION = "0.1.0"\n'  # the plugin reports the version it is installed as
    assert not [name for name in members if "__pycache__" in name or name.endswith(".pyc")]

    # Run as the engine runs it, from another directory: it prints its port, then serves.
    launcher = tmp_path / "plugin" / "pulumi-resource-sagemaker-reconciler"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SAGEMAKER_RECONCILER_PYTHON")}
    proc = subprocess.Popen(
        [str(launcher), "127.0.0.1:1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env
    )
    try:
        assert 0 < int(proc.stdout.readline()) < 65536
    finally:
        proc.terminate()
        proc.wait(timeout=10)
