"""mode: local end to end: the CompilationJob resource compiles with TVM and gives cloud mode's outputs."""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import boto3
import pytest

from sagemaker_reconciler import CompilationJobProvider
from sagemaker_reconciler.errors import MissingExtra
from sagemaker_reconciler.plan import Action
from sagemaker_reconciler.reconcile.local_compile import LocalCompiler
from sagemaker_reconciler.resource_types import COMPILATION_JOB
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job

CONVNET_INPUTS = '{"image": [1, 3, 32, 32]}'


def local_job(model_uri: str, output_uri: str, **overrides):
    props = {
        "compilationJobName": "convnet-local",
        "roleArn": "arn:aws:iam::123456789012:role/neo",
        "mode": "local",
        "inputConfig": {"s3Uri": model_uri, "framework": "ONNX", "dataInputConfig": CONVNET_INPUTS},
        "outputConfig": {"s3OutputLocation": output_uri, "targetDevice": "ml_c5"},
    }
    props.update(overrides)
    return props


@pytest.fixture
def no_aws(monkeypatch, tmp_path):
    """No credentials, region, profile or endpoint anywhere: file:// local mode must not need them."""
    import os

    for key in [k for k in os.environ if k.startswith("AWS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def cache(shared_cache, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_RECONCILER_CACHE", str(shared_cache))
    return shared_cache


def test_file_in_file_out_needs_no_aws_and_gives_cloud_outputs(no_aws, cache, convnet_archive, tmp_path):
    lines = []
    compiler = LocalCompiler(progress=lines.append)
    spec = parse_compilation_job(local_job(f"file://{convnet_archive}", f"file://{tmp_path}/out", verify=True))
    outs = compiler.create(spec)
    assert set(COMPILATION_JOB.output_names()) <= set(outs)
    assert outs["status"] == "COMPLETED"
    assert outs["compiledArtifactUri"] == f"file://{tmp_path}/out/convnet-ml_c5.tar.gz"
    artifact = Path(outs["compiledArtifactUri"][len("file://") :])
    with tarfile.open(artifact) as archive:
        assert sorted(archive.getnames()) == ["manifest.json", "model.so"]
        manifest = json.loads(archive.extractfile("manifest.json").read())
    assert [i["name"] for i in manifest["inputs"]] == ["image"] and manifest["target"]["name"] == "ml_c5"
    assert outs["artifactDigest"] == compiler.digest(outs["compiledArtifactUri"])
    assert any("verify against onnxruntime" in line for line in lines)
    assert compiler.plan(spec).action is Action.NOOP


def test_unchanged_content_under_a_new_name_is_a_cache_hit(no_aws, cache, convnet_archive, tmp_path):
    lines = []
    compiler = LocalCompiler(progress=lines.append)
    compiler.create(parse_compilation_job(local_job(f"file://{convnet_archive}", f"file://{tmp_path}/a")))
    lines.clear()
    renamed = local_job(f"file://{convnet_archive}", f"file://{tmp_path}/b", compilationJobName="convnet-again")
    compiler.create(parse_compilation_job(renamed))
    assert any("cache hit" in line for line in lines), lines
    assert not any(": build" in line for line in lines)


def test_stateless_plan_sees_changed_inputs(no_aws, cache, convnet_archive, mlp_archive, tmp_path):
    compiler = LocalCompiler()
    spec = local_job(f"file://{convnet_archive}", f"file://{tmp_path}/out")
    assert compiler.plan(parse_compilation_job(spec)).action is Action.CREATE
    compiler.create(parse_compilation_job(spec))
    renamed = local_job(
        f"file://{mlp_archive}",
        f"file://{tmp_path}/out",
        inputConfig={
            "s3Uri": f"file://{mlp_archive}",
            "framework": "ONNX",
            "dataInputConfig": '{"features": [4, 16], "extra": [1, 32]}',
        },
    )
    assert compiler.plan(parse_compilation_job(renamed)).action is Action.CREATE  # Neo's key: <model>-<target>
    (tmp_path / "v2").mkdir()
    same_name = tmp_path / "v2" / convnet_archive.name  # another model under the same file name
    same_name.write_bytes(mlp_archive.read_bytes())
    other_model = local_job(
        f"file://{same_name}",
        f"file://{tmp_path}/out",
        inputConfig={
            "s3Uri": f"file://{same_name}",
            "framework": "ONNX",
            "dataInputConfig": '{"features": [4, 16], "extra": [1, 32]}',
        },
    )
    plan = compiler.plan(parse_compilation_job(other_model))
    assert plan.action is Action.REPLACE and plan.replaces == ["inputConfig", "inputConfig"]
    tuned = compiler.plan(parse_compilation_job({**spec, "tuningTrials": 8}))
    assert tuned.replaces == ["tuningTrials"]


def test_s3_locations_go_through_the_same_endpoint(endpoint, aws_env, cache, convnet_archive):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="convnet.tar.gz", Body=convnet_archive.read_bytes())
    outs = LocalCompiler().create(
        parse_compilation_job(local_job("s3://models/convnet.tar.gz", "s3://models/compiled"))
    )
    assert outs["compiledArtifactUri"] == "s3://models/compiled/convnet-ml_c5.tar.gz"
    body = s3.get_object(Bucket="models", Key="compiled/convnet-ml_c5.tar.gz")["Body"].read()
    assert body[:2] == b"\x1f\x8b"
    assert endpoint.requests == []  # S3 only: SageMaker never hears of a local job


