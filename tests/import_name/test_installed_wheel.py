"""The project as a user installs it: a wheel built from this tree, then fresh interpreters.

No checkout on sys.path here, so ``provider`` is importable only through what the
wheel ships; that is what Pulumi's dynamic server meets when it unpickles an old stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .old_state import OLD_COMPILATION_JOB_PROVIDER, OLD_WORKTEAM_PROVIDER

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install --target``: the wheel's files only (dependencies come from this environment)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-compile",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def run_installed(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(target)}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def test_console_script(installed: Path, tmp_path: Path) -> None:
    result = run_installed(installed, str(installed / "bin" / "sagemaker-reconcile"), "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: sagemaker-reconcile")


def test_wheel_holds_the_package_under_its_name_and_the_alias(installed: Path) -> None:
    assert (installed / "sagemaker_reconciler" / "pulumi_resources" / "workteam.py").exists()
    assert (installed / "sagemaker_reconciler" / "py.typed").exists()
    assert sorted(p.name for p in (installed / "provider").iterdir() if p.suffix == ".py") == ["__init__.py"]


# What pulumi/dynamic/__main__.py's get_provider does with __provider from state (that module starts a
# server on import, so its two lines are repeated here; tests/engine drives the real server).
def test_a_users_own_provider_py_does_not_shadow_the_installed_package(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "provider.py").write_text("MINE = True\n")
    code = "from sagemaker_reconciler import Workteam; from sagemaker_reconciler.cli import main; print(Workteam.__module__)"
    result = run_installed(installed, sys.executable, "-c", code, cwd=tmp_path)
    assert result.stdout.strip() == "sagemaker_reconciler.pulumi_resources.workteam", result.stderr
    mine = run_installed(installed, sys.executable, "-c", "import provider; print(provider.MINE)", cwd=tmp_path)
    assert mine.stdout.strip() == "True", mine.stderr


UNPICKLE = """
import base64, sys
import dill

provider = dill.loads(base64.b64decode(sys.argv[1]))
print(type(provider).__module__)
result = provider.check({}, %s)
print(sorted(f.property for f in result.failures) if result.failures else "ok")
"""


@pytest.mark.parametrize(
    ("blob", "module", "inputs", "missing"),
    [
        (OLD_WORKTEAM_PROVIDER, "workteam", {"workteamName": "team-a", "description": "x"}, "['memberDefinitions']"),
        (
            OLD_COMPILATION_JOB_PROVIDER,
            "compilation_job",
            {"compilationJobName": "job-a"},
            "['inputConfig', 'outputConfig', 'roleArn']",
        ),
    ],
)
def test_state_pickled_before_the_rename_unpickles_to_a_working_provider(
    installed: Path, tmp_path: Path, blob: str, module: str, inputs: dict[str, str], missing: str
) -> None:
    result = run_installed(installed, sys.executable, "-c", UNPICKLE % (inputs,), blob, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    loaded_from, checked = result.stdout.splitlines()
    assert loaded_from == f"sagemaker_reconciler.pulumi_resources.{module}"
    assert checked == missing  # check() ran the real validation and named the missing required inputs
