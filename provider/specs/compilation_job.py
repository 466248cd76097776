"""Desired state of a SageMaker Neo CompilationJob, with CreateCompilationJob's rules.

Jobs are immutable: every input here forces a replacement when it changes.
`mode`, `deleteArtifacts` (and the local-compile knobs) are this provider's own
inputs, not API members.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from provider.errors import SpecError, Violation
from provider.specs._base import Model, check_pattern, parse_spec
from provider.specs._tags import check_tags, tag_list
from provider.specs.tuning import Tuning, tuning_violations
from provider.specs.workteam import api_shape

__all__ = [
    "UPDATABLE",
    "TARGET_DEVICES",
    "FRAMEWORKS",
    "MAX_RUNTIME_SECONDS",
    "CompilationJobSpec",
    "InputConfig",
    "OutputConfig",
    "TargetPlatform",
    "parse_compilation_job",
    "parse_data_input_config",
]

# The TargetDevice enum of the current botocore model (a unit test keeps the two equal).
TARGET_DEVICES = (
    "lambda", "ml_m4", "ml_m5", "ml_m6g", "ml_c4", "ml_c5", "ml_c6g", "ml_p2", "ml_p3", "ml_g4dn",
    "ml_inf1", "ml_inf2", "ml_trn1", "ml_eia2", "jetson_tx1", "jetson_tx2", "jetson_nano",
    "jetson_xavier", "rasp3b", "rasp4b", "imx8qm", "deeplens", "rk3399", "rk3288", "aisage", "sbe_c",
    "qcs605", "qcs603", "sitara_am57x", "amba_cv2", "amba_cv22", "amba_cv25", "x86_win32",
    "x86_win64", "coreml", "jacinto_tda4vm", "imx8mplus",
)
FRAMEWORKS = ("TENSORFLOW", "KERAS", "MXNET", "ONNX", "PYTORCH", "XGBOOST", "TFLITE", "DARKNET", "SKLEARN")
MAX_RUNTIME_SECONDS = 28 * 24 * 3600
# Jobs are immutable: these are the only inputs that change without replacing the job.
UPDATABLE = ("tags", "deleteArtifacts", "verify")

TargetDevice = Literal[TARGET_DEVICES]  # type: ignore[valid-type]
Framework = Literal[FRAMEWORKS]  # type: ignore[valid-type]

_S3_URI = r"(https|s3)://([^/]+)/?(.*)"
_ROLE_ARN = r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_MODEL_PACKAGE_ARN = r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]{9,16}:[0-9]{12}:model-package/[\S]{1,2048}"

# How DataInputConfig must look, per framework (from the API reference).
_NAMED_SHAPES = {"TENSORFLOW", "KERAS", "MXNET", "ONNX", "TFLITE", "DARKNET"}
_NAMED_OR_LISTED = {"PYTORCH"}
_NO_INPUT_CONFIG = {"XGBOOST"}
_LAYOUT = {"TENSORFLOW": "NHWC", "KERAS": "NHWC", "TFLITE": "NHWC", "MXNET": "NCHW", "ONNX": "NCHW",
           "PYTORCH": "NCHW", "DARKNET": "NCHW"}

EntityName = Annotated[
    str,
    Field(min_length=1, max_length=63),
    AfterValidator(lambda v: check_pattern(
        v, r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        "must start and end with a letter or digit and contain only letters, digits and hyphens")),
]


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in value
    )


def _is_shape_or_shapes(value: Any) -> bool:
    return _is_shape(value) or (isinstance(value, list) and bool(value) and all(_is_shape(s) for s in value))


def parse_data_input_config(framework: str, text: str | None) -> dict[str, list[int]] | list[list[int]] | None:
    """Check DataInputConfig against the framework's form; return the parsed JSON."""
    if framework in _NO_INPUT_CONFIG:
        if text is not None:
            raise ValueError(f"must be omitted for {framework}: input names and shapes are not needed")
        return None
    if text is None:
        if framework == "SKLEARN":
            return None
        raise ValueError(f"is required for {framework}: the name and shape of each input as JSON")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"must be JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise ValueError("is nested too deeply: shapes are lists of integers") from None
    layout = _LAYOUT.get(framework, "")
    named = f'a JSON object of input name -> shape ({layout}), e.g. {{"data": [1,3,224,224]}}'
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"must name at least one input: {named}")
        bad = [k for k, v in value.items() if not _is_shape_or_shapes(v)]
        if bad:
            raise ValueError(f"shape of input {bad[0]!r} must be a list of positive integers")
        return value
    if isinstance(value, list) and framework in _NAMED_OR_LISTED:
        if not value or not all(_is_shape(s) for s in value):
            raise ValueError("for PYTORCH a list form must be a list of shapes, e.g. [[1,3,224,224]]")
        return value
    extra = " or a list of shapes" if framework in _NAMED_OR_LISTED else ""
    raise ValueError(f"for {framework} must be {named}{extra}")


