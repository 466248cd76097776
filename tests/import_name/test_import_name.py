"""The import name `sagemaker_reconciler`, and `provider` kept as an alias of the very same modules.

Old stacks hold the dynamic provider pickled as ``provider.pulumi_resources...``;
two copies of a module would split class identities (``isinstance``/``except``
disagreeing), so the alias must hand out the canonical module objects.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import sagemaker_reconciler

REPO = Path(__file__).resolve().parents[2]
SUBMODULES = ["errors", "specs", "specs.workteam", "plan.model", "manifest", "cli", "aws", "pulumi_resources.workteam"]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def env_with_repo_on_path() -> dict[str, str]:
    """The checkout importable, behind the working directory (as site-packages would be)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}


@pytest.mark.parametrize("name", SUBMODULES)
def test_old_name_yields_the_same_module_object(name: str) -> None:
    new = importlib.import_module(f"sagemaker_reconciler.{name}")
    old = importlib.import_module(f"provider.{name}")
    assert old is new
    assert new.__name__ == new.__spec__.name == f"sagemaker_reconciler.{name}"


def test_one_class_identity_under_both_names() -> None:
    import provider
    from provider.errors import SpecError as OldSpecError
    from provider.pulumi_resources.workteam import WorkteamProvider as OldProvider
    from sagemaker_reconciler.errors import SpecError
    from sagemaker_reconciler.pulumi_resources.workteam import WorkteamProvider

    assert provider is sagemaker_reconciler
    assert OldSpecError is SpecError and OldProvider is WorkteamProvider
    assert WorkteamProvider.__module__ == "sagemaker_reconciler.pulumi_resources.workteam"
    assert provider.Workteam is sagemaker_reconciler.Workteam


def test_no_module_is_loaded_twice() -> None:
    importlib.import_module("provider.render")
    for name, module in list(sys.modules.items()):
        if name == "provider" or name.startswith("provider."):
            assert module is sys.modules["sagemaker_reconciler" + name[len("provider") :]], name


def test_a_checkout_on_sys_path_imported_by_the_old_name_first() -> None:
    """The repo root holds a folder named provider/: found first, it must not become a second copy."""
    code = (
        "import provider, provider.specs.workteam as old, sys\n"
        "import sagemaker_reconciler, sagemaker_reconciler.specs.workteam as new\n"
        "assert provider is sagemaker_reconciler and old is new, (provider, old, new)\n"
        "assert not [n for n, m in sys.modules.items() if n.startswith('provider.')\n"
        "            and m is not sys.modules['sagemaker_reconciler' + n[8:]]]\n"
        "print(sagemaker_reconciler.__file__)\n"
    )
    result = run(sys.executable, "-c", code, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == REPO / "provider" / "__init__.py"


@pytest.mark.parametrize("module", ["sagemaker_reconciler", "provider"])
def test_python_dash_m_runs_the_cli(module: str, tmp_path: Path) -> None:
    result = run(sys.executable, "-m", module, "--help", cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: sagemaker-reconcile")


def test_python_dash_m_under_the_old_name_gives_main_its_file() -> None:
    """runpy sets __main__.__file__ from the spec's origin; multiprocessing's spawn and torch read it
    (``python -m provider.local_compile.torch_convert`` once failed on a None ``__file__``)."""
    code = (
        "import importlib.util, sys, provider\n"
        "assert 'sagemaker_reconciler.demo_model' not in sys.modules\n"
        "spec = importlib.util.find_spec('provider.demo_model')\n"
        "print(spec.origin, spec.has_location)\n"
    )
    result = run(sys.executable, "-c", code, cwd=REPO, env=env_with_repo_on_path())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(REPO / "provider" / "demo_model.py"), "True"]


def test_a_users_own_provider_py_does_not_shadow_the_package(tmp_path: Path) -> None:
    (tmp_path / "provider.py").write_text("MINE = True\n")
    code = (
        "import sagemaker_reconciler\n"
        "from sagemaker_reconciler import Workteam, WorkteamSpec\n"
        "from sagemaker_reconciler.cli import main\n"
        "print(Workteam.__module__)\n"
    )
    result = run(sys.executable, "-c", code, cwd=tmp_path, env=env_with_repo_on_path())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sagemaker_reconciler.pulumi_resources.workteam"
    assert (
        run(
            sys.executable, "-m", "sagemaker_reconciler", "--help", cwd=tmp_path, env=env_with_repo_on_path()
        ).returncode
        == 0
    )
    # Their provider.py, imported on its own, is still theirs.
    mine = run(sys.executable, "-c", "import provider; print(provider.MINE)", cwd=tmp_path, env=env_with_repo_on_path())
    assert mine.stdout.strip() == "True", mine.stderr


def test_every_subpackage_is_in_the_distribution() -> None:
    """setuptools maps provider/ to sagemaker_reconciler package by package: a new folder must be listed."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(("sagemaker_reconciler", *init.parent.relative_to(REPO / "provider").parts))
        for init in (REPO / "provider").rglob("__init__.py")
    }
    assert on_disk <= listed, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(on_disk - listed)}"
    assert (REPO / "provider" / "py.typed").exists()
