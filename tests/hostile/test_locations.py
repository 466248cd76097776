"""file:// locations: parsed as URIs (a host part is an error), no system directory, and the artifact is never
written through a symlink out of the chosen output directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sagemaker_reconciler.errors import ConfigError
from sagemaker_reconciler.local_files import copy_model, publish_file, remove_published
from tests.hostile.child import child_env, run_case, snapshot, write_local_job


def _plan(root: Path, model: str, output: str, name: str):
    manifest = write_local_job(root, model, output)
    child_env(root)
    return run_case(name, "cli", ["plan", str(manifest)], root)


REFUSED = {
    "file:///": ("outputConfig.s3OutputLocation", "the root directory is not an output location"),
    "file:////": ("outputConfig.s3OutputLocation", "the root directory is not an output location"),
    "file:///etc": ("outputConfig.s3OutputLocation", "/etc is a system directory"),
    "file:///proc/self": ("outputConfig.s3OutputLocation", "/proc is a system directory"),
    "file:///tmp/../usr/lib": ("outputConfig.s3OutputLocation", "/usr is a system directory"),
    "file://server/share/out": (
        "outputConfig.s3OutputLocation",
        "file:// locations take no host part (found 'server')",
    ),
    "file://localhost/tmp/out": ("outputConfig.s3OutputLocation", "file:// locations take no host part"),
    "file://": ("outputConfig.s3OutputLocation", "file:// needs a path"),
}


@pytest.mark.parametrize("output", sorted(REFUSED))
def test_an_output_location_that_is_not_allowed_is_a_manifest_error_before_anything_runs(output, tmp_path):
    field, reason = REFUSED[output]
    child_env(tmp_path)
    before = snapshot(tmp_path)
    outcome = _plan(tmp_path, f"file://{tmp_path}/m.tar.gz", output, f"location: {output}")
    outcome.assert_refused(f"resources.job.properties.{field}: {reason}")
    assert snapshot(tmp_path, skip=(tmp_path / "stack.yaml",)) == before  # nothing made, nothing read


@pytest.mark.parametrize(
    "model", ["file:///proc/self/fd/0.tar.gz", "file:///dev/zero.tar.gz", "file://models/m.tar.gz"]
)
def test_a_model_location_that_is_not_allowed_is_a_manifest_error(model, tmp_path):
    outcome = _plan(tmp_path, model, f"file://{tmp_path}/out", f"model location: {model}")
    outcome.assert_refused("resources.job.properties.inputConfig.s3Uri: ")


def test_a_model_that_is_a_link_to_a_device_is_never_read(tmp_path):
    link = tmp_path / "m.tar.gz"
    link.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match="/dev is a kernel pseudo-file system"):
        copy_model(f"file://{link}", tmp_path / "copy")
    fifo = tmp_path / "fifo.tar.gz"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        copy_model(f"file://{fifo}", tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_relative_locations_are_the_working_directory_s(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.tar.gz").write_bytes(b"model")
    copy_model("file://./models/m.tar.gz", tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == b"model"


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "build" / "model-ml_c5.tar.gz"
    path.parent.mkdir()
    path.write_bytes(b"artifact")
    return path


def test_a_symlinked_job_directory_is_refused_not_followed(tmp_path, artifact):
    outside, out = tmp_path / "outside", tmp_path / "out"
    outside.mkdir()
    out.mkdir()
    (out / "tiny").symlink_to(outside)
    with pytest.raises(ConfigError, match="is a symlink or not a directory"):
        publish_file(artifact, f"file://{out}", "tiny/model-ml_c5.tar.gz")
    remove_published(f"file://{out}", "tiny/model-ml_c5.tar.gz")
    assert list(outside.iterdir()) == []


def test_a_symlink_planted_at_the_artifact_name_is_replaced_not_written_through(tmp_path, artifact):
    victim, out = tmp_path / "victim", tmp_path / "out"
    victim.write_text("precious")
    (out / "tiny").mkdir(parents=True)
    (out / "tiny" / "model-ml_c5.tar.gz").symlink_to(victim)
    (out / "tiny" / "model-ml_c5.tar.gz.partial").symlink_to(victim)
    publish_file(artifact, f"file://{out}", "tiny/model-ml_c5.tar.gz")
    published = out / "tiny" / "model-ml_c5.tar.gz"
    assert not published.is_symlink() and published.read_bytes() == b"artifact"
    assert victim.read_text() == "precious"
    (out / "tiny" / "model-ml_c5.tar.gz").unlink()
    (out / "tiny" / "model-ml_c5.tar.gz").symlink_to(victim)
    remove_published(f"file://{out}", "tiny/model-ml_c5.tar.gz")
    assert victim.read_text() == "precious" and not published.exists()


def test_an_output_directory_that_is_a_link_into_a_system_directory_is_refused(tmp_path, artifact):
    (tmp_path / "out").symlink_to("/etc")
    with pytest.raises(ConfigError, match="/etc is a system directory"):
        publish_file(artifact, f"file://{tmp_path / 'out'}", "tiny/model-ml_c5.tar.gz")