def _s3_or_local_uri(value: str) -> str:
    if value.startswith("file://"):
        return value  # local mode only; checked against `mode` on the job
    return check_pattern(value, _S3_URI, "must be an s3:// URI (or file:// in local mode)")


S3Uri = Annotated[str, Field(max_length=1024), AfterValidator(_s3_or_local_uri)]


def _model_archive(value: str) -> str:
    if not value.endswith(".tar.gz"):
        raise ValueError("must point to a single gzip-compressed tar archive ending in .tar.gz")
    return value


class InputConfig(Model):
    """The model to compile: where it is, its framework and the shape of its inputs."""

    framework: Framework
    """The framework the model was trained with."""
    s3_uri: Annotated[S3Uri, AfterValidator(_model_archive)]
    """The model: one gzip-compressed tar archive ending in `.tar.gz`, in S3 (`file://` in local
    mode)."""
    data_input_config: Annotated[str, Field(min_length=1, max_length=16384)] | None = None
    """JSON naming each input and its shape, in the framework's form: `{"data": [1,3,224,224]}`
    (NCHW for ONNX, MXNet and PyTorch; NHWC for TensorFlow, Keras and TFLite); PyTorch also takes
    a list of shapes; omitted for XGBoost."""
    framework_version: Annotated[
        str, Field(min_length=3, max_length=10),
        AfterValidator(lambda v: check_pattern(v, r"[0-9]\.[A-Za-z0-9.]+", "must look like 1.15 or 2.0.1")),
    ] | None = None
    """The framework's version, e.g. `1.15` or `2.0.1`; omitted means Neo's default."""

    @field_validator("data_input_config")
    @classmethod
    def _framework_form(cls, value: str | None, info: ValidationInfo) -> str | None:
        framework = info.data.get("framework")
        if framework is not None:
            parse_data_input_config(framework, value)
        return value

    @model_validator(mode="after")
    def _required_inputs(self) -> InputConfig:
        if self.data_input_config is None:
            try:
                parse_data_input_config(self.framework, None)
            except ValueError as exc:
                raise ValueError(f"dataInputConfig {exc}") from None
        return self


class TargetPlatform(Model):
    """A platform to compile for when no `targetDevice` fits: operating system, architecture and
    accelerator."""

    os: Literal["ANDROID", "LINUX"]
    """The operating system."""
    arch: Literal["X86_64", "X86", "ARM64", "ARM_EABI", "ARM_EABIHF"]
    """The processor architecture."""
    accelerator: Literal["INTEL_GRAPHICS", "MALI", "NVIDIA", "NNA"] | None = None
    """The accelerator, if any."""


