"""Hostile model archives: refused by name, nothing written outside, memory bounded (each in a child).

The cases are the ones seen in the wild or in CPython's own advisories: the
gh-135034 symlink chain past PATH_MAX, a hard link through a symlink, duplicate
names, 600 MiB GNU and PAX headers in a small gzip, and gzip bombs at the
default limits. Each runs ``extract_archive`` (the code compile and verify
share) in a child with ``RLIMIT_AS`` set; the chain also runs end to end
through ``sagemaker-reconcile apply``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile import archives
from tests.hostile.child import (
    MEMORY_LIMIT,
    TVM_MEMORY_LIMIT,
    child_env,
    run_case,
    snapshot,
)

MiB = 1 << 20


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A temporary root: ``outer/flag`` is the victim, ``outer/dest`` the extraction directory."""
    (tmp_path / "outer" / "dest").mkdir(parents=True)
    (tmp_path / "outer" / "flag").write_text("original")
    child_env(tmp_path)  # its home, tmp and cache directories exist before the snapshots
    return tmp_path


CASES = {
    "gh-135034 symlink chain": (lambda a, d: archives.gh_135034_chain(a, d), "model archive member 'a': symlink"),
    "hard link through a symlink": (
        lambda a, d: archives.hardlink_through_symlink(a),
        "model archive member 'up': symlink",
    ),
    "duplicate names": (
        lambda a, d: archives.duplicate_names(a),
        "model archive member 'model/./model.onnx': a second member with the same name",
    ),
    "600 MiB GNU long name": (
        lambda a, d: archives.huge_gnu_long_name(a),
        "model archive member 1: a GNU long-name header of 629145600 bytes",
    ),
    "600 MiB PAX header": (
        lambda a, d: archives.huge_pax_header(a),
        "model archive member 1: a PAX header of 629145600 bytes",
    ),
    "gzip bomb at default limits": (
        lambda a, d: archives.gzip_bomb(a),
        "model archive member 'model.onnx': the archive expands more than 200x",
    ),
    "member over the total size": (
        lambda a, d: archives.oversized_member(a),
        "model archive member 'weights.bin': the archive expands to more than",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_archive_is_refused_naming_the_member_in_bounded_memory(case, root):
    build, reason = CASES[case]
    dest = root / "outer" / "dest"
    archive = build(root / "model.tar.gz", dest)
    assert archive.stat().st_size < 4 * MiB  # small on disk, whatever it claims to hold
    before = snapshot(root, skip=(dest,))
    outcome = run_case(f"archive: {case}", "extract", [str(archive), str(dest)], root)
    outcome.assert_refused(f"UnsafeArchive: {reason}")
    assert snapshot(root, skip=(dest,)) == before  # the flag is intact and nothing new appeared outside
    assert list(dest.iterdir()) == []  # what was written before the refusal is gone too
    assert outcome.peak_kib * 1024 < MEMORY_LIMIT


def test_the_gh_135034_chain_through_sagemaker_reconcile_apply_is_refused_and_writes_nothing_outside(root):
    (root / "models").mkdir()
    # sized for where the compile extracts: <TMPDIR>/local-compile-XXXXXXXX/model
    archive = archives.gh_135034_chain(
        root / "models" / "model.tar.gz", root / "tmp" / "local-compile-xxxxxxxx" / "model"
    )
    manifest = root / "stack.yaml"
    manifest.write_text(
        json.dumps(
            {
                "resources": {
                    "job": {
                        "type": "sagemaker-reconciler:CompilationJob",
                        "properties": {
                            "compilationJobName": "chain",
                            "roleArn": "arn:aws:iam::123456789012:role/unused",
                            "mode": "local",
                            "inputConfig": {
                                "s3Uri": f"file://{archive}",
                                "framework": "ONNX",
                                "dataInputConfig": '{"data": [1, 3, 8, 8]}',
                            },
                            "outputConfig": {"s3OutputLocation": f"file://{root / 'out'}", "targetDevice": "ml_c5"},
                        },
                    }
                }
            }
        )
    )
    env = child_env(root)
    before = snapshot(root, skip=(root / "tmp", root / "cache"))
    outcome = run_case(
        "apply: gh-135034 symlink chain", "cli", ["apply", str(manifest)], root, limit=TVM_MEMORY_LIMIT, env=env
    )
    outcome.assert_refused("model archive member 'a': symlink")
    after = snapshot(root, skip=(root / "tmp", root / "cache"))
    assert after == before
    assert not [p for p in root.rglob("*") if p.name in ("newfile", "flaglink")]
    assert not list((root / "tmp").iterdir())  # the compile's temp dir is gone with everything in it
