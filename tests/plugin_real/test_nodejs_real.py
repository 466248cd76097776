"""A Node.js inline program through the plugin's Node.js classes (sdk/nodejs), run by the real engine.

The Node.js Automation API runs inline programs in its own process (no language host);
@pulumi/pulumi comes from npm, installed once into the tools cache outside the repo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest

from .conftest import REPO, base_env

NODE_PULUMI = "3.270.0"  # the newest @pulumi/pulumi on npm at or below the CLI's 3.274.1
CACHE = Path(os.environ.get("SAGEMAKER_RECONCILER_TOOLS", Path.home() / ".cache" / "sagemaker-reconciler-tools"))
SCHEMA = json.loads((REPO / "schema.json").read_text())


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """node_modules holding @pulumi/pulumi (npm install the first time)."""
    assert shutil.which("node") and shutil.which("npm"), "Node.js and npm are needed (Debian: nodejs, npm)"
    root = CACHE / f"nodejs-pulumi-{NODE_PULUMI}"
    if not (root / "node_modules" / "@pulumi" / "pulumi" / "package.json").exists():
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", f"@pulumi/pulumi@{NODE_PULUMI}"],
            cwd=root,
            check=True,
            capture_output=True,
            timeout=600,
        )
    return root / "node_modules"


def node(node_modules: Path, *argv: str, env: dict[str, str] | None = None) -> list[dict]:
    """Run ``node *argv``; the JSON lines it printed."""
    done = subprocess.run(
        ["node", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {}), "NODE_PATH": str(node_modules)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_the_nodejs_classes_carry_the_schemas_tokens_and_inputs(node_modules):
    script = (
        "const sdk = require(process.argv[1]);"
        "console.log(JSON.stringify(Object.fromEntries(['Workteam', 'CompilationJob'].map("
        "n => [sdk[n].__pulumiType, sdk[n].inputNames]))));"
    )
    (found,) = node(node_modules, "-e", script, str(REPO / "sdk" / "nodejs"))
    assert {token: sorted(names) for token, names in found.items()} == {
        token: sorted(resource["inputProperties"]) for token, resource in SCHEMA["resources"].items()
    }


def test_a_nodejs_inline_program_creates_previews_and_destroys_through_the_plugin(
    node_modules, plugin_home, pulumi_bin, endpoint, aws_env, tmp_path
):
    (tmp_path / "state").mkdir()
    env = {
        **base_env(plugin_home),
        "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
        "PULUMI_ROOT": str(pulumi_bin.parent.parent),
        "SAGEMAKER_RECONCILER_ENDPOINT": endpoint.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(REPO / "tests" / "plugin" / "fast_retries"),
    }
    steps = node(node_modules, str(REPO / "examples" / "nodejs" / "inline.js"), str(tmp_path), env=env)
    up, preview, destroy = steps
    name = up["outputs"]["name"]
    assert name.startswith("labelers-") and up["outputs"]["arn"].endswith("/" + name)
    assert preview["changeSummary"] == {"same": 2}
    assert destroy["step"] == "destroy"
    assert boto3.client("sagemaker").list_workteams()["Workteams"] == []
    created = [r for r in endpoint.requests if r.operation == "CreateWorkteam"]
    assert [r.params["Tags"] for r in created] == [[{"Key": "team", "Value": "perception"}]]