class OutputConfig(Model):
    """Where the compiled model goes and what it is compiled for."""

    s3_output_location: S3Uri
    """The S3 prefix the compiled artifact is written under (a `file://` directory in local
    mode)."""
    target_device: TargetDevice | None = None
    """The device to compile for; exactly one of `targetDevice` and `targetPlatform`."""
    target_platform: TargetPlatform | None = None
    """The platform to compile for; exactly one of `targetDevice` and `targetPlatform`."""
    compiler_options: Annotated[str, Field(min_length=3, max_length=1024)] | None = None
    """Target-specific compiler options, as the API reference describes them per target (often
    JSON, e.g. `{"mcpu": "skylake-avx512"}`)."""
    kms_key_id: Annotated[
        str, Field(max_length=2048),
        AfterValidator(lambda v: check_pattern(v, r"[a-zA-Z0-9:/_-]*", "must be a KMS key id, alias or ARN")),
    ] | None = None
    """The KMS key (ID, alias or ARN) that encrypts the compiled artifact in S3."""

    @model_validator(mode="after")
    def _one_target(self) -> OutputConfig:
        if (self.target_device is None) == (self.target_platform is None):
            raise ValueError("needs exactly one of targetDevice or targetPlatform")
        return self


_NetworkId = Annotated[
    str, Field(max_length=32),
    AfterValidator(lambda v: check_pattern(v, r"[-0-9a-zA-Z]+", "may contain only letters, digits and hyphens")),
]


class VpcConfig(Model):
    """The VPC the compilation runs in."""

    security_group_ids: Annotated[tuple[_NetworkId, ...], Field(min_length=1, max_length=5)]
    """Security group IDs (`sg-...`); a set: order never matters."""
    subnets: Annotated[tuple[_NetworkId, ...], Field(min_length=1, max_length=16)]
    """Subnet IDs (`subnet-...`); a set: order never matters."""


def _at_most_28_days(seconds: int) -> int:
    if seconds > MAX_RUNTIME_SECONDS:
        raise ValueError(f"must be at most {MAX_RUNTIME_SECONDS} seconds (28 days), got {seconds}")
    return seconds


class StoppingCondition(Model):
    """Time limits of the job."""

    max_runtime_in_seconds: Annotated[int, Field(ge=1), AfterValidator(_at_most_28_days)] | None = None
    """The longest the compilation may run, at most 28 days (the service's default: 1 day). Create
    waits this long plus 5 minutes."""
    max_wait_time_in_seconds: Annotated[int, Field(ge=1)] | None = None
    """The longest to wait for managed spot capacity (passed on to the service)."""
    max_pending_time_in_seconds: Annotated[int, Field(ge=7200, le=MAX_RUNTIME_SECONDS)] | None = None
    """The longest the job may stay pending for capacity: 2 hours to 28 days."""


class CompilationJobSpec(Model):
    """The inputs of a Neo compilation job. Jobs are immutable: changing any input but `tags` and
    `deleteArtifacts` replaces the job."""

    compilation_job_name: EntityName
    """The job's name, unique in the account and region: letters, digits and hyphens, starting and
    ending with a letter or digit. A Pulumi program may omit it (`<logical name>-<random>`); a
    `sagemaker-reconcile` manifest must set it."""
    role_arn: Annotated[
        str, Field(min_length=20, max_length=2048),
        AfterValidator(lambda v: check_pattern(v, _ROLE_ARN, "must be an IAM role ARN: arn:aws:iam::<account>:role/<name>")),
    ]
    """The IAM role SageMaker assumes to read the model and write the artifact."""
    model_package_version_arn: Annotated[
        str, Field(min_length=1, max_length=2048),
        AfterValidator(lambda v: check_pattern(v, _MODEL_PACKAGE_ARN, "must be a SageMaker model-package ARN")),
    ] | None = None
    """A versioned model package to compile; exactly one of `modelPackageVersionArn` and
    `inputConfig`."""
    input_config: InputConfig | None = None
    """The model to compile; exactly one of `inputConfig` and `modelPackageVersionArn`."""
    output_config: OutputConfig
    """Where the compiled model goes and what it is compiled for."""
    vpc_config: VpcConfig | None = None
    """The VPC the compilation runs in."""
    stopping_condition: StoppingCondition | None = None
    """Time limits of the job."""
    tags: Annotated[dict[str, str], AfterValidator(check_tags)] | None = None
    """Tags: at most 50; keys of 1-128 characters without the `aws:` prefix, values of at most
    256. Changed in place (AddTags/DeleteTags). Omitted: tags are not managed (not read, not
    compared); `{}` manages them as none."""
    mode: Literal["cloud", "local"] = "cloud"
    """`cloud` compiles with SageMaker Neo; `local` compiles on this machine with Apache TVM
    (`file://` paths allowed). This provider's own input."""
    delete_artifacts: bool = False
    """Delete the compiled artifact when the job is deleted (kept by default). This provider's own
    input: changes in place."""
    verify: bool = False
    """Local mode: run the x86 artifact on seeded random inputs and compare with onnxruntime; a
    mismatch fails the resource with the max error. This provider's own input."""
    tuning_trials: Annotated[int, Field(ge=0, le=100_000)] = 0
    """Local mode: the tuning budget in measured trials (0 = the default schedules, no tuning); a
    tuning database is reused across compiles. The short form of `tuning.trials`. This provider's own
    input."""
    tuning: Tuning | None = None
    """Local mode: the tuning budget and where candidates are measured: this host (absent), or the
    boards registered with a TVM RPC tracker under a key. This provider's own input."""

    def to_create_request(self) -> dict[str, Any]:
        """CreateCompilationJob parameters (PascalCase), exactly what was declared."""
        api_props = self.model_dump(by_alias=True, exclude_none=True, mode="json",
                                    exclude={"tags", "mode", "delete_artifacts", "verify", "tuning_trials", "tuning"})
        request = api_shape(api_props)
        request.setdefault("StoppingCondition", {})
        if self.tags:
            request["Tags"] = tag_list(self.tags)
        return request


