"""Compilation jobs on the embedded endpoint through unmodified boto3 over real HTTP.

Time is the endpoint's: most tests give jobs long phases and move the clock
with ``advance_clock()`` instead of sleeping; one test lets the default timing
run in real time.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sagemaker_reconciler.endpoint import EmbeddedEndpoint, start_endpoint
from sagemaker_reconciler.endpoint.exceptions import ValidationException

from .conftest import Client, ClientFactory

ROLE = "arn:aws:iam::123456789012:role/neo"
BUCKET = "models"
MODEL_KEY = "trained/resnet50.tar.gz"
MODEL_URI = f"s3://{BUCKET}/{MODEL_KEY}"
OUTPUT = f"s3://{BUCKET}/compiled"
# Long phases: nothing moves unless a test advances the clock.
STARTING, COMPILING, STOPPING = 10.0, 60.0, 5.0


def model_archive() -> bytes:
    payload = b"pretend weights"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        info = tarfile.TarInfo("model.onnx")
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


MODEL = model_archive()


@pytest.fixture
def s3(client: ClientFactory) -> Client:
    """The endpoint's S3 with the bucket and the trained model every job reads."""
    s3 = client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=MODEL_KEY, Body=MODEL)
    return s3


@pytest.fixture
def slow_jobs(endpoint: EmbeddedEndpoint) -> EmbeddedEndpoint:
    """Jobs that stay in each phase until the test advances the clock."""
    endpoint.set_compilation_timing(starting_seconds=STARTING, compiling_seconds=COMPILING, stopping_seconds=STOPPING)
    return endpoint


def create(sagemaker: Client, name: str = "compile-a", **overrides: Any) -> str:
    """Create a PyTorch job for ml_c5 from the shared model; an override of None leaves that member out."""
    params: dict[str, Any] = {
        "CompilationJobName": name,
        "RoleArn": ROLE,
        "InputConfig": {"S3Uri": MODEL_URI, "DataInputConfig": '{"input0": [1, 3, 224, 224]}', "Framework": "PYTORCH"},
        "OutputConfig": {"S3OutputLocation": OUTPUT, "TargetDevice": "ml_c5"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
        **overrides,
    }
    sent = {member: value for member, value in params.items() if value is not None}
    arn: str = sagemaker.create_compilation_job(**sent)["CompilationJobArn"]
    return arn


def describe(sagemaker: Client, name: str = "compile-a") -> dict[str, Any]:
    job: dict[str, Any] = sagemaker.describe_compilation_job(CompilationJobName=name)
    return job


def status(sagemaker: Client, name: str = "compile-a") -> str:
    return str(describe(sagemaker, name)["CompilationJobStatus"])


def seconds_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds()


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call(**params)
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def manifest_of(artifact: bytes) -> dict[str, Any]:
    with tarfile.open(fileobj=io.BytesIO(artifact), mode="r:gz") as archive:
        assert archive.getnames() == ["manifest.json"]
        member = archive.extractfile("manifest.json")
        assert member is not None
        manifest: dict[str, Any] = json.loads(member.read())
        return manifest


# --- the life cycle ----------------------------------------------------------------------------


def test_create_starting_inprogress_completed_writes_the_artifact(
    sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint
) -> None:
    arn = create(sagemaker)
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:compilation-job/compile-a"

    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "STARTING"
    assert job["CompilationJobArn"] == arn
    assert job["RoleArn"] == ROLE
    assert job["InputConfig"]["S3Uri"] == MODEL_URI
    assert job["OutputConfig"] == {"S3OutputLocation": OUTPUT, "TargetDevice": "ml_c5"}
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 900}
    assert job["LastModifiedTime"] == job["CreationTime"]
    for not_yet in ("CompilationStartTime", "CompilationEndTime", "ModelDigests", "InferenceImage"):
        assert not_yet not in job
    # required by botocore's model, so present from the start, empty until they mean something
    assert job["FailureReason"] == "" and job["ModelArtifacts"] == {"S3ModelArtifacts": ""}

    slow_jobs.advance_clock(STARTING)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "INPROGRESS"
    assert seconds_between(job["CreationTime"], job["CompilationStartTime"]) == pytest.approx(STARTING, abs=1e-3)
    assert job["LastModifiedTime"] == job["CompilationStartTime"]
    assert "CompilationEndTime" not in job and job["ModelArtifacts"] == {"S3ModelArtifacts": ""}
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="compiled/"), "nothing written yet"

    slow_jobs.advance_clock(COMPILING)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "COMPLETED"
    assert seconds_between(job["CompilationStartTime"], job["CompilationEndTime"]) == pytest.approx(COMPILING, abs=1e-3)
    assert job["LastModifiedTime"] == job["CompilationEndTime"]
    assert job["FailureReason"] == ""
    assert job["ModelArtifacts"] == {"S3ModelArtifacts": f"s3://{BUCKET}/compiled/resnet50-ml_c5.tar.gz"}
    image = "785573368785.dkr.ecr.us-east-1.amazonaws.com/sagemaker-inference-pytorch:1.8-cpu-py3"
    assert job["InferenceImage"] == image

    artifact = s3.get_object(Bucket=BUCKET, Key="compiled/resnet50-ml_c5.tar.gz")["Body"].read()
    assert job["ModelDigests"] == {"ArtifactDigest": hashlib.blake2b(artifact).hexdigest()}
    manifest = manifest_of(artifact)
    assert manifest["CompilationJobName"] == "compile-a"
    assert manifest["CompilationJobArn"] == arn
    assert manifest["InputConfig"]["S3Uri"] == MODEL_URI
    assert manifest["InputModelSha256"] == hashlib.sha256(MODEL).hexdigest()
    assert manifest["Target"] == "ml_c5"

    slow_jobs.advance_clock(3600)
    later = describe(sagemaker)
    assert {**later, "ResponseMetadata": None} == {**job, "ResponseMetadata": None}, "a finished job stays as it is"


