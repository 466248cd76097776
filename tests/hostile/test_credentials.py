"""A credential_process that fails and prints its secret: the CLI says which source failed, never what it printed."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest

from tests.hostile.child import child_env, run_case

MANIFEST = (
    "resources:\n  team:\n    type: sagemaker-reconciler:Workteam\n    properties:\n"
    "      workteamName: team-a\n      description: Labels street scenes\n      memberDefinitions:\n"
    "        - cognitoMemberDefinition: {userPool: us-east-1_AbCdEf123, userGroup: g, clientId: c}\n"
)

SCRIPTS = {
    # fails, with the secret on stderr (botocore puts stderr into its error message)
    "stderr": "import sys; sys.stderr.write('token refresh failed for {secret}\\n'); sys.exit(1)",
    # succeeds with a document whose Version is the secret (botocore echoes an unsupported version)
    "version": 'print(\'{{"Version": "{secret}"}}\')',
}


@pytest.mark.parametrize("leak", sorted(SCRIPTS))
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_failing_credential_process_is_summarised_not_echoed(leak, fmt, tmp_path: Path):
    secret = "wJalrXUtnFEMI/" + secrets.token_hex(16)
    script = tmp_path / "creds.py"
    script.write_text(SCRIPTS[leak].format(secret=secret))
    config = tmp_path / "config"
    config.write_text(f"[profile leaky]\ncredential_process = {sys.executable} {script}\nregion = us-east-1\n")
    manifest = tmp_path / "stack.yaml"
    manifest.write_text(MANIFEST)
    env = child_env(tmp_path, AWS_CONFIG_FILE=str(config), AWS_PROFILE="leaky")
    outcome = run_case(
        f"credential_process leak ({leak}, {fmt})",
        "cli",
        ["plan", str(manifest), "--format", fmt, "--endpoint", "http://127.0.0.1:9"],
        tmp_path,
        env=env,
    )
    outcome.assert_refused("AWS credentials could not be loaded from custom-process")
    assert secret not in outcome.text and secret[:16] not in outcome.text