def _cross_field_violations(spec: CompilationJobSpec) -> list[Violation]:
    found = []
    if (spec.input_config is None) == (spec.model_package_version_arn is None):
        found.append(Violation("inputConfig", "needs exactly one of inputConfig or modelPackageVersionArn"))
    if spec.mode == "cloud":
        locations = {"outputConfig.s3OutputLocation": spec.output_config.s3_output_location}
        if spec.input_config:
            locations["inputConfig.s3Uri"] = spec.input_config.s3_uri
        for field, uri in locations.items():
            if uri.startswith("file://"):
                found.append(Violation(field, "file:// locations need mode: local; cloud mode reads and writes S3"))
    local_only = [name for name, used in (("verify", spec.verify), ("tuningTrials", spec.tuning_trials),
                                          ("tuning", spec.tuning and spec.tuning.trials)) if used]
    if spec.mode == "cloud":
        found.extend(Violation(name, "applies only to mode: local") for name in local_only)
    else:
        found.extend(_local_mode_violations(spec))
    return found


def _local_mode_violations(spec: CompilationJobSpec) -> list[Violation]:
    """What local mode cannot serve is refused at check time, not at deploy time (pure: no tvm)."""
    from provider.local_compile.frontends import check_framework
    from provider.local_compile.targets import resolve_target
    from provider.local_compile.verify import check_verifiable

    if spec.input_config is None:
        return [Violation("modelPackageVersionArn", "local mode compiles a model archive: use inputConfig")]
    found: list[Violation] = []
    output = spec.output_config
    try:
        target = resolve_target(output.target_device,
                                output.target_platform.to_props() if output.target_platform else None,
                                output.compiler_options)
    except SpecError as exc:
        return exc.violations
    try:
        check_framework(spec.input_config.framework)
        if spec.verify:
            check_verifiable(spec.input_config.framework, target)
    except SpecError as exc:
        found.extend(exc.violations)
    found.extend(tuning_violations(spec.tuning, spec.tuning_trials, target))
    return found


def parse_compilation_job(props: Mapping[str, Any]) -> CompilationJobSpec:
    """Validate CompilationJob properties (camelCase or snake_case) or raise SpecError naming each field."""
    spec = parse_spec(CompilationJobSpec, props, resource="CompilationJob")
    violations = _cross_field_violations(spec)
    if violations:
        raise SpecError("CompilationJob", violations)
    return spec