def test_default_timing_runs_in_real_time(sagemaker: Client, s3: Client) -> None:
    started = time.monotonic()
    create(sagemaker)
    seen = [status(sagemaker)]
    while seen[-1] != "COMPLETED" and time.monotonic() - started < 10:
        time.sleep(0.05)
        current = status(sagemaker)
        if current != seen[-1]:
            seen.append(current)
    assert seen[-1] == "COMPLETED"
    assert seen in (["STARTING", "INPROGRESS", "COMPLETED"], ["INPROGRESS", "COMPLETED"])
    job = describe(sagemaker)
    assert seconds_between(job["CreationTime"], job["CompilationStartTime"]) == pytest.approx(0.2, abs=1e-3)
    assert seconds_between(job["CompilationStartTime"], job["CompilationEndTime"]) == pytest.approx(1.0, abs=1e-3)
    s3.head_object(Bucket=BUCKET, Key="compiled/resnet50-ml_c5.tar.gz")


def test_target_platform_names_the_artifact_and_has_no_inference_image(
    sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint
) -> None:
    platform = {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"}
    options = '{"gpu-code": "sm_72", "trt-ver": "8.2.1", "cuda-ver": "10.2"}'
    output = {"S3OutputLocation": f"s3://{BUCKET}/edge/", "TargetPlatform": platform, "CompilerOptions": options}
    create(sagemaker, OutputConfig=output)
    summary = sagemaker.list_compilation_jobs()["CompilationJobSummaries"][0]
    assert summary["CompilationTargetPlatformOs"] == "LINUX"
    assert summary["CompilationTargetPlatformArch"] == "ARM64"
    assert summary["CompilationTargetPlatformAccelerator"] == "NVIDIA"
    assert "CompilationTargetDevice" not in summary

    slow_jobs.advance_clock(STARTING + COMPILING)
    job = describe(sagemaker)
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{BUCKET}/edge/resnet50-linux_arm64_nvidia.tar.gz"
    assert "InferenceImage" not in job, "the service names an image only for cloud instance targets"
    s3.head_object(Bucket=BUCKET, Key="edge/resnet50-linux_arm64_nvidia.tar.gz")


def test_model_package_input_and_bucket_root_output(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    package = "arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/1"
    create(
        sagemaker,
        InputConfig=None,
        ModelPackageVersionArn=package,
        OutputConfig={"S3OutputLocation": f"s3://{BUCKET}", "TargetDevice": "jetson_nano"},
    )
    slow_jobs.advance_clock(STARTING + COMPILING)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "COMPLETED"
    assert job["ModelPackageVersionArn"] == package
    assert job["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://{BUCKET}/model-jetson_nano.tar.gz"
    artifact = s3.get_object(Bucket=BUCKET, Key="model-jetson_nano.tar.gz")["Body"].read()
    assert manifest_of(artifact)["ModelPackageVersionArn"] == package


def test_region_comes_from_the_signature(client: ClientFactory, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    frankfurt, virginia = client(region="eu-central-1"), client(region="us-east-1")
    arn = create(frankfurt)
    assert arn == "arn:aws:sagemaker:eu-central-1:123456789012:compilation-job/compile-a"
    assert virginia.list_compilation_jobs()["CompilationJobSummaries"] == []
    create(virginia)  # the same name in another region is another job
    slow_jobs.advance_clock(STARTING + COMPILING)
    image = describe(frankfurt)["InferenceImage"]
    assert image.startswith("746233611703.dkr.ecr.eu-central-1.amazonaws.com/")


# --- failures ----------------------------------------------------------------------------------


def test_a_planted_failure_shows_failed_and_the_reason(
    sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint
) -> None:
    reason = "ClientError: InputConfiguration: Unsupported operator aten::weird"
    slow_jobs.fail_compilation_job(reason, job_name="compile-a")
    create(sagemaker)
    slow_jobs.advance_clock(STARTING)
    assert status(sagemaker) == "INPROGRESS", "it fails when its compiling ends, as a real compile error does"
    slow_jobs.advance_clock(COMPILING)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "FAILED"
    assert job["FailureReason"] == reason
    assert seconds_between(job["CompilationStartTime"], job["CompilationEndTime"]) == pytest.approx(COMPILING, abs=1e-3)
    assert job["ModelArtifacts"] == {"S3ModelArtifacts": ""} and "ModelDigests" not in job
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="compiled/")

    # each planted failure is used once: the same name compiles fine the next time
    sagemaker.delete_compilation_job(CompilationJobName="compile-a")
    create(sagemaker)
    slow_jobs.advance_clock(STARTING + COMPILING)
    assert status(sagemaker) == "COMPLETED"


def test_fail_the_next_job_or_a_running_one(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    slow_jobs.fail_compilation_job("next one breaks")
    create(sagemaker, name="first")
    create(sagemaker, name="second")
    slow_jobs.fail_compilation_job("running one breaks", job_name="second")
    slow_jobs.advance_clock(STARTING + COMPILING)
    assert describe(sagemaker, "first")["FailureReason"] == "next one breaks"
    assert describe(sagemaker, "second")["FailureReason"] == "running one breaks"

    create(sagemaker, name="third")
    slow_jobs.advance_clock(STARTING + COMPILING)
    assert status(sagemaker, "third") == "COMPLETED"
    with pytest.raises(ValidationException, match="only a STARTING or INPROGRESS job can be made to fail"):
        slow_jobs.fail_compilation_job("too late", job_name="third")


def test_missing_input_model_fails_the_job(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    missing = f"s3://{BUCKET}/trained/missing.tar.gz"
    create(sagemaker, InputConfig={"S3Uri": missing, "Framework": "XGBOOST"})
    create(sagemaker, name="no-bucket", InputConfig={"S3Uri": "s3://nobody/m.tar.gz", "Framework": "XGBOOST"})
    slow_jobs.advance_clock(STARTING + COMPILING)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "FAILED"
    assert job["FailureReason"] == (
        f"ClientError: InputConfiguration: Unable to download the model from {missing}: the S3 object does not exist."
    )
    assert "s3://nobody/m.tar.gz" in describe(sagemaker, "no-bucket")["FailureReason"]
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="compiled/")


def test_missing_output_bucket_fails_the_job(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    create(sagemaker, OutputConfig={"S3OutputLocation": "s3://no-such-bucket/out", "TargetDevice": "ml_c5"})
    slow_jobs.advance_clock(STARTING + COMPILING)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "FAILED"
    assert job["FailureReason"].startswith("ClientError: OutputConfiguration: Unable to upload the compiled model to")


def test_max_runtime_shorter_than_the_compile_fails_on_time(
    sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint
) -> None:
    create(sagemaker, StoppingCondition={"MaxRuntimeInSeconds": 30})
    slow_jobs.advance_clock(STARTING + 29)
    assert status(sagemaker) == "INPROGRESS"
    slow_jobs.advance_clock(1)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "FAILED"
    assert job["FailureReason"].startswith("TimeOut:")
    assert seconds_between(job["CompilationStartTime"], job["CompilationEndTime"]) == pytest.approx(30, abs=1e-3)


# --- stop and delete ---------------------------------------------------------------------------


def test_stop_a_running_job_then_delete_it(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    create(sagemaker)
    slow_jobs.advance_clock(STARTING + 1)
    assert status(sagemaker) == "INPROGRESS"
    code, message, http = error_of(sagemaker.delete_compilation_job, CompilationJobName="compile-a")
    assert (code, http) == ("ValidationException", 400)
    assert message == (
        "Cannot delete compilation job compile-a while its status is INPROGRESS. A compilation job can be deleted "
        "only when its status is COMPLETED, FAILED, or STOPPED; stop it and wait for STOPPED first."
    )

    assert sagemaker.stop_compilation_job(CompilationJobName="compile-a")["ResponseMetadata"]["HTTPStatusCode"] == 200
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "STOPPING"
    # the stop happened at now: 1 s of the advanced clock plus the real time the requests took
    assert seconds_between(job["CompilationStartTime"], job["LastModifiedTime"]) == pytest.approx(1, abs=0.5)
    stop_time = job["LastModifiedTime"]
    sagemaker.stop_compilation_job(CompilationJobName="compile-a")  # a retried stop is harmless
    assert error_of(sagemaker.delete_compilation_job, CompilationJobName="compile-a")[0] == "ValidationException"

    slow_jobs.advance_clock(COMPILING)  # well past both STOPPING and when it would have completed
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "STOPPED"
    assert job["LastModifiedTime"] == job["CompilationEndTime"]
    assert seconds_between(stop_time, job["CompilationEndTime"]) == pytest.approx(STOPPING, abs=1e-3)
    assert job["ModelArtifacts"] == {"S3ModelArtifacts": ""} and job["FailureReason"] == ""
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="compiled/")

    sagemaker.delete_compilation_job(CompilationJobName="compile-a")
    code, message, http = error_of(sagemaker.describe_compilation_job, CompilationJobName="compile-a")
    assert (code, message, http) == ("ResourceNotFound", "Could not find compilation job 'compile-a'.", 400)
    create(sagemaker)  # the name is free again
    assert status(sagemaker) == "STARTING"


def test_stop_while_starting_never_starts_compiling(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    create(sagemaker)
    sagemaker.stop_compilation_job(CompilationJobName="compile-a")
    slow_jobs.advance_clock(STOPPING)
    job = describe(sagemaker)
    assert job["CompilationJobStatus"] == "STOPPED"
    assert "CompilationStartTime" not in job
    assert seconds_between(job["CreationTime"], job["CompilationEndTime"]) == pytest.approx(STOPPING, abs=0.5)


def test_stop_a_finished_job_is_a_validation_error(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    create(sagemaker)
    slow_jobs.advance_clock(STARTING + COMPILING)
    code, message, http = error_of(sagemaker.stop_compilation_job, CompilationJobName="compile-a")
    assert (code, http) == ("ValidationException", 400)
    assert message == (
        "Compilation job compile-a is not in a stoppable state: its status is COMPLETED. "
        "Only a job in STARTING or INPROGRESS can be stopped."
    )
    assert status(sagemaker) == "COMPLETED"
    sagemaker.delete_compilation_job(CompilationJobName="compile-a")  # terminal: delete is allowed
    s3.head_object(Bucket=BUCKET, Key="compiled/resnet50-ml_c5.tar.gz")  # deleting a job keeps its artifact


@pytest.mark.parametrize("operation", ["describe_compilation_job", "stop_compilation_job", "delete_compilation_job"])
def test_missing_job_is_resource_not_found(sagemaker: Client, operation: str) -> None:
    code, message, http = error_of(getattr(sagemaker, operation), CompilationJobName="ghost")
    assert (code, message, http) == ("ResourceNotFound", "Could not find compilation job 'ghost'.", 400)


def test_duplicate_name_is_resource_in_use(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    create(sagemaker)
    slow_jobs.advance_clock(STARTING + COMPILING)
    code, message, http = error_of(create, sagemaker=sagemaker)
    assert (code, http) == ("ResourceInUse", 400)
    assert message == (
        "Resource Already Exists: Compilation job with name compile-a already exists. Choose a different name."
    )


# --- validation --------------------------------------------------------------------------------

VALIDATION_CASES = {
    "name pattern": (
        {"CompilationJobName": "bad_name"},
        "Value 'bad_name' at 'compilationJobName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
    ),
    "name too long": ({"CompilationJobName": "a" * 64}, "at 'compilationJobName' failed to satisfy constraint"),
    "unknown target device lists the valid ones": (
        {"OutputConfig": {"S3OutputLocation": OUTPUT, "TargetDevice": "ml_c99"}},
        "Value 'ml_c99' at 'outputConfig.targetDevice' failed to satisfy constraint: "
        "Member must satisfy enum value set: [lambda, ml_m4, ml_m5",
    ),
    "platform os": (
        {"OutputConfig": {"S3OutputLocation": OUTPUT, "TargetPlatform": {"Os": "WINDOWS", "Arch": "X86_64"}}},
        "at 'outputConfig.targetPlatform.os' failed to satisfy constraint: "
        "Member must satisfy enum value set: [ANDROID, LINUX]",
    ),
    "platform accelerator": (
        {
            "OutputConfig": {
                "S3OutputLocation": OUTPUT,
                "TargetPlatform": {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "TPU"},
            }
        },
        "at 'outputConfig.targetPlatform.accelerator'",
    ),
    "framework": (
        {"InputConfig": {"S3Uri": MODEL_URI, "Framework": "JAX"}},
        "at 'inputConfig.framework' failed to satisfy constraint: Member must satisfy enum value set: [TENSORFLOW",
    ),
    "framework version": (
        {"InputConfig": {"S3Uri": MODEL_URI, "Framework": "PYTORCH", "FrameworkVersion": "latest"}},
        "at 'inputConfig.frameworkVersion'",
    ),
    "role arn": ({"RoleArn": "not-a-role-arn-at-all"}, "at 'roleArn' failed to satisfy constraint"),
    "max runtime": ({"StoppingCondition": {"MaxRuntimeInSeconds": 0}}, "at 'stoppingCondition.maxRuntimeInSeconds'"),
    "security group": (
        {"VpcConfig": {"SecurityGroupIds": ["sg_bad!"], "Subnets": ["subnet-1"]}},
        "at 'vpcConfig.securityGroupIds.1.member'",
    ),
    "tag key": ({"Tags": [{"Key": "bad#key", "Value": "v"}]}, "at 'tags.1.member.key'"),
    "both targets": (
        {
            "OutputConfig": {
                "S3OutputLocation": OUTPUT,
                "TargetDevice": "ml_c5",
                "TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"},
            }
        },
        "OutputConfig must specify exactly one of TargetDevice and TargetPlatform (both were given).",
    ),
    "no target": (
        {"OutputConfig": {"S3OutputLocation": OUTPUT}},
        "OutputConfig must specify exactly one of TargetDevice and TargetPlatform (neither was given).",
    ),
    "input config and model package": (
        {"ModelPackageVersionArn": "arn:aws:sagemaker:us-east-1:123456789012:model-package/resnet/1"},
        "InputConfig and ModelPackageVersionArn cannot be specified at the same time.",
    ),
    "neither input config nor model package": (
        {"InputConfig": None},
        "Either InputConfig or ModelPackageVersionArn must be specified.",
    ),
}


@pytest.mark.parametrize("overrides, expected", VALIDATION_CASES.values(), ids=VALIDATION_CASES.keys())
def test_create_validation_names_the_member(client: ClientFactory, overrides: dict[str, Any], expected: str) -> None:
    unchecked = client(validate=False)  # the server's own checks, not botocore's
    params = {name: value for name, value in overrides.items() if value is not None}
    dropped = [name for name, value in overrides.items() if value is None]

    def create_without_dropped(**_: Any) -> None:
        request: dict[str, Any] = {
            "CompilationJobName": "compile-a",
            "RoleArn": ROLE,
            "InputConfig": {"S3Uri": MODEL_URI, "Framework": "PYTORCH"},
            "OutputConfig": {"S3OutputLocation": OUTPUT, "TargetDevice": "ml_c5"},
            "StoppingCondition": {"MaxRuntimeInSeconds": 900},
            **params,
        }
        for name in dropped:
            request.pop(name)
        unchecked.create_compilation_job(**request)

    code, message, http = error_of(create_without_dropped)
    assert (code, http) == ("ValidationException", 400)
    assert expected in message
    assert unchecked.list_compilation_jobs()["CompilationJobSummaries"] == []


def test_the_target_device_enum_is_todays(client: ClientFactory) -> None:
    code, message, _ = error_of(
        client(validate=False).create_compilation_job,
        CompilationJobName="compile-a",
        RoleArn=ROLE,
        InputConfig={"S3Uri": MODEL_URI, "Framework": "ONNX"},
        OutputConfig={"S3OutputLocation": OUTPUT, "TargetDevice": "tpu_v4"},
        StoppingCondition={"MaxRuntimeInSeconds": 900},
    )
    assert code == "ValidationException"
    for device in ("lambda", "jetson_nano", "ml_inf2", "ml_trn1", "imx8mplus"):
        assert device in message


def test_missing_required_members_are_all_listed(client: ClientFactory) -> None:
    code, message, _ = error_of(client(validate=False).create_compilation_job, CompilationJobName="compile-a")
    assert code == "ValidationException"
    assert message.startswith("3 validation errors detected: ")
    for member in ("roleArn", "outputConfig", "stoppingCondition"):
        assert f"Value null at '{member}' failed to satisfy constraint: Member must not be null" in message


# --- listing -----------------------------------------------------------------------------------


def test_list_filters_sorts_and_pages(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    slow_jobs.set_compilation_timing(starting_seconds=25)
    names = ["delta", "Alpha", "charlie", "bravo", "alphabet"]
    for name in names:  # created at T, T+10, ... T+40
        create(sagemaker, name=name)
        slow_jobs.advance_clock(10)
    # now T+50: delta and Alpha INPROGRESS (since T+25, T+35), bravo and alphabet STARTING, charlie STOPPING
    sagemaker.stop_compilation_job(CompilationJobName="charlie")
    T = describe(sagemaker, "delta")["CreationTime"]

    def at(seconds: float) -> datetime:  # boundaries between jobs: botocore sends whole seconds
        return T + timedelta(seconds=seconds)

    def listed(**params: Any) -> list[str]:
        return [s["CompilationJobName"] for s in sagemaker.list_compilation_jobs(**params)["CompilationJobSummaries"]]

    assert listed() == names, "oldest first by default"
    assert listed(SortOrder="Descending") == names[::-1]
    assert listed(SortBy="Name") == sorted(names)
    assert listed(SortBy="Status") == ["delta", "Alpha", "bravo", "alphabet", "charlie"]
    assert listed(SortBy="Status", SortOrder="Descending") == ["charlie", "alphabet", "bravo", "Alpha", "delta"]
    assert listed(NameContains="ALPHA", SortBy="Name") == ["Alpha", "alphabet"]
    assert listed(StatusEquals="INPROGRESS") == ["delta", "Alpha"]
    assert listed(StatusEquals="STOPPING") == ["charlie"]
    assert listed(CreationTimeAfter=at(25)) == ["bravo", "alphabet"]
    assert listed(CreationTimeBefore=at(15)) == ["delta", "Alpha"]
    assert listed(CreationTimeAfter=at(5), CreationTimeBefore=at(25)) == ["Alpha", "charlie"]
    # last modified: delta T+25 (INPROGRESS), Alpha T+35, charlie T+50 (STOPPING), bravo T+30, alphabet T+40
    assert listed(LastModifiedTimeAfter=at(37)) == ["charlie", "alphabet"]
    assert listed(LastModifiedTimeBefore=at(32)) == ["delta", "bravo"]

    first = sagemaker.list_compilation_jobs(MaxResults=2)
    second = sagemaker.list_compilation_jobs(MaxResults=2, NextToken=first["NextToken"])
    third = sagemaker.list_compilation_jobs(MaxResults=2, NextToken=second["NextToken"])
    pages = [first, second, third]
    assert [s["CompilationJobName"] for p in pages for s in p["CompilationJobSummaries"]] == names
    assert "NextToken" not in third
    paginator = sagemaker.get_paginator("list_compilation_jobs").paginate(PaginationConfig={"PageSize": 2})
    assert [s["CompilationJobName"] for page in paginator for s in page["CompilationJobSummaries"]] == names

    summary = first["CompilationJobSummaries"][0]
    assert summary["CompilationTargetDevice"] == "ml_c5"
    assert summary["CompilationJobArn"].endswith(":compilation-job/delta")
    assert summary["CompilationJobStatus"] == "INPROGRESS" and "CompilationStartTime" in summary

    slow_jobs.advance_clock(100)
    assert listed(StatusEquals="COMPLETED") == ["delta", "Alpha", "bravo", "alphabet"], "List moves jobs on too"
    assert listed(StatusEquals="STOPPED") == ["charlie"]
    s3.head_object(Bucket=BUCKET, Key="compiled/resnet50-ml_c5.tar.gz")


def test_list_rejects_bad_arguments(sagemaker: Client) -> None:
    code, message, _ = error_of(sagemaker.list_compilation_jobs, MaxResults=101)
    assert code == "ValidationException" and "'maxResults'" in message
    code, message, _ = error_of(sagemaker.list_compilation_jobs, NextToken="garbage")
    assert code == "ValidationException" and "pagination token" in message
    code, message, _ = error_of(sagemaker.list_compilation_jobs, StatusEquals="RUNNING")
    assert code == "ValidationException" and "'statusEquals'" in message


# --- tags --------------------------------------------------------------------------------------


def test_tags_on_compilation_jobs(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    untagged = create(sagemaker, name="untagged")  # moto 5.2.1 crashed on AddTags/ListTags for these
    assert sagemaker.list_tags(ResourceArn=untagged)["Tags"] == []
    added = sagemaker.add_tags(ResourceArn=untagged, Tags=[{"Key": "owner", "Value": "ml"}])
    assert added["Tags"] == [{"Key": "owner", "Value": "ml"}]
    sagemaker.delete_tags(ResourceArn=untagged, TagKeys=["owner", "never-there"])
    assert sagemaker.list_tags(ResourceArn=untagged)["Tags"] == []

    tagged = create(sagemaker, name="tagged", Tags=[{"Key": "team", "Value": "vision"}])
    sagemaker.add_tags(ResourceArn=tagged, Tags=[{"Key": "team", "Value": "edge"}, {"Key": "env", "Value": "dev"}])
    assert sagemaker.list_tags(ResourceArn=tagged)["Tags"] == [
        {"Key": "team", "Value": "edge"},
        {"Key": "env", "Value": "dev"},
    ]
    slow_jobs.advance_clock(STARTING + COMPILING)
    assert len(sagemaker.list_tags(ResourceArn=tagged)["Tags"]) == 2, "tags outlive the run"

    missing = tagged.replace("tagged", "ghost")
    assert error_of(sagemaker.list_tags, ResourceArn=missing)[:2] == (
        "ResourceNotFound",
        "Could not find compilation job 'ghost'.",
    )
    assert error_of(sagemaker.add_tags, ResourceArn=missing, Tags=[{"Key": "k", "Value": "v"}])[0] == (
        "ResourceNotFound"
    )


# --- controls, clock and request log -----------------------------------------------------------


def control(endpoint: EmbeddedEndpoint, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint.url}/_reconciler/{route}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def control_error(endpoint: EmbeddedEndpoint, method: str, route: str, body: dict[str, Any]) -> tuple[int, Any]:
    with pytest.raises(urllib.error.HTTPError) as raised:
        control(endpoint, method, route, body)
    return raised.value.code, json.loads(raised.value.read())


def test_controls_over_http(sagemaker: Client, s3: Client, endpoint: EmbeddedEndpoint) -> None:
    timing = control(endpoint, "POST", "compilation-jobs/timing", {"starting_seconds": 100, "compiling_seconds": 100})
    assert timing == {"timing": {"starting_seconds": 100, "compiling_seconds": 100, "stopping_seconds": 0.2}}
    per_name = control(endpoint, "POST", "compilation-jobs/timing", {"job_name": "quick", "compiling_seconds": 5})
    assert per_name == {"timing": {"starting_seconds": 100, "compiling_seconds": 5, "stopping_seconds": 0.2}}
    assert control(endpoint, "POST", "compilation-jobs/failures", {"job_name": "broken", "reason": "boom"}) == {}

    create(sagemaker, name="slow")
    create(sagemaker, name="quick")
    create(sagemaker, name="broken")
    before = control(endpoint, "GET", "clock")["now"]
    after = control(endpoint, "POST", "clock", {"seconds": 106})["now"]
    assert after - before == pytest.approx(106, abs=1.0)
    statuses = [status(sagemaker, name) for name in ("slow", "quick", "broken")]
    assert statuses == ["INPROGRESS", "COMPLETED", "INPROGRESS"]
    control(endpoint, "POST", "clock", {"seconds": 100})
    assert describe(sagemaker, "broken")["FailureReason"] == "boom"

    assert control_error(endpoint, "POST", "clock", {"seconds": -1})[0] == 400
    code, body = control_error(endpoint, "POST", "compilation-jobs/timing", {"stopping_seconds": "soon"})
    assert (code, body["__type"]) == (400, "ValidationException")
    assert "stopping_seconds" in body["message"]
    assert control_error(endpoint, "POST", "compilation-jobs/timing", {"bogus": 1})[0] == 400
    assert control_error(endpoint, "POST", "compilation-jobs/failures", {"job_name": "x"})[0] == 400
    assert control_error(endpoint, "POST", "compilation-jobs/failures", {"reason": ""})[0] == 400


def test_reset_restores_default_timing_and_the_clock(sagemaker: Client, endpoint: EmbeddedEndpoint) -> None:
    endpoint.set_compilation_timing(starting_seconds=500)
    endpoint.fail_compilation_job("armed before the reset")
    endpoint.advance_clock(10_000)
    endpoint.reset()
    assert endpoint.now() == pytest.approx(time.time(), abs=5)
    defaults = {"starting_seconds": 0.2, "compiling_seconds": 1.0, "stopping_seconds": 0.2}
    assert endpoint.set_compilation_timing() == defaults, "called with nothing, it reports the timing"
    s3 = boto3.client(  # the reset emptied S3 too
        "s3",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=MODEL_KEY, Body=MODEL)
    create(sagemaker)
    endpoint.advance_clock(2)
    assert status(sagemaker) == "COMPLETED", "no failure survives a reset"


def test_an_injected_clock_is_the_only_time_jobs_see(s3: Client) -> None:
    now = [1_700_000_000.0]
    with start_endpoint(clock=lambda: now[0]) as frozen:  # moto's S3 is process-wide: the bucket is there
        sagemaker = boto3.client(
            "sagemaker",
            endpoint_url=frozen.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        create(sagemaker)
        assert describe(sagemaker)["CreationTime"].timestamp() == 1_700_000_000.0
        now[0] += 1.0
        assert status(sagemaker) == "INPROGRESS"
        now[0] += 0.2
        job = describe(sagemaker)
        assert job["CompilationJobStatus"] == "COMPLETED"
        assert job["CompilationEndTime"].timestamp() == pytest.approx(1_700_000_001.2)


def test_request_log_records_compilation_operations(sagemaker: Client, s3: Client, slow_jobs: EmbeddedEndpoint) -> None:
    arn = create(sagemaker)
    sagemaker.list_compilation_jobs(NameContains="compile")
    sagemaker.stop_compilation_job(CompilationJobName="compile-a")
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    sagemaker.list_tags(ResourceArn=arn)
    error_of(sagemaker.delete_compilation_job, CompilationJobName="compile-a")
    assert [r.operation for r in slow_jobs.requests] == [
        "CreateCompilationJob",
        "ListCompilationJobs",
        "StopCompilationJob",
        "AddTags",
        "ListTags",
        "DeleteCompilationJob",
    ]
    assert slow_jobs.requests[1].params == {"NameContains": "compile"}
    assert slow_jobs.requests[0].params["OutputConfig"] == {"S3OutputLocation": OUTPUT, "TargetDevice": "ml_c5"}
