"""The CLI tooling agrees with itself: one version in the build script, the tests and the SDK pin."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

from .pulumi_env import CLI_VERSION, DYNAMIC_PLUGIN

REPO = Path(__file__).resolve().parents[2]


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.lstrip("v").split("."))


def test_build_script_and_tests_name_the_same_cli_version():
    script = (REPO / ".ci" / "pulumi-cli.sh").read_text()
    assert re.search(r"VERSION=\$\{PULUMI_CLI_VERSION:-(v[\d.]+)\}", script).group(1) == CLI_VERSION


def test_the_sdk_is_never_newer_than_the_cli():
    pin = re.search(r'"pulumi>=[\d.]+,<=([\d.]+)"', (REPO / "pyproject.toml").read_text())
    assert pin, "pyproject.toml must cap the pulumi SDK at the CLI's version"
    assert _numbers(pin.group(1)) <= _numbers(CLI_VERSION)
    assert _numbers(version("pulumi")) <= _numbers(CLI_VERSION)


def test_the_dynamic_provider_plugin_is_ours_and_runs_the_sdk_server():
    plugin = REPO / ".ci" / DYNAMIC_PLUGIN
    assert plugin.stat().st_mode & 0o111, "the engine only runs an executable plugin"
    assert '"${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic' in plugin.read_text()
