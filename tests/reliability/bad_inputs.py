"""The corpus of invalid inputs: the unit tests' BAD tables plus the constraints they leave out.

Each entry is ``(resource, case, props, field, rule)``: ``field`` is the camelCase path the
refusal must name and ``rule`` a fragment of its reason. Between them the entries cover every
kind of constraint in the CreateWorkteam / CreateCompilationJob references: patterns,
lengths, counts, enums, exclusive and required-together fields, the JSON forms of
dataInputConfig per framework, URIs, ranges, types and unknown properties.

Values are what a Pulumi program can send: no ``None`` (the engine drops such keys), so the
unit cases that use ``None`` to leave a member out are rewritten without the key.
"""

from __future__ import annotations

from typing import Any

from tests.unit import test_compilation_job_spec as job_cases
from tests.unit import test_workteam_spec as team_cases
from tests.unit.test_compilation_job_spec import inputs, job, outputs
from tests.unit.workteam_samples import COGNITO_MEMBER, cognito_team, oidc_team

Case = tuple[str, str, dict[str, Any], str, str]


def _cognito(**fields: Any) -> dict[str, Any]:
    return {"cognitoMemberDefinition": {**COGNITO_MEMBER["cognitoMemberDefinition"], **fields}}


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


# What a None in a unit case becomes once the engine has dropped the key.
_RENAMED = {"data config null for tf": ("inputConfig.dataInputConfig", "is required for TENSORFLOW")}

MORE_WORKTEAM: list[tuple[str, dict[str, Any], str, str]] = [
    ("name non-ascii", cognito_team(workteamName="équipe"), "workteamName", "letters, digits and hyphens"),
    ("name with space", cognito_team(workteamName="team a"), "workteamName", "letters, digits and hyphens"),
    ("name double hyphen end", cognito_team(workteamName="a--"), "workteamName", "letter or digit"),
    ("workforce empty", cognito_team(workforceName=""), "workforceName", "at least 1"),
    ("workforce leading hyphen", cognito_team(workforceName="-force"), "workforceName", "start with a letter"),
    ("description a list", cognito_team(description=["d"]), "description", "string"),
    (
        "members a map",
        cognito_team(memberDefinitions={"cognitoMemberDefinition": {}}),
        "memberDefinitions",
        "must be a list",
    ),
    (
        "user pool empty",
        cognito_team(memberDefinitions=[_cognito(userPool="")]),
        "memberDefinitions[0].cognitoMemberDefinition.userPool",
        "at least 1",
    ),
    (
        "user group empty",
        cognito_team(memberDefinitions=[_cognito(userGroup="")]),
        "memberDefinitions[0].cognitoMemberDefinition.userGroup",
        "at least 1",
    ),
    (
        "client id too long",
        cognito_team(memberDefinitions=[_cognito(clientId="c" * 1025)]),
        "memberDefinitions[0].cognitoMemberDefinition.clientId",
        "at most 1024",
    ),
    (
        "cognito unknown member",
        cognito_team(memberDefinitions=[_cognito(userPoolArn="x")]),
        "memberDefinitions[0].cognitoMemberDefinition.userPoolArn",
        "not a known property",
    ),
    (
        "oidc group with space",
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": ["two words"]}}]),
        "memberDefinitions[0].oidcMemberDefinition.groups[0]",
        "no spaces",
    ),
    (
        "oidc groups a string",
        oidc_team(memberDefinitions=[{"oidcMemberDefinition": {"groups": "g1"}}]),
        "memberDefinitions[0].oidcMemberDefinition.groups",
        "must be a list",
    ),
    (
        "topic not an arn",
        cognito_team(notificationConfiguration={"notificationTopicArn": "labeling-events"}),
        "notificationConfiguration.notificationTopicArn",
        "SNS topic ARN",
    ),
    (
        "presign unknown member",
        cognito_team(workerAccessConfiguration={"s3Presign": {"policy": {}}}),
        "workerAccessConfiguration.s3Presign.policy",
        "not a known property",
    ),
    ("tag value not a string", cognito_team(tags={"k": 1}), "tags.k", "string"),
    ("tag key empty", cognito_team(tags={"": "v"}), "tags", "1-128"),
    ("force delete not a bool", cognito_team(forceDelete="sometimes"), "forceDelete", "boolean"),
    ("api casing", cognito_team(WorkteamArn="arn"), "WorkteamArn", "not a known property"),
]

_PLATFORM = {"s3OutputLocation": "s3://m/c", "targetPlatform": {"os": "LINUX", "arch": "ARM64"}}

