"""Every program in examples/ run end to end against the embedded endpoint, without the Pulumi CLI.

Each example goes preview -> up -> up again -> preview again -> destroy through the bridge
(tests/examples/bridge.py), which drives the real dynamic providers over real HTTP. The first
preview must make no SageMaker call, the second up and preview must find nothing to change,
and the exports must describe resources that exist.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
import yaml
from pulumi.output import Unknown

from sagemaker_reconciler.errors import TerminalState

from .bridge import BridgedStack, BridgeError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_DIRS = sorted(path.parent.name for path in EXAMPLES.glob("*/__main__.py"))
MODEL_URI = "s3://models/resnet.tar.gz"
WORKTEAM = "pulumi-python:dynamic/sagemaker:Workteam::labelers"
JOB = "pulumi-python:dynamic/sagemaker:CompilationJob::resnet"


def tiny_model_archive(data: bytes = b"\x08\x07tiny onnx stand-in") -> bytes:
    """A real .tar.gz holding a few bytes named like an ONNX model: all the endpoint's 'compiler' reads."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("model.onnx")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def model(endpoint, aws_env, monkeypatch, tmp_path) -> str:
    """The model the compile examples default to, in the endpoint's S3; returns its sha256."""
    monkeypatch.setenv("SAGEMAKER_RECONCILER_CACHE", str(tmp_path / "compile-cache"))
    body = tiny_model_archive()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=body)
    endpoint.set_compilation_timing(starting_seconds=0.05, compiling_seconds=0.1)
    return hashlib.sha256(body).hexdigest()


def artifact_manifest(uri: str) -> dict:
    """The manifest inside a compiled artifact: fails if the object is not in the endpoint's S3."""
    bucket, key = re.fullmatch(r"s3://([^/]+)/(.+)", uri).groups()
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        return json.load(archive.extractfile("manifest.json"))


# --- what each example's exports must say -----------------------------------------------------------


def check_workteam(exports: dict, model_sha: str) -> None:
    assert re.fullmatch(
        r"arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/labelers-[0-9a-f]{7}", exports["arn"]
    )
    assert exports["subdomain"].endswith(".labeling.us-east-1.sagemaker.aws")
    name = exports["arn"].rsplit("/", 1)[1]
    team = boto3.client("sagemaker").describe_workteam(WorkteamName=name)["Workteam"]
    assert team["SubDomain"] == exports["subdomain"]
    assert team["NotificationConfiguration"]["NotificationTopicArn"] == exports["topic_arn"]
    topics = boto3.client("sns").list_topics()["Topics"]
    assert {"TopicArn": exports["topic_arn"]} in topics


def check_compilation_job(exports: dict, model_sha: str) -> None:
    assert re.fullmatch(r"resnet-[0-9a-f]{7}", exports["job_name"])
    assert exports["artifact_uri"] == "s3://models/compiled/resnet-ml_c5.tar.gz"
    manifest = artifact_manifest(exports["artifact_uri"])
    assert manifest["CompilationJobName"] == exports["job_name"]
    assert manifest["Target"] == "ml_c5" and manifest["InputModelSha256"] == model_sha


def check_pipeline(exports: dict, model_sha: str) -> None:
    artifacts = exports["artifacts"]
    assert set(artifacts) == {"ml_c5", "rasp4b", "jetson_nano"}
    for target, uri in artifacts.items():
        assert uri == f"s3://models/compiled/resnet-{target}.tar.gz"
        manifest = artifact_manifest(uri)
        assert manifest["Target"] == target and manifest["InputModelSha256"] == model_sha


def check_local_compile(exports: dict, model_sha: str) -> None:
    """TVM artifacts on disk: a loadable library and a manifest naming the target, digests matching."""
    assert set(exports["artifacts"]) == {"ml_c5", "rasp4b"}
    for target, uri in exports["artifacts"].items():
        assert re.fullmatch(rf"file://.+/build/compiled/tiny-cnn-{target}.tar.gz", uri)  # Neo's key layout
        path = Path(uri[len("file://") :])
        assert exports["digests"][target] == hashlib.blake2b(path.read_bytes()).hexdigest()  # ModelDigests' form
        with tarfile.open(path) as archive:
            assert sorted(archive.getnames()) == ["manifest.json", "model.so"]
            assert json.load(archive.extractfile("manifest.json"))["target"]["name"] == target


CHECKS: dict[str, Callable[[dict, str], None]] = {
    "local-compile": check_local_compile,
    "workteam": check_workteam,
    "compilation-job": check_compilation_job,
    "pipeline": check_pipeline,
}


