"""CreateCompilationJob's rules, refused before any call with the property named."""

import botocore.session
import pytest

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.specs.compilation_job import FRAMEWORKS, TARGET_DEVICES, parse_compilation_job

ROLE = "arn:aws:iam::123456789012:role/neo"


def job(**overrides):
    props = {
        "compilationJobName": "resnet-ml-c5",
        "roleArn": ROLE,
        "inputConfig": {
            "s3Uri": "s3://models/resnet.tar.gz",
            "dataInputConfig": '{"data": [1, 3, 224, 224]}',
            "framework": "ONNX",
        },
        "outputConfig": {"s3OutputLocation": "s3://models/compiled", "targetDevice": "ml_c5"},
        "stoppingCondition": {"maxRuntimeInSeconds": 900},
    }
    props.update(overrides)
    return props


def inputs(**fields):
    return {**job()["inputConfig"], **fields}


def outputs(**fields):
    return {**job()["outputConfig"], **fields}


BAD = [
    ("name empty", job(compilationJobName=""), "compilationJobName", "at least 1"),
    ("name too long", job(compilationJobName="j" * 64), "compilationJobName", "at most 63"),
    ("name underscore", job(compilationJobName="a_b"), "compilationJobName", "hyphens"),
    ("role missing", {k: v for k, v in job().items() if k != "roleArn"}, "roleArn", "required"),
    ("role not iam", job(roleArn="arn:aws:sts::123456789012:assumed-role/x"), "roleArn", "IAM role ARN"),
    ("neither source", {k: v for k, v in job().items() if k != "inputConfig"}, "inputConfig", "exactly one"),
    (
        "both sources",
        job(modelPackageVersionArn="arn:aws:sagemaker:us-east-1:123456789012:model-package/m/1"),
        "inputConfig",
        "exactly one",
    ),
    (
        "bad model package",
        job(inputConfig=None, modelPackageVersionArn="arn:aws:s3:::bucket"),
        "modelPackageVersionArn",
        "model-package ARN",
    ),
    ("input not tar.gz", job(inputConfig=inputs(s3Uri="s3://models/resnet.zip")), "inputConfig.s3Uri", ".tar.gz"),
    ("input not s3", job(inputConfig=inputs(s3Uri="ftp://models/m.tar.gz")), "inputConfig.s3Uri", "s3://"),
    ("input file in cloud", job(inputConfig=inputs(s3Uri="file:///tmp/m.tar.gz")), "inputConfig.s3Uri", "mode: local"),
    ("framework unknown", job(inputConfig=inputs(framework="CAFFE")), "inputConfig.framework", "'ONNX'"),
    (
        "data config not json",
        job(inputConfig=inputs(dataInputConfig="{data: [1]}")),
        "inputConfig.dataInputConfig",
        "must be JSON",
    ),
    (
        "data config list for onnx",
        job(inputConfig=inputs(dataInputConfig="[[1,3,224,224]]")),
        "inputConfig.dataInputConfig",
        "input name -> shape",
    ),
    (
        "data config empty dict",
        job(inputConfig=inputs(dataInputConfig="{}")),
        "inputConfig.dataInputConfig",
        "at least one input",
    ),
    (
        "data config bad shape",
        job(inputConfig=inputs(dataInputConfig='{"data": [1, "3"]}')),
        "inputConfig.dataInputConfig",
        "positive integers",
    ),
    (
        "data config zero dim",
        job(inputConfig=inputs(dataInputConfig='{"data": [0, 3]}')),
        "inputConfig.dataInputConfig",
        "positive integers",
    ),
    (
        "data config null for tf",
        job(inputConfig=inputs(framework="TENSORFLOW", dataInputConfig=None)),
        "inputConfig.dataInputConfig",
        "is required for TENSORFLOW",
    ),
    (
        "data config missing for tf",
        job(inputConfig={"s3Uri": "s3://m/x.tar.gz", "framework": "TENSORFLOW"}),
        "inputConfig.dataInputConfig",
        "is required for TENSORFLOW",
    ),
    (
        "pytorch bad list",
        job(inputConfig=inputs(framework="PYTORCH", dataInputConfig="[1,3,224,224]")),
        "inputConfig.dataInputConfig",
        "list of shapes",
    ),
    ("framework version", job(inputConfig=inputs(frameworkVersion="latest")), "inputConfig.frameworkVersion", "1.15"),
    ("no target", job(outputConfig={"s3OutputLocation": "s3://m/c"}), "outputConfig", "exactly one of targetDevice"),
    (
        "both targets",
        job(outputConfig=outputs(targetPlatform={"os": "LINUX", "arch": "ARM64"})),
        "outputConfig",
        "exactly one",
    ),
    ("target unknown", job(outputConfig=outputs(targetDevice="toaster")), "outputConfig.targetDevice", "'ml_c5'"),
    (
        "platform without arch",
        job(outputConfig={"s3OutputLocation": "s3://m/c", "targetPlatform": {"os": "LINUX"}}),
        "outputConfig.targetPlatform.arch",
        "required",
    ),
    (
        "platform os",
        job(outputConfig={"s3OutputLocation": "s3://m/c", "targetPlatform": {"os": "IOS", "arch": "ARM64"}}),
        "outputConfig.targetPlatform.os",
        "'LINUX'",
    ),
    (
        "platform accelerator",
        job(
            outputConfig={
                "s3OutputLocation": "s3://m/c",
                "targetPlatform": {"os": "LINUX", "arch": "ARM64", "accelerator": "TPU"},
            }
        ),
        "outputConfig.targetPlatform.accelerator",
        "'NVIDIA'",
    ),
    (
        "compiler options short",
        job(outputConfig=outputs(compilerOptions="{}")),
        "outputConfig.compilerOptions",
        "at least 3",
    ),
    (
        "output file in cloud",
        job(outputConfig=outputs(s3OutputLocation="file:///tmp/out")),
        "outputConfig.s3OutputLocation",
        "mode: local",
    ),
    ("kms key chars", job(outputConfig=outputs(kmsKeyId="key id!")), "outputConfig.kmsKeyId", "KMS key"),
    ("vpc no subnets", job(vpcConfig={"securityGroupIds": ["sg-1"], "subnets": []}), "vpcConfig.subnets", "at least 1"),
    (
        "vpc six groups",
        job(vpcConfig={"securityGroupIds": [f"sg-{i}" for i in range(6)], "subnets": ["subnet-1"]}),
        "vpcConfig.securityGroupIds",
        "at most 5",
    ),
    (
        "vpc bad id",
        job(vpcConfig={"securityGroupIds": ["sg_1"], "subnets": ["subnet-1"]}),
        "vpcConfig.securityGroupIds[0]",
        "letters, digits",
    ),
    (
        "runtime over 28 days",
        job(stoppingCondition={"maxRuntimeInSeconds": 28 * 86400 + 1}),
        "stoppingCondition.maxRuntimeInSeconds",
        "28 days",
    ),
    (
        "runtime zero",
        job(stoppingCondition={"maxRuntimeInSeconds": 0}),
        "stoppingCondition.maxRuntimeInSeconds",
        "at least 1",
    ),
    (
        "pending too short",
        job(stoppingCondition={"maxPendingTimeInSeconds": 1799}),
        "stoppingCondition.maxPendingTimeInSeconds",
        "at least 1800",
    ),
    ("mode unknown", job(mode="hybrid"), "mode", "'cloud' or 'local'"),
    ("tag reserved", job(tags={"aws:x": "y"}), "tags", "reserved"),
    ("unknown property", job(targetDevice="ml_c5"), "targetDevice", "not a known property"),
]


