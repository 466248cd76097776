"""Desired state of a SageMaker Neo CompilationJob, with CreateCompilationJob's rules.

Jobs are immutable: every input here forces a replacement when it changes.
`mode`, `deleteArtifacts` (and the local-compile knobs) are this provider's own
inputs, not API members.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, ValidationError, model_validator
from pydantic.alias_generators import to_snake

from sagemaker_reconciler.errors import SpecError, Violation
from sagemaker_reconciler.local_paths import check_file_uri, file_uri_path
from sagemaker_reconciler.specs._base import Model, check_pattern, integral_floats_to_int, violations_from
from sagemaker_reconciler.specs._tags import check_tags
from sagemaker_reconciler.specs.data_input import COREML_TARGET, FRAMEWORK_LAYOUT, parse_data_input_config
from sagemaker_reconciler.specs.tuning import Tuning, tuning_violations

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
    "FRAMEWORK_LAYOUT",
]

# The TargetDevice enum of the current botocore model (a unit test keeps the two equal).
TARGET_DEVICES = (
    "lambda",
    "ml_m4",
    "ml_m5",
    "ml_m6g",
    "ml_c4",
    "ml_c5",
    "ml_c6g",
    "ml_p2",
    "ml_p3",
    "ml_g4dn",
    "ml_inf1",
    "ml_inf2",
    "ml_trn1",
    "ml_eia2",
    "jetson_tx1",
    "jetson_tx2",
    "jetson_nano",
    "jetson_xavier",
    "rasp3b",
    "rasp4b",
    "imx8qm",
    "deeplens",
    "rk3399",
    "rk3288",
    "aisage",
    "sbe_c",
    "qcs605",
    "qcs603",
    "sitara_am57x",
    "amba_cv2",
    "amba_cv22",
    "amba_cv25",
    "x86_win32",
    "x86_win64",
    "coreml",
    "jacinto_tda4vm",
    "imx8mplus",
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

MAX_PENDING_SECONDS = 28 * 24 * 3600
JAVA_INT_MAX = 2**31 - 1  # the model's `integer` is a Java int: a larger JSON number is refused
ONE_LINE = "must be one line: no line breaks (\\n, \\r, U+0085, U+2028, U+2029)"

EntityName = Annotated[
    str,
    Field(min_length=1, max_length=63),
    AfterValidator(
        lambda v: check_pattern(
            v,
            r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
            "must start and end with a letter or digit and contain only letters, digits and hyphens",
        )
    ),
]


def _s3_or_local_uri(value: str) -> str:
    if value.startswith("file://"):
        file_uri_path(value)  # a host part is an error (sagemaker_reconciler.local_paths)
        return value  # local mode only; checked against `mode` on the job
    return check_pattern(value, _S3_URI, "must be an s3:// URI (or file:// in local mode)")


S3Uri = Annotated[str, Field(max_length=1024), AfterValidator(_s3_or_local_uri)]


def _model_archive(value: str) -> str:
    if not value.endswith(".tar.gz"):
        raise ValueError("must point to a single gzip-compressed tar archive ending in .tar.gz")
    return check_file_uri(value, output=False) if value.startswith("file://") else value


def _output_location(value: str) -> str:
    return check_file_uri(value, output=True) if value.startswith("file://") else value


class InputConfig(Model):
    """The model to compile: where it is, its framework and the shape of its inputs."""

    framework: Framework
    """The framework the model was trained with."""
    s3_uri: Annotated[S3Uri, AfterValidator(_model_archive)]
    """The model: one gzip-compressed tar archive ending in `.tar.gz`, in S3 (`file://` in local
    mode)."""
    data_input_config: Annotated[str, Field(min_length=1, max_length=16384)] | None = None
    """JSON naming each input and its shape, in the framework's form: `{"data": [1,3,224,224]}`
    (NCHW for ONNX, MXNet, Keras and PyTorch; NHWC for TensorFlow and TFLite); PyTorch also takes
    a list of shapes; for targetDevice `coreml`, CoreML inputs (`{"input_1": {"shape": ["1..10",
    224, 224, 3], "default_shape": [1,224,224,3]}}`); not needed for XGBoost, TFLite and sklearn."""
    framework_version: (
        Annotated[
            str,
            Field(min_length=3, max_length=10),
            AfterValidator(lambda v: check_pattern(v, r"[0-9]\.[A-Za-z0-9.]+", "must look like 1.15 or 2.0.1")),
        ]
        | None
    ) = None
    """The framework's version, e.g. `1.15` or `2.0.1`; omitted means Neo's default."""


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

    s3_output_location: Annotated[S3Uri, AfterValidator(_output_location)]
    """The S3 prefix the compiled artifact is written under (a `file://` directory in local
    mode)."""
    target_device: TargetDevice | None = None
    """The device to compile for; exactly one of `targetDevice` and `targetPlatform`."""
    target_platform: TargetPlatform | None = None
    """The platform to compile for; exactly one of `targetDevice` and `targetPlatform`."""
    compiler_options: (
        Annotated[str, Field(min_length=3, max_length=1024), AfterValidator(lambda v: check_pattern(v, ".*", ONE_LINE))]
        | None
    ) = None
    """Target-specific compiler options, as the API reference describes them per target (often
    JSON, e.g. `{"mcpu": "skylake-avx512"}`)."""
    kms_key_id: (
        Annotated[
            str,
            Field(max_length=2048),
            AfterValidator(lambda v: check_pattern(v, r"[a-zA-Z0-9:/_-]*", "must be a KMS key id, alias or ARN")),
        ]
        | None
    ) = None
    """The KMS key (ID, alias or ARN) that encrypts the compiled artifact in S3."""

    @model_validator(mode="after")
    def _one_target(self) -> OutputConfig:
        if (self.target_device is None) == (self.target_platform is None):
            raise ValueError("needs exactly one of targetDevice or targetPlatform")
        return self


_NetworkId = Annotated[
    str,
    Field(max_length=32),
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

    max_runtime_in_seconds: Annotated[StrictInt, Field(ge=1), AfterValidator(_at_most_28_days)] | None = None
    """The longest the compilation may run, at most 28 days (the service's default: 1 day). Create
    waits this long plus 5 minutes."""
    max_wait_time_in_seconds: Annotated[StrictInt, Field(ge=1, le=JAVA_INT_MAX)] | None = None
    """The longest to wait for managed spot capacity plus the run itself, at least
    `maxRuntimeInSeconds` (passed on to the service)."""
    max_pending_time_in_seconds: Annotated[StrictInt, Field(ge=1800, le=MAX_PENDING_SECONDS)] | None = None
    """The longest the job may stay pending for capacity: 30 minutes to 28 days."""


class CompilationJobSpec(Model):
    """The inputs of a Neo compilation job. Jobs are immutable: changing any input but `tags` and
    `deleteArtifacts` replaces the job."""

    compilation_job_name: EntityName
    """The job's name, unique in the account and region: letters, digits and hyphens, starting and
    ending with a letter or digit. A Pulumi program may omit it (`<logical name>-<random>`); a
    `sagemaker-reconcile` manifest must set it."""
    role_arn: Annotated[
        str,
        Field(min_length=20, max_length=2048),
        AfterValidator(
            lambda v: check_pattern(v, _ROLE_ARN, "must be an IAM role ARN: arn:aws:iam::<account>:role/<name>")
        ),
    ]
    """The IAM role SageMaker assumes to read the model and write the artifact."""
    model_package_version_arn: (
        Annotated[
            str,
            Field(min_length=1, max_length=2048),
            AfterValidator(lambda v: check_pattern(v, _MODEL_PACKAGE_ARN, "must be a SageMaker model-package ARN")),
        ]
        | None
    ) = None
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
    delete_artifacts: StrictBool = False
    """Delete the compiled artifact when the job is deleted (kept by default). This provider's own
    input: changes in place."""
    verify: StrictBool = False
    """Local mode: run the x86 artifact on seeded random inputs and compare with onnxruntime; a
    mismatch fails the resource with the max error. This provider's own input."""
    tuning_trials: Annotated[StrictInt, Field(ge=0, le=100_000)] = 0
    """Local mode: the tuning budget in measured trials (0 = the default schedules, no tuning); a
    tuning database is reused across compiles. The short form of `tuning.trials`. This provider's own
    input."""
    tuning: Tuning | None = None
    """Local mode: the tuning budget and where candidates are measured: this host (absent), or the
    boards registered with a TVM RPC tracker under a key. This provider's own input."""

    def to_create_request(self) -> dict[str, Any]:
        """CreateCompilationJob parameters (PascalCase), exactly what was declared (built in compilation_job_api)."""
        from sagemaker_reconciler.specs.compilation_job_api import create_request

        return create_request(self)


_INVALID: Any = object()  # a block that failed its own checks: already reported, not checked again here


def _member(props: Mapping[str, Any], name: str) -> Any:
    """A property by its camelCase or snake_case name (parse accepts both)."""
    return props[name] if name in props else props.get(to_snake(name))


def _part(model: type[Model], value: Any) -> Any:
    """A block validated alone, so cross-field rules still run when another block is wrong."""
    if value is None:
        return None
    try:
        return model.model_validate(value)
    except (ValidationError, TypeError):
        return _INVALID


def _cross_field_violations(props: Mapping[str, Any]) -> list[Violation]:
    """The rules between members, each checked when the members it needs are themselves valid."""
    inputs = _part(InputConfig, _member(props, "inputConfig"))
    outputs = _part(OutputConfig, _member(props, "outputConfig"))
    stopping = _part(StoppingCondition, _member(props, "stoppingCondition"))
    package = _member(props, "modelPackageVersionArn")
    mode = _member(props, "mode") or "cloud"
    verify = _member(props, "verify") is True
    trials = _member(props, "tuningTrials")
    tuning = _part(Tuning, _member(props, "tuning"))
    found = []
    if (inputs is None) == (package is None):
        found.append(Violation("inputConfig", "needs exactly one of inputConfig or modelPackageVersionArn"))
    if inputs not in (None, _INVALID):
        found.extend(_data_input_violations(inputs, outputs, _member(props, "outputConfig")))
    if stopping not in (None, _INVALID):
        found.extend(_stopping_violations(stopping))
    if mode == "cloud":
        locations = {}
        if outputs not in (None, _INVALID):
            locations["outputConfig.s3OutputLocation"] = outputs.s3_output_location
        if inputs not in (None, _INVALID):
            locations["inputConfig.s3Uri"] = inputs.s3_uri
        for field, uri in locations.items():
            if uri.startswith("file://"):
                found.append(Violation(field, "file:// locations need mode: local; cloud mode reads and writes S3"))
        used = [
            ("verify", verify),
            ("tuningTrials", isinstance(trials, int) and trials > 0),
            ("tuning", tuning not in (None, _INVALID) and (tuning.trials > 0 or tuning.max_minutes > 0)),
        ]
        found.extend(Violation(name, "applies only to mode: local") for name, on in used if on)
    elif mode == "local" and outputs not in (None, _INVALID) and inputs is not _INVALID:
        budget = trials if isinstance(trials, int) and not isinstance(trials, bool) else 0
        found.extend(_local_mode_violations(inputs, outputs, verify, None if tuning is _INVALID else tuning, budget))
    return found


def _data_input_violations(inputs: InputConfig, outputs: Any, raw_outputs: Any) -> list[Violation]:
    if outputs is _INVALID:  # the target still decides the form, if it was given plainly
        target = _member(raw_outputs, "targetDevice") if isinstance(raw_outputs, Mapping) else None
        if not isinstance(target, str) and not (
            isinstance(raw_outputs, Mapping) and _member(raw_outputs, "targetPlatform") is not None
        ):
            target = COREML_TARGET  # not known (yet): check only what every target's form shares
    else:
        target = outputs.target_device if outputs is not None else None
    try:
        parse_data_input_config(inputs.framework, inputs.data_input_config, target)
    except ValueError as exc:
        return [Violation("inputConfig.dataInputConfig", str(exc))]
    return []


def _stopping_violations(stopping: StoppingCondition) -> list[Violation]:
    runtime, wait = stopping.max_runtime_in_seconds, stopping.max_wait_time_in_seconds
    if runtime is not None and wait is not None and wait < runtime:
        return [
            Violation(
                "stoppingCondition.maxWaitTimeInSeconds",
                f"must be at least maxRuntimeInSeconds ({runtime}), got {wait}",
            )
        ]
    return []


def _local_mode_violations(
    inputs: InputConfig | None, output: OutputConfig, verify: bool, tuning: Tuning | None, tuning_trials: int
) -> list[Violation]:
    """What local mode cannot serve is refused at check time, not at deploy time (pure: no tvm)."""
    from sagemaker_reconciler.local_compile.frontends import check_framework
    from sagemaker_reconciler.local_compile.targets import resolve_target
    from sagemaker_reconciler.local_compile.verify import check_verifiable

    if inputs is None:
        return [Violation("modelPackageVersionArn", "local mode compiles a model archive: use inputConfig")]
    found: list[Violation] = []
    try:
        target = resolve_target(
            output.target_device,
            output.target_platform.to_props() if output.target_platform else None,
            output.compiler_options,
        )
    except SpecError as exc:
        return exc.violations
    try:
        check_framework(inputs.framework)
        if verify:
            check_verifiable(inputs.framework, target)
    except SpecError as exc:
        found.extend(exc.violations)
    found.extend(tuning_violations(tuning, tuning_trials, target))
    return found


def parse_compilation_job(props: Mapping[str, Any]) -> CompilationJobSpec:
    """Validate CompilationJob properties (camelCase or snake_case) or raise SpecError naming every broken rule."""
    raw = integral_floats_to_int(dict(props))
    try:
        spec = CompilationJobSpec.model_validate(raw)
        violations = []
    except ValidationError as exc:
        spec, violations = None, violations_from(exc)
    seen = {(v.field, v.rule) for v in violations}
    violations += [v for v in _cross_field_violations(raw) if (v.field, v.rule) not in seen]
    if violations or spec is None:
        raise SpecError("CompilationJob", violations)
    return spec