def unknown_leaves(value) -> list:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in unknown_leaves(v)]
    return [value] if isinstance(value, Unknown) else []


# --- the tests --------------------------------------------------------------------------------------


def test_examples_are_found():
    assert {"workteam", "compilation-job", "pipeline"} <= set(EXAMPLE_DIRS)


@pytest.mark.parametrize("name", EXAMPLE_DIRS)
def test_example_is_a_pulumi_python_project(name):
    project = yaml.safe_load((EXAMPLES / name / "Pulumi.yaml").read_text())
    assert project["name"] and project["description"]
    runtime = project["runtime"]
    assert (runtime["name"] if isinstance(runtime, dict) else runtime) == "python"
    requirements = (EXAMPLES / name / "requirements.txt").read_text().split()
    assert any(line.startswith("sagemaker-reconciler") for line in requirements)
    assert f"`{name}/`" in (EXAMPLES / "README.md").read_text()


NEEDS_TVM = {"local-compile"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.local) if n in NEEDS_TVM else n for n in EXAMPLE_DIRS]
)
def test_example_runs_end_to_end(name, endpoint, model):
    assert name in CHECKS, f"add export checks for examples/{name} to CHECKS"
    stack = BridgedStack(EXAMPLES / name)

    preview = stack.preview()
    assert set(preview.steps.values()) == {"create"}
    assert preview.exports.keys() and unknown_leaves(preview.exports)  # outputs are not known before up
    assert endpoint.requests == []  # check is pure: a preview of new resources calls nothing

    first = stack.up()
    assert first.steps == preview.steps
    CHECKS[name](first.exports, model)

    again = stack.up()
    assert again.changes == {} and again.exports == first.exports
    assert stack.preview().changes == {}

    assert set(stack.destroy().values()) == {"delete"} and stack.state == {}
    sagemaker = boto3.client("sagemaker")
    assert sagemaker.list_workteams()["Workteams"] == []
    assert sagemaker.list_compilation_jobs()["CompilationJobSummaries"] == []


def test_workteam_preview_checks_a_topic_arn_not_known_yet(endpoint, aws_env):
    preview = BridgedStack(EXAMPLES / "workteam").preview()
    inputs = preview.inputs[WORKTEAM]
    assert isinstance(inputs["notificationConfiguration"]["notificationTopicArn"], Unknown)
    assert re.fullmatch(r"labelers-[0-9a-f]{7}", inputs["workteamName"])


def test_workteam_edit_previews_as_an_in_place_update(endpoint, aws_env):
    stack = BridgedStack(EXAMPLES / "workteam")
    team_arn = stack.up().exports["arn"]
    stack.config["workteam:description"] = "Labels street scenes at night"
    edit = stack.preview()
    assert edit.changes == {WORKTEAM: "update"}
    assert isinstance(edit.exports["arn"], Unknown)  # a dynamic provider cannot preview an update's outputs
    with pytest.raises(BridgeError, match="would update"):
        stack.up()  # the bridge stops where the real engine would call update
    assert stack.state[WORKTEAM].outputs["arn"] == team_arn  # state is kept as it was


def test_compilation_job_takes_model_and_target_from_config(endpoint, model):
    body = tiny_model_archive(b"another model")
    boto3.client("s3").put_object(Bucket="models", Key="mobilenet.tar.gz", Body=body)
    stack = BridgedStack(
        EXAMPLES / "compilation-job", config={"modelUri": "s3://models/mobilenet.tar.gz", "targetDevice": "rasp4b"}
    )
    uri = stack.up().exports["artifact_uri"]
    assert uri == "s3://models/compiled/mobilenet-rasp4b.tar.gz"
    assert artifact_manifest(uri)["InputModelSha256"] == hashlib.sha256(body).hexdigest()
    stack.config["compilation-job:targetDevice"] = "jetson_nano"
    assert stack.preview().changes == {JOB: "replace"}


def test_a_failed_job_fails_the_up_and_the_rest_stays_in_state(endpoint, model):
    endpoint.fail_compilation_job("ClientError: CompilationError: unsupported operator in the model")
    stack = BridgedStack(EXAMPLES / "pipeline")
    with pytest.raises(TerminalState, match="ended FAILED: .*unsupported operator"):
        stack.up()
    assert len(stack.state) == 2  # the two jobs that completed, as a checkpoint would keep them
    retry = stack.up()  # the failed job is created again; the others are unchanged
    assert sorted(retry.steps.values()) == ["create", "same", "same"]
    check_pipeline(retry.exports, model)
