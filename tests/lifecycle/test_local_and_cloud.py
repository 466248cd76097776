"""Items 9 and 10: local and cloud outputs interchangeable; a new model at the same file:// path is noticed
by the Pulumi provider by the same rule the CLI uses. No TVM needed: the published artifact is planted."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from datetime import datetime
from pathlib import Path

import pytest

from sagemaker_reconciler import CompilationJobProvider
from sagemaker_reconciler.endpoint.compilation_artifacts import (
    artifact_key,
    model_stem,
    target_name,
)
from sagemaker_reconciler.plan import Action
from sagemaker_reconciler.reconcile.local_compile import (
    LocalCompiler,
    artifact_digest,
    local_artifact_uri,
)
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from tests.engine.conftest import engine_factory  # noqa: F401
from tests.unit.test_compilation_job_spec import job

SHAPES = '{"data": [1, 3, 224, 224]}'
CLOUD_ARN = r"arn:aws:sagemaker:[a-z0-9-]+:\d{12}:compilation-job/[A-Za-z0-9-]+"


def local_props(tmp_path: Path, **overrides):
    fields = {
        "mode": "local",
        "inputConfig": {"s3Uri": f"file://{tmp_path}/resnet.tar.gz", "framework": "ONNX", "dataInputConfig": SHAPES},
        "outputConfig": {"s3OutputLocation": f"file://{tmp_path}/out", "targetDevice": "ml_c5"},
    }
    return job(**{**fields, **overrides})


def publish(tmp_path: Path, spec) -> tuple[str, str]:
    """What a local compile publishes, minus model.so: the manifest the plan reads."""
    model = (tmp_path / "resnet.tar.gz").read_bytes()
    manifest = {
        "framework": "ONNX",
        "inputs": [{"name": "data", "shape": [1, 3, 224, 224], "dtype": "float32"}],
        "tuning": {"trials_requested": 0},
        "source_model_digest": "sha256:" + hashlib.sha256(model).hexdigest(),
    }
    payload = json.dumps(manifest).encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("manifest.json")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    uri = local_artifact_uri(spec)
    path = Path(uri[len("file://") :])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return uri, artifact_digest(buffer.getvalue())


@pytest.fixture
def offline(engine_factory, tmp_path):  # noqa: F811
    (tmp_path / "resnet.tar.gz").write_bytes(b"model v1")
    return engine_factory(
        env={
            "AWS_ACCESS_KEY_ID": None,
            "AWS_SECRET_ACCESS_KEY": None,
            "AWS_DEFAULT_REGION": None,
            "AWS_REGION": None,
            "AWS_ENDPOINT_URL": None,
            "AWS_PROFILE": None,
        }
    )


def test_local_outputs_have_the_cloud_outputs_formats(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    (tmp_path / "resnet.tar.gz").write_bytes(b"model v1")
    spec = parse_compilation_job(local_props(tmp_path))
    uri, digest = publish(tmp_path, spec)
    outs = LocalCompiler().published_outputs(spec)  # what a CLI no-op apply prints
    assert re.fullmatch(CLOUD_ARN, outs["arn"]) and outs["arn"].endswith(":compilation-job/resnet-ml-c5")
    assert ":eu-west-1:" in outs["arn"]
    assert re.fullmatch(r"[0-9a-f]{128}", outs["artifactDigest"]) and outs["artifactDigest"] == digest
    for key in ("creationTime", "compilationStartTime", "compilationEndTime"):
        assert datetime.fromisoformat(outs[key]).utcoffset() is not None, key  # never empty, zone-aware
    # The key layout is Neo's: the endpoint (which writes what Neo writes) names the artifact the same way.
    cloud = artifact_key("out", model_stem(spec.input_config.s3_uri), target_name({"TargetDevice": "ml_c5"}))
    assert uri == f"file://{tmp_path}/{cloud}"


def test_platform_targets_use_neos_lowercase_platform_name(tmp_path):
    props = local_props(
        tmp_path,
        outputConfig={"s3OutputLocation": f"file://{tmp_path}/out", "targetPlatform": {"os": "LINUX", "arch": "ARM64"}},
    )
    spec = parse_compilation_job(props)
    expected = target_name({"TargetPlatform": {"Os": "LINUX", "Arch": "ARM64"}})
    assert local_artifact_uri(spec) == f"file://{tmp_path}/out/resnet-{expected}.tar.gz"


def test_pulumi_notices_a_new_model_at_the_same_path_as_the_cli_does(offline, tmp_path):
    props = local_props(tmp_path)
    spec = parse_compilation_job(props)
    uri, digest = publish(tmp_path, spec)
    outs = {**LocalCompiler().published_outputs(spec), "compiledArtifactUri": uri, "artifactDigest": digest}
    provider = CompilationJobProvider()
    assert offline.diff(provider, "resnet-ml-c5", outs, props).changes == "DIFF_NONE"
    assert LocalCompiler().plan(spec).action is Action.NOOP

    (tmp_path / "resnet.tar.gz").write_bytes(b"model v2, retrained")  # same path, new model

    diff = offline.diff(provider, "resnet-ml-c5", outs, props)
    assert diff.changes == "DIFF_SOME" and diff.replaces == ["compilationJobName"]
    assert f"the model at file://{tmp_path}/resnet.tar.gz is not the one" in offline.stderr()
    cli = LocalCompiler().plan(spec)
    assert cli.action is Action.REPLACE and cli.notes == tuple(LocalCompiler.reasons(cli))
    assert any(f"the model at file://{tmp_path}/resnet.tar.gz is not the one" in n for n in cli.notes)


def test_state_from_before_the_blake2_digest_is_not_a_change(offline, tmp_path):
    props = local_props(tmp_path)
    spec = parse_compilation_job(props)
    uri, _ = publish(tmp_path, spec)
    old_digest = "sha256:" + hashlib.sha256(Path(uri[len("file://") :]).read_bytes()).hexdigest()
    outs = {**LocalCompiler().published_outputs(spec), "artifactDigest": old_digest}
    assert offline.diff(CompilationJobProvider(), "resnet-ml-c5", outs, props).changes == "DIFF_NONE"


def test_deleting_a_local_job_keeps_an_artifact_another_compile_published_since(offline, tmp_path):
    props = local_props(tmp_path, deleteArtifacts=True)
    spec = parse_compilation_job(props)
    uri, digest = publish(tmp_path, spec)
    outs = {**LocalCompiler().published_outputs(spec), "artifactDigest": digest}
    path = Path(uri[len("file://") :])
    path.write_bytes(path.read_bytes() + b"\0")  # the replacement's artifact, at the same key
    offline.delete(CompilationJobProvider(), "resnet-ml-c5", outs)
    assert path.is_file() and "kept" in offline.stderr()
    outs["artifactDigest"] = artifact_digest(path.read_bytes())
    offline.delete(CompilationJobProvider(), "resnet-ml-c5", outs)
    assert not path.exists()
