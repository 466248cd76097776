"""The pure core imports no I/O library: planning must run anywhere, instantly, without credentials."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "provider"
PURE = [
    "specs",
    "plan",
    "errors.py",
    "local_compile/targets.py",
    "resource_types.py",
    "schema.py",
    "manifest.py",
    "report.py",
    "render.py",
    "printable.py",
    "local_paths.py",
]
FORBIDDEN = {"boto3", "botocore", "pulumi", "tvm", "moto"}


def _modules():
    for entry in PURE:
        path = ROOT / entry
        if path.is_dir():
            yield from sorted(path.rglob("*.py"))
        elif path.exists():
            yield path


def _imported_roots(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_imports_no_io_library(path):
    assert not set(_imported_roots(path)) & FORBIDDEN


def test_importing_the_package_and_core_loads_no_heavy_dependency():
    import subprocess
    import sys

    code = (
        "import sys, provider, sagemaker_reconciler.specs, sagemaker_reconciler.plan, sagemaker_reconciler.manifest, sagemaker_reconciler.schema, sagemaker_reconciler.render;"
        "print(sorted(m for m in ('boto3','pulumi','tvm','moto') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT.parent)
    assert out.stdout.strip() == "[]"
