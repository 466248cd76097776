"""Hostile manifests through the real CLI in a child: one ``error:`` line of reason, exit 1, no traceback, bounded memory.

Alias bombs (a 663-byte manifest once took 26 s and 1.8 GB), merge-key bombs,
self-referencing anchors, invalid UTF-8, devices, FIFOs, directories and
oversized files. None needs AWS: each is refused before any call.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile.child import child_env, run_case, snapshot

TEAM = (
    "resources:\n  team:\n    type: sagemaker-reconciler:Workteam\n    properties:\n"
    "      workteamName: team-a\n      description: {value}\n      memberDefinitions:\n"
    "        - cognitoMemberDefinition: {{userPool: us-east-1_AbCdEf123, userGroup: g, clientId: c}}\n"
)


def alias_bomb(depth: int, width: int) -> str:
    """Anchors `depth` deep, each level `width` aliases of the one below: width**depth values."""
    lines = ["x0: &a0 [lol]"]
    lines += [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth + 1)]
    return "\n".join(lines) + "\n" + TEAM.format(value=f"*a{depth}")


def merge_bomb(depth: int, width: int) -> str:
    """The same through ``<<:`` merge keys, which PyYAML flattens into each mapping."""
    lines = ["m0: &m0 {k: v}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * width)}], k{i}: v}}" for i in range(1, depth + 1)]
    return "\n".join(lines) + "\n" + TEAM.format(value=f"*m{depth}")


BOMBS = {
    "aliases 7x10": alias_bomb(7, 10),
    "aliases 8x10": alias_bomb(8, 10),
    "aliases 9x10": alias_bomb(9, 10),
    "aliases 40x2": alias_bomb(40, 2),
    "aliases 5x200": alias_bomb(5, 200),
    "merge keys 12x10": merge_bomb(12, 10),
}


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_an_alias_bomb_is_refused_in_bounded_memory(case, tmp_path):
    manifest = tmp_path / "stack.yaml"
    manifest.write_text(BOMBS[case])
    assert len(BOMBS[case]) < 8192  # a few KB at most
    env = child_env(tmp_path)
    before = snapshot(tmp_path)
    outcome = run_case(f"manifest: {case}", "cli", ["plan", str(manifest)], tmp_path, env=env, timeout=60)
    outcome.assert_refused("the document expands to more than 50000 values")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_an_alias_bomb_on_standard_input_is_refused_in_every_format(fmt, tmp_path):
    outcome = run_case(
        f"stdin alias bomb ({fmt})", "cli", ["plan", "-", "--format", fmt], tmp_path, stdin=alias_bomb(9, 10).encode()
    )
    outcome.assert_refused("expands to more than 50000 values", "stdin")


def test_a_self_referencing_anchor_is_refused(tmp_path):
    manifest = tmp_path / "stack.yaml"
    manifest.write_text("loop: &loop [*loop]\n" + TEAM.format(value="*loop"))
    run_case("manifest: self-reference", "cli", ["plan", str(manifest)], tmp_path).assert_refused(
        "an alias refers to a value that contains it"
    )


def test_deep_nesting_is_refused(tmp_path):
    manifest = tmp_path / "stack.yaml"
    manifest.write_text(TEAM.format(value="[" * 100_000 + "]" * 100_000))
    run_case("manifest: 100000 levels", "cli", ["plan", str(manifest)], tmp_path).assert_refused(
        "nested more than 64 levels deep"
    )


def test_invalid_utf8_names_the_file_and_the_byte(tmp_path):
    manifest = tmp_path / "stack.yaml"
    manifest.write_bytes(TEAM.format(value="caf\xe9").encode("latin-1"))
    outcome = run_case("manifest: invalid UTF-8", "cli", ["plan", str(manifest)], tmp_path)
    outcome.assert_refused(str(manifest), "is not UTF-8 text (byte 0xe9 at offset", "line 6")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_device_is_not_read(fmt, tmp_path):
    outcome = run_case(
        f"manifest: /dev/zero ({fmt})", "cli", ["plan", "/dev/zero", "--format", fmt], tmp_path, timeout=60
    )
    outcome.assert_refused("/dev/zero", "is a device, FIFO or socket, not a regular file")


def test_a_fifo_is_not_waited_on(tmp_path):
    fifo = tmp_path / "stack.yaml"
    os.mkfifo(fifo)
    outcome = run_case("manifest: FIFO", "cli", ["plan", str(fifo)], tmp_path, timeout=60)
    outcome.assert_refused("is a device, FIFO or socket, not a regular file")


def test_a_directory_is_named(tmp_path):
    outcome = run_case("manifest: directory", "cli", ["plan", str(tmp_path)], tmp_path)
    outcome.assert_refused("is a directory, not a regular file")


def test_an_oversized_manifest_is_refused_without_parsing(tmp_path: Path):
    manifest = tmp_path / "stack.yaml"
    manifest.write_text(TEAM.format(value="x" * (3 << 20)))
    outcome = run_case("manifest: 3 MiB", "cli", ["plan", str(manifest)], tmp_path)
    outcome.assert_refused("is larger than 1048576 bytes")


def test_a_manifest_with_too_many_values_is_refused(tmp_path: Path):
    manifest = tmp_path / "stack.yaml"
    manifest.write_text(TEAM.format(value="[" + ",".join(["1"] * 60_000) + "]"))
    outcome = run_case("manifest: 60000 values", "cli", ["plan", str(manifest)], tmp_path)
    outcome.assert_refused("the document has more than 50000 values")