def test_without_tvm_the_error_names_the_extra(no_aws, cache, convnet_archive, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tvm", None)
    spec = parse_compilation_job(
        local_job(
            f"file://{convnet_archive}",
            f"file://{tmp_path}/out",
            compilationJobName="no-tvm",
            outputConfig={"s3OutputLocation": f"file://{tmp_path}/out", "targetDevice": "ml_m5"},
        )
    )
    with pytest.raises(MissingExtra, match=r"pip install 'sagemaker-reconciler\[local\]'"):
        LocalCompiler(cache_dir=tmp_path / "empty-cache").create(spec)


# --- over the engine protocol -----------------------------------------------------------------


@pytest.fixture
def offline_server(engine_factory, cache, tmp_path):
    import os

    env = {k: None for k in os.environ if k.startswith("AWS_")}
    env.update(HOME=str(tmp_path / "home"), SAGEMAKER_RECONCILER_CACHE=str(cache))
    return engine_factory(env=env)


def test_unservable_targets_and_frameworks_fail_at_check(offline_server, convnet_archive, tmp_path):
    props = local_job(
        f"file://{convnet_archive}",
        f"file://{tmp_path}/out",
        outputConfig={"s3OutputLocation": f"file://{tmp_path}/out", "targetDevice": "ml_inf1"},
        inputConfig={
            "s3Uri": f"file://{convnet_archive}",
            "framework": "TENSORFLOW",
            "dataInputConfig": '{"input": [1, 32, 32, 3]}',
        },
    )
    _, failures = offline_server.check(CompilationJobProvider(), {}, props)
    reasons = dict(failures)
    assert "outputConfig.targetDevice" in reasons and "cloud" in reasons["outputConfig.targetDevice"]


def test_local_job_lifecycle_over_the_engine(offline_server, convnet_archive, tmp_path):
    provider = CompilationJobProvider()
    props = local_job(f"file://{convnet_archive}", f"file://{tmp_path}/out")
    inputs, failures = offline_server.check(provider, {}, props)
    assert failures == []
    job_id, outs = offline_server.create(provider, inputs)
    artifact = Path(outs["compiledArtifactUri"][len("file://") :])
    assert artifact.is_file() and outs["arn"] == "arn:aws:sagemaker:local:000000000000:compilation-job/convnet-local"

    assert offline_server.diff(provider, job_id, outs, props).changes == "DIFF_NONE"
    retarget = offline_server.diff(
        provider,
        job_id,
        outs,
        {**props, "outputConfig": {"s3OutputLocation": f"file://{tmp_path}/out", "targetDevice": "rasp4b"}},
    )
    assert retarget.replaces == ["outputConfig"]
    flag = offline_server.diff(provider, job_id, outs, {**props, "deleteArtifacts": True})
    assert (flag.changes, flag.replaces) == ("DIFF_SOME", [])
    to_cloud = offline_server.diff(
        provider, job_id, outs, local_job("s3://m/convnet.tar.gz", "s3://m/out", mode="cloud")
    )
    assert to_cloud.replaces == ["inputConfig", "mode", "outputConfig"]

    artifact.unlink()
    gone = offline_server.diff(provider, job_id, outs, props)
    assert gone.changes == "DIFF_SOME" and gone.replaces == ["compilationJobName"]
    assert "no longer exists" in offline_server.stderr()
    read_id, _, _ = offline_server.read(provider, job_id, outs)
    assert read_id == ""

    job_id, outs = offline_server.create(provider, {**inputs, "deleteArtifacts": True})
    assert artifact.is_file()
    offline_server.delete(provider, job_id, outs)
    assert not artifact.exists()


def test_gitops_cli_runs_a_local_job(no_aws, cache, convnet_archive, tmp_path, capsys):
    from sagemaker_reconciler.cli import main

    manifest = tmp_path / "stack.yaml"
    job = local_job(f"file://{convnet_archive}", f"file://{tmp_path}/out")
    manifest.write_text(
        f"resources:\n  convnet:\n    type: sagemaker-reconciler:CompilationJob\n    properties: {json.dumps(job)}\n"
    )
    assert main(["plan", str(manifest)]) == 2
    assert main(["apply", str(manifest)]) == 0
    capsys.readouterr()
    assert main(["plan", str(manifest), "--json"]) == 0
    (resource,) = json.loads(capsys.readouterr().out)["resources"]
    assert resource["action"] == "noop"
    assert (tmp_path / "out" / "convnet-ml_c5.tar.gz").is_file()