@pytest.mark.parametrize("case, props, field, rule", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_refused_naming_field_and_rule(case, props, field, rule):
    props = {k: v for k, v in props.items() if v is not None}
    with pytest.raises(SpecError) as info:
        parse_compilation_job(props)
    found = {v.field: v.rule for v in info.value.violations}
    assert field in found, found
    assert rule in found[field]


@pytest.mark.parametrize(
    "props",
    [
        job(),
        job(inputConfig=inputs(framework="PYTORCH", dataInputConfig="[[1,3,224,224],[1,3,224,224]]")),
        job(inputConfig=inputs(framework="PYTORCH", dataInputConfig='{"input0": [1,3,224,224]}')),
        job(inputConfig=inputs(framework="TENSORFLOW", dataInputConfig='{"input": [1,1024,1024,3]}')),
        job(inputConfig=inputs(framework="MXNET", dataInputConfig='{"data": [[1,3,224,224],[1,3,160,160]]}')),
        job(inputConfig={"s3Uri": "s3://m/x.tar.gz", "framework": "XGBOOST"}),
        job(inputConfig=inputs(framework="XGBOOST")),  # "not needed" is not "refused"
        job(stoppingCondition={"maxPendingTimeInSeconds": 1800}),
        job(
            outputConfig={
                "s3OutputLocation": "s3://m/c",
                "targetPlatform": {"os": "LINUX", "arch": "ARM64", "accelerator": "NVIDIA"},
            }
        ),
        job(
            mode="local",
            inputConfig=inputs(s3Uri="file:///tmp/m.tar.gz"),
            outputConfig=outputs(s3OutputLocation="file:///tmp/out"),
        ),
        job(stoppingCondition={"maxRuntimeInSeconds": 28 * 86400}),
    ],
)
def test_valid_jobs_pass(props):
    assert parse_compilation_job(props).compilation_job_name == "resnet-ml-c5"


def test_enums_match_the_current_botocore_model():
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert set(TARGET_DEVICES) == set(model.shape_for("TargetDevice").enum)
    assert set(FRAMEWORKS) == set(model.shape_for("Framework").enum)


def test_create_request_is_the_declared_job_without_provider_only_inputs():
    request = parse_compilation_job(job(tags={"k": "v"}, deleteArtifacts=True)).to_create_request()
    assert request == {
        "CompilationJobName": "resnet-ml-c5",
        "RoleArn": ROLE,
        "InputConfig": {
            "Framework": "ONNX",
            "S3Uri": "s3://models/resnet.tar.gz",
            "DataInputConfig": '{"data": [1, 3, 224, 224]}',
        },
        "OutputConfig": {"S3OutputLocation": "s3://models/compiled", "TargetDevice": "ml_c5"},
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
        "Tags": [{"Key": "k", "Value": "v"}],
    }
