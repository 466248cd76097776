"""The packed plugin installs offline into a fresh PULUMI_HOME, and the engine gets schema.json from it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from sagemaker_reconciler.plugin.pack import BINARY
from sagemaker_reconciler.plugin.server import plugin_version

from .conftest import PACKAGE, REPO, base_env


def pulumi(pulumi_bin: Path, home: Path, *args: str) -> str:
    done = subprocess.run(
        [str(pulumi_bin), *args],
        check=False,
        env={**os.environ, **base_env(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_packed_plugin_installs_into_a_fresh_pulumi_home(plugin_home, pulumi_bin):
    (listed,) = json.loads(pulumi(pulumi_bin, plugin_home, "plugin", "ls", "--json"))
    assert (listed["name"], listed["kind"], listed["version"]) == (PACKAGE, "resource", plugin_version())
    launcher = plugin_home / "plugins" / f"resource-{PACKAGE}-v{plugin_version()}" / BINARY
    assert os.access(launcher, os.X_OK)


def test_the_plugin_the_engine_runs_serves_schema_json(plugin_home, pulumi_bin):
    served = json.loads(pulumi(pulumi_bin, plugin_home, "package", "get-schema", f"{PACKAGE}@{plugin_version()}"))
    assert served.pop("version") == plugin_version()
    committed = json.loads((REPO / "schema.json").read_text())
    assert served == committed  # the classes' tokens agree with schema.json: tests/plugin/test_sdk_schema.py
