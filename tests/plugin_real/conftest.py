"""The real Pulumi engine running Python programs that use the native plugin (the schema's tokens).

The CLI is the one `.ci/pulumi-cli.sh` builds from the Go module proxy (cached by version).
The plugin reaches the engine the way a user installs it: the tarball ``python -m sagemaker_reconciler
plugin-pack`` writes, installed with ``pulumi plugin install ... --file`` into a private
PULUMI_HOME (ambient plugins on $PATH ignored). Programs are Automation API inline programs
(no language host needed) on a file backend; the plugin talks to the embedded endpoint, with
botocore's retry backoff zeroed in its process (tests/plugin/fast_retries).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from sagemaker_reconciler.plugin.server import plugin_version

REPO = Path(__file__).resolve().parents[2]
FAST_RETRIES = REPO / "tests" / "plugin" / "fast_retries"
PACKAGE = "sagemaker-reconciler"


def pulumi_root() -> Path:
    """Where bin/pulumi is: built (first time) or found in its cache by the project's script."""
    out = subprocess.run(["bash", str(REPO / ".ci" / "pulumi-cli.sh")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    return pulumi_root() / "bin" / "pulumi"


@pytest.fixture(scope="session")
def plugin_tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sagemaker_reconciler.plugin.pack import pack

    return pack(tmp_path_factory.mktemp("dist"))


def base_env(home: Path) -> dict[str, str]:
    return {
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
        "PULUMI_CONFIG_PASSPHRASE": "not-a-secret",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }


@pytest.fixture(scope="session")
def plugin_home(tmp_path_factory: pytest.TempPathFactory, pulumi_bin: Path, plugin_tarball: Path) -> Path:
    """A PULUMI_HOME holding only the packed plugin, installed as a user would."""
    home = tmp_path_factory.mktemp("pulumi-home")
    subprocess.run(
        [str(pulumi_bin), "plugin", "install", "resource", PACKAGE, plugin_version(), "--file", str(plugin_tarball)],
        check=True,
        capture_output=True,
        env={**os.environ, **base_env(home)},
    )
    return home


@dataclass
class Deployment:
    """One stack of an inline program, with the means to change the program between runs."""

    stack: auto.Stack
    program: dict[str, Callable[[], Any]]

    def set_program(self, program: Callable[[], Any]) -> None:
        self.program["main"] = program


@pytest.fixture
def deploy(
    tmp_path: Path, plugin_home: Path, pulumi_bin: Path, endpoint, aws_env
) -> Iterator[Callable[..., Deployment]]:
    """``deploy(program)``: a fresh stack running `program` (swap it later with ``set_program``);
    ``env`` overrides the plugin's environment (credentials, say)."""
    made: list[Deployment] = []

    def start(program: Callable[[], Any], stack_name: str = "dev", env: dict[str, str] | None = None) -> Deployment:
        holder = {"main": program}
        backend = tmp_path / "state"
        backend.mkdir(exist_ok=True)
        env = {
            **base_env(plugin_home),
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONPATH": str(FAST_RETRIES),
            **(env or {}),
        }
        stack = auto.create_or_select_stack(
            stack_name=stack_name,
            project_name="plugin-real",
            program=lambda: holder["main"](),
            opts=auto.LocalWorkspaceOptions(
                work_dir=str(tmp_path),
                pulumi_home=str(plugin_home),
                env_vars=env,
                pulumi_command=auto.PulumiCommand(root=str(pulumi_bin.parent.parent), skip_version_check=True),
                project_settings=auto.ProjectSettings(name="plugin-real", runtime="python"),
            ),
        )
        stack.set_config(f"{PACKAGE}:endpoint", auto.ConfigValue(endpoint.url))
        stack.set_config(f"{PACKAGE}:region", auto.ConfigValue("us-east-1"))
        deployment = Deployment(stack, holder)
        made.append(deployment)
        return deployment

    yield start
    for deployment in made:
        try:
            deployment.stack.destroy()
        except auto.CommandError:
            pass