MORE_COMPILATION_JOB: list[tuple[str, dict[str, Any], str, str]] = [
    ("name leading hyphen", job(compilationJobName="-job"), "compilationJobName", "letter or digit"),
    ("name non-ascii", job(compilationJobName="modèle"), "compilationJobName", "hyphens"),
    ("role too short", job(roleArn="arn:aws:iam::1:r"), "roleArn", "at least 20"),
    ("role short account", job(roleArn="arn:aws:iam::12345678901:role/neo"), "roleArn", "IAM role ARN"),
    (
        "model package other service",
        job(modelPackageVersionArn="arn:aws:sagemaker:us-east-1:123456789012:model/m") | {"inputConfig": None},
        "modelPackageVersionArn",
        "model-package ARN",
    ),
    (
        "input uri too long",
        job(inputConfig=inputs(s3Uri="s3://m/" + "k" * 1024 + ".tar.gz")),
        "inputConfig.s3Uri",
        "at most 1024",
    ),
    ("input uri one slash", job(inputConfig=inputs(s3Uri="s3:/models/m.tar.gz")), "inputConfig.s3Uri", "s3://"),
    (
        "input framework missing",
        job(inputConfig={"s3Uri": "s3://m/x.tar.gz", "dataInputConfig": '{"a": [1]}'}),
        "inputConfig.framework",
        "required",
    ),
    ("input api casing", job(inputConfig=inputs(S3Uri="s3://m/x.tar.gz")), "inputConfig.S3Uri", "not a known property"),
    (
        "data config empty string",
        job(inputConfig=inputs(dataInputConfig="")),
        "inputConfig.dataInputConfig",
        "at least 1",
    ),
    (
        "data config too long",
        job(inputConfig=inputs(dataInputConfig='{"data": [' + "1," * 8200 + "1]}")),
        "inputConfig.dataInputConfig",
        "at most 16384",
    ),
    (
        "data config list for tensorflow",
        job(inputConfig=inputs(framework="TENSORFLOW", dataInputConfig="[[1,224,224,3]]")),
        "inputConfig.dataInputConfig",
        "for TENSORFLOW must be",
    ),
    (
        "data config negative dim",
        job(inputConfig=inputs(dataInputConfig='{"data": [1, -3]}')),
        "inputConfig.dataInputConfig",
        "positive integers",
    ),
    (
        "data config boolean dim",
        job(inputConfig=inputs(dataInputConfig='{"data": [true, 3]}')),
        "inputConfig.dataInputConfig",
        "positive integers",
    ),
    ("data config a number", job(inputConfig=inputs(dataInputConfig="224")), "inputConfig.dataInputConfig", "must be"),
    (
        "pytorch empty list",
        job(inputConfig=inputs(framework="PYTORCH", dataInputConfig="[]")),
        "inputConfig.dataInputConfig",
        "list of shapes",
    ),
    (
        "framework version too long",
        job(inputConfig=inputs(frameworkVersion="1.2.3.4.5.6")),
        "inputConfig.frameworkVersion",
        "at most 10",
    ),
    ("framework lower case", job(inputConfig=inputs(framework="onnx")), "inputConfig.framework", "'ONNX'"),
    (
        "output location a path",
        job(outputConfig=outputs(s3OutputLocation="/tmp/out")),
        "outputConfig.s3OutputLocation",
        "s3://",
    ),
    (
        "output location missing",
        job(outputConfig={"targetDevice": "ml_c5"}),
        "outputConfig.s3OutputLocation",
        "required",
    ),
    (
        "compiler options too long",
        job(outputConfig=outputs(compilerOptions="{" + "x" * 1024 + "}")),
        "outputConfig.compilerOptions",
        "at most 1024",
    ),
    ("kms key too long", job(outputConfig=outputs(kmsKeyId="k" * 2049)), "outputConfig.kmsKeyId", "at most 2048"),
    (
        "platform arch",
        job(outputConfig={**_PLATFORM, "targetPlatform": {"os": "LINUX", "arch": "MIPS"}}),
        "outputConfig.targetPlatform.arch",
        "'ARM64'",
    ),
    (
        "platform unknown member",
        job(outputConfig={**_PLATFORM, "targetPlatform": {"os": "LINUX", "arch": "ARM64", "gpu": "yes"}}),
        "outputConfig.targetPlatform.gpu",
        "not a known property",
    ),
    ("device lower case", job(outputConfig=outputs(targetDevice="ML_C5")), "outputConfig.targetDevice", "'ml_c5'"),
    (
        "vpc seventeen subnets",
        job(vpcConfig={"securityGroupIds": ["sg-1"], "subnets": [f"subnet-{i}" for i in range(17)]}),
        "vpcConfig.subnets",
        "at most 16",
    ),
    (
        "vpc id too long",
        job(vpcConfig={"securityGroupIds": ["sg-" + "1" * 30], "subnets": ["subnet-1"]}),
        "vpcConfig.securityGroupIds[0]",
        "at most 32",
    ),
    ("vpc subnets missing", job(vpcConfig={"securityGroupIds": ["sg-1"]}), "vpcConfig.subnets", "required"),
    (
        "runtime fractional",
        job(stoppingCondition={"maxRuntimeInSeconds": 1.5}),
        "stoppingCondition.maxRuntimeInSeconds",
        "integer",
    ),
    (
        "wait time zero",
        job(stoppingCondition={"maxWaitTimeInSeconds": 0}),
        "stoppingCondition.maxWaitTimeInSeconds",
        "at least 1",
    ),
    (
        "pending over 28 days",
        job(stoppingCondition={"maxPendingTimeInSeconds": 28 * 86400 + 1}),
        "stoppingCondition.maxPendingTimeInSeconds",
        "at most 2419200",
    ),
    ("51 tags", job(tags={f"k{i}": "v" for i in range(51)}), "tags", "at most 50"),
    ("tag value too long", job(tags={"k": "v" * 257}), "tags", "at most 256"),
    ("mode upper case", job(mode="LOCAL"), "mode", "'cloud' or 'local'"),
    ("delete artifacts not a bool", job(deleteArtifacts="sometimes"), "deleteArtifacts", "boolean"),
    (
        "output file in cloud mode",
        job(outputConfig=outputs(s3OutputLocation="file:///srv/out")),
        "outputConfig.s3OutputLocation",
        "mode: local",
    ),
]


def corpus() -> list[Case]:
    cases: list[Case] = []
    for name, props, field, rule in team_cases.BAD + MORE_WORKTEAM:
        cases.append(("Workteam", name, _without_none(props), field, rule))
    for name, props, field, rule in job_cases.BAD + MORE_COMPILATION_JOB:
        field, rule = _RENAMED.get(name, (field, rule))
        cases.append(("CompilationJob", name, _without_none(props), field, rule))
    return cases


CORPUS = corpus()
