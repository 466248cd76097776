"""SageMaker Neo target names -> TVM targets and the linker that builds the artifact.

Pure data and lookups: no tvm, boto3 or pulumi import, so the spec check can
reject an unservable target before anything heavy is loaded ("clear error at
check time, not at deploy time").

Every TVM target is the JSON (dict) form: TVM 0.27 removed the CLI-string form,
and a bare ``llvm`` defaults to the triple TVM itself was built with
(``x86_64-conda-linux-gnu``), so every LLVM target here names its ``mtriple``.
A CUDA target carries its LLVM host, which also names its ``mtriple``.

Cross-linking uses the Debian cross toolchains; ``cross_compiler`` is ``None``
when the artifact is linked with the native ``g++`` (x86_64 hosts).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sagemaker_reconciler.errors import SpecError, UnsupportedTarget, Violation
from sagemaker_reconciler.specs.compilation_job import TARGET_DEVICES

__all__ = [
    "ALL_TARGET_DEVICES",
    "TARGET_DEVICE_FIELD",
    "TARGET_PLATFORM_FIELD",
    "COMPILER_OPTIONS_FIELD",
    "ElfMachine",
    "TargetSpec",
    "ResolvedTarget",
    "UnsupportedTarget",
    "DEVICE_TABLE",
    "UNSUPPORTED_DEVICES",
    "PLATFORM_ARCHES",
    "resolve_target",
    "parse_compiler_options",
]

TARGET_DEVICE_FIELD = "outputConfig.targetDevice"
TARGET_PLATFORM_FIELD = "outputConfig.targetPlatform"
COMPILER_OPTIONS_FIELD = "outputConfig.compilerOptions"
_RESOURCE = "CompilationJob"

# The TargetDevice enum of the SageMaker API, kept in one place (a unit test keeps it equal to botocore's).
ALL_TARGET_DEVICES: tuple[str, ...] = TARGET_DEVICES


@dataclass(frozen=True)
class ElfMachine:
    """The ELF ``e_machine`` a correctly linked artifact carries (checked by tests and callers)."""

    name: str
    code: int


X86_64 = ElfMachine("x86_64", 62)
I386 = ElfMachine("i386", 3)
AARCH64 = ElfMachine("aarch64", 183)
ARM = ElfMachine("arm", 40)


@dataclass(frozen=True)
class TargetSpec:
    """One row of the table: how to build for a device; ``tvm_target`` is never mutated."""

    tvm_target: Mapping[str, Any] = field(hash=False)
    cross_compiler: str | None
    debian_package: str | None
    elf_machine: ElfMachine
    note: str = ""


@dataclass(frozen=True)
class ResolvedTarget:
    """A target ready for the backend: options applied, label usable in file names."""

    label: str
    tvm_target: dict[str, Any] = field(hash=False)
    cross_compiler: str | None
    debian_package: str | None
    elf_machine: ElfMachine
    input_dtype: str | None = None

    @property
    def kind(self) -> str:
        return str(self.tvm_target["kind"])

    @property
    def is_cuda(self) -> bool:
        return self.kind == "cuda"

    @property
    def host_target(self) -> dict[str, Any]:
        """The LLVM target of the CPU that loads the artifact."""
        return dict(self.tvm_target.get("host", self.tvm_target))

    @property
    def runs_on_this_kind_of_machine(self) -> bool:
        """True for plain x86_64 CPU artifacts: those can be run here (verify, tuning)."""
        return not self.is_cuda and self.elf_machine == X86_64

    def canonical_json(self) -> str:
        """Stable text of the target, part of the cache key."""
        return json.dumps(self.tvm_target, sort_keys=True, separators=(",", ":"))


def _x86(mcpu: str, note: str = "") -> TargetSpec:
    return TargetSpec({"kind": "llvm", "mtriple": "x86_64-linux-gnu", "mcpu": mcpu}, None, None, X86_64, note)


def _aarch64(mcpu: str, note: str = "") -> TargetSpec:
    target = {"kind": "llvm", "mtriple": "aarch64-linux-gnu", "mcpu": mcpu, "mattr": ["+neon"]}
    return TargetSpec(target, "aarch64-linux-gnu-g++", "g++-aarch64-linux-gnu", AARCH64, note)


def _armv7_hf(triple: str, mcpu: str, mattr: list[str], note: str = "") -> TargetSpec:
    # Without mfloat-abi=hard the runtime object TVM builds (devc.o) is soft-float
    # and the hard-float link fails ("uses VFP register arguments").
    target = {"kind": "llvm", "mtriple": triple, "mcpu": mcpu, "mattr": mattr, "mfloat-abi": "hard"}
    return TargetSpec(target, "arm-linux-gnueabihf-g++", "g++-arm-linux-gnueabihf", ARM, note)


def _cuda(arch: str, host: TargetSpec, note: str = "") -> TargetSpec:
    # CUDA kernels are stored as source in the library and JIT-compiled on the device.
    target = {"kind": "cuda", "arch": arch, "host": dict(host.tvm_target)}
    return TargetSpec(target, host.cross_compiler, host.debian_package, host.elf_machine, note)


DEVICE_TABLE: Mapping[str, TargetSpec] = {
    # x86 instance families (mcpu = the family's CPU generation)
    "ml_c4": _x86("haswell", "Xeon E5-2666 v3"),
    "ml_m4": _x86("broadwell", "Xeon E5-2686 v4"),
    "ml_c5": _x86("skylake-avx512", "Xeon Platinum 8000 (Skylake/Cascade Lake)"),
    "ml_m5": _x86("skylake-avx512", "Xeon Platinum 8000 (Skylake/Cascade Lake)"),
    "lambda": _x86("x86-64-v2", "Lambda runs on mixed CPU generations: portable code"),
    "sbe_c": _x86("core-avx2", "Snowball Edge compute (Xeon D)"),
    "deeplens": _x86("goldmont", "DeepLens Atom E3930; CPU only, its Intel GPU is not served"),
    # Graviton2
    "ml_m6g": _aarch64("neoverse-n1", "Graviton2"),
    "ml_c6g": _aarch64("neoverse-n1", "Graviton2"),
    # boards, aarch64
    "rasp4b": _aarch64("cortex-a72", "64-bit OS, as TVM's raspberry-pi/4b-aarch64 tag"),
    "rk3399": _aarch64("cortex-a72", "big.LITTLE A72+A53; same ISA"),
    "imx8qm": _aarch64("cortex-a72", "A72+A53; CPU only"),
    "imx8mplus": _aarch64("cortex-a53", "CPU only, its NPU is not served"),
    "aisage": _aarch64("cortex-a53", "CPU only"),
    "jacinto_tda4vm": _aarch64("cortex-a72", "CPU only, its DSP/MMA is not served"),
    # boards, armv7 hard float
    "rasp3b": _armv7_hf("armv7l-linux-gnueabihf", "cortex-a53", ["+neon"], "32-bit Raspberry Pi OS"),
    "rk3288": _armv7_hf("armv7a-linux-gnueabihf", "cortex-a17", ["+neon", "+vfp4"]),
    "sitara_am57x": _armv7_hf("armv7a-linux-gnueabihf", "cortex-a15", ["+neon", "+vfp4"], "CPU only"),
    # NVIDIA Jetson: CUDA with an aarch64 host
    "jetson_nano": _cuda("sm_53", _aarch64("cortex-a57"), "Maxwell"),
    "jetson_tx1": _cuda("sm_53", _aarch64("cortex-a57"), "Maxwell"),
    "jetson_tx2": _cuda("sm_62", _aarch64("cortex-a57"), "Pascal; Denver2+A57 host"),
    "jetson_xavier": _cuda("sm_72", _aarch64("carmel"), "Volta"),
    # NVIDIA instances: CUDA with an x86 host
    "ml_p3": _cuda("sm_70", _x86("broadwell"), "V100"),
    "ml_g4dn": _cuda("sm_75", _x86("skylake-avx512"), "T4"),
}

UNSUPPORTED_DEVICES: Mapping[str, str] = {
    "ml_inf1": "AWS Inferentia needs the Neuron compiler",
    "ml_inf2": "AWS Inferentia2 needs the Neuron compiler",
    "ml_trn1": "AWS Trainium needs the Neuron compiler",
    "ml_eia2": "Elastic Inference accelerators have no TVM backend",
    "ml_p2": "the K80 (sm_37) is not supported by the CUDA runtime TVM 0.27 ships with",
    "coreml": "Core ML models are produced by Apple's converter, not TVM",
    "amba_cv2": "Ambarella CVflow needs Ambarella's toolchain",
    "amba_cv22": "Ambarella CVflow needs Ambarella's toolchain",
    "amba_cv25": "Ambarella CVflow needs Ambarella's toolchain",
    "x86_win32": "Windows DLLs cannot be linked with the Linux toolchain",
    "x86_win64": "Windows DLLs cannot be linked with the Linux toolchain",
    "qcs605": "Qualcomm Android targets need the Android NDK and Hexagon SDK",
    "qcs603": "Qualcomm Android targets need the Android NDK and Hexagon SDK",
}

# TargetPlatform (os LINUX only) -> the generic CPU row for its Arch.
PLATFORM_ARCHES: Mapping[str, TargetSpec] = {
    "X86_64": _x86("x86-64-v2"),
    "X86": TargetSpec(
        {"kind": "llvm", "mtriple": "i686-linux-gnu", "mcpu": "pentium4"},
        "i686-linux-gnu-g++",
        "g++-i686-linux-gnu",
        I386,
    ),
    "ARM64": _aarch64("generic"),
    "ARM_EABIHF": _armv7_hf("armv7a-linux-gnueabihf", "generic", ["+neon"]),
    "ARM_EABI": TargetSpec(
        {"kind": "llvm", "mtriple": "armv7a-linux-gnueabi", "mcpu": "generic", "mfloat-abi": "soft"},
        "arm-linux-gnueabi-g++",
        "g++-arm-linux-gnueabi",
        ARM,
    ),
}
_UNSUPPORTED_ACCELERATORS = {
    "INTEL_GRAPHICS": "the TVM wheel has no OpenCL/Vulkan runtime for Intel graphics",
    "MALI": "the TVM wheel has no OpenCL runtime for Mali",
    "NNA": "neural-network accelerators need their vendor's toolchain",
}

# Neo compiler options local mode understands; TensorRT/CUDA versions only matter
# to Neo's own runtime and are accepted so a spec works in both modes.
_KNOWN_OPTIONS = {"mcpu", "mattr", "gpu-code", "trt-ver", "cuda-ver", "dtype", "data_type"}


def parse_compiler_options(compiler_options: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """CompilerOptions is a JSON string in the API; accept the parsed dict too."""
    if compiler_options is None or compiler_options == "":
        return {}
    if isinstance(compiler_options, str):
        try:
            parsed = json.loads(compiler_options)
        except json.JSONDecodeError as exc:
            raise SpecError(
                _RESOURCE, [Violation(COMPILER_OPTIONS_FIELD, f"must be a JSON object ({exc.msg})")]
            ) from None
    else:
        parsed = dict(compiler_options)
    if not isinstance(parsed, dict):
        raise SpecError(_RESOURCE, [Violation(COMPILER_OPTIONS_FIELD, "must be a JSON object")])
    unknown = sorted(set(parsed) - _KNOWN_OPTIONS)
    if unknown:
        allowed = ", ".join(sorted(_KNOWN_OPTIONS))
        raise SpecError(
            _RESOURCE,
            [Violation(COMPILER_OPTIONS_FIELD, f"local mode does not understand {unknown}; it accepts {allowed}")],
        )
    return parsed


def _apply_cpu_options(target: dict[str, Any], options: Mapping[str, Any]) -> None:
    cpu = target["host"] if target["kind"] == "cuda" else target
    if "mcpu" in options:
        cpu["mcpu"] = str(options["mcpu"])
    if "mattr" in options:
        mattr = options["mattr"]
        cpu["mattr"] = [a.strip() for a in mattr.split(",")] if isinstance(mattr, str) else [str(a) for a in mattr]


def _input_dtype(options: Mapping[str, Any]) -> str | None:
    value = options.get("dtype", options.get("data_type"))
    return None if value is None else str(value)


def _resolve_device(device: str, options: Mapping[str, Any]) -> ResolvedTarget:
    if device in UNSUPPORTED_DEVICES:
        raise UnsupportedTarget(TARGET_DEVICE_FIELD, device, UNSUPPORTED_DEVICES[device])
    spec = DEVICE_TABLE.get(device)
    if spec is None:
        if device in ALL_TARGET_DEVICES:  # a new enum value nobody mapped yet
            raise UnsupportedTarget(TARGET_DEVICE_FIELD, device, "it has no entry in the local target table")
        raise SpecError(
            _RESOURCE,
            [Violation(TARGET_DEVICE_FIELD, f"{device!r} is not a SageMaker TargetDevice")],
        )
    target = copy.deepcopy(dict(spec.tvm_target))
    if target["kind"] == "cuda" and "gpu-code" in options:
        target["arch"] = str(options["gpu-code"])
    _apply_cpu_options(target, options)
    return ResolvedTarget(
        device, target, spec.cross_compiler, spec.debian_package, spec.elf_machine, _input_dtype(options)
    )


def _resolve_platform(platform: Mapping[str, Any], options: Mapping[str, Any]) -> ResolvedTarget:
    os_name = str(platform.get("os") or platform.get("Os") or "").upper()
    arch = str(platform.get("arch") or platform.get("Arch") or "").upper()
    accelerator = platform.get("accelerator") or platform.get("Accelerator")
    accelerator = str(accelerator).upper() if accelerator else None
    label = "_".join(p.lower() for p in (os_name, arch, accelerator) if p)
    if os_name == "ANDROID":
        raise UnsupportedTarget(TARGET_PLATFORM_FIELD, label, "Android targets need the Android NDK")
    if os_name != "LINUX":
        raise SpecError(_RESOURCE, [Violation(f"{TARGET_PLATFORM_FIELD}.os", "must be LINUX or ANDROID")])
    spec = PLATFORM_ARCHES.get(arch)
    if spec is None:
        allowed = ", ".join(PLATFORM_ARCHES)
        raise SpecError(_RESOURCE, [Violation(f"{TARGET_PLATFORM_FIELD}.arch", f"must be one of {allowed}")])
    if accelerator in _UNSUPPORTED_ACCELERATORS:
        raise UnsupportedTarget(TARGET_PLATFORM_FIELD, label, _UNSUPPORTED_ACCELERATORS[accelerator])
    if accelerator not in (None, "NVIDIA"):
        raise SpecError(
            _RESOURCE,
            [Violation(f"{TARGET_PLATFORM_FIELD}.accelerator", "must be NVIDIA, MALI, INTEL_GRAPHICS or NNA")],
        )
    if accelerator == "NVIDIA":
        if "gpu-code" not in options:
            raise SpecError(
                _RESOURCE,
                [
                    Violation(
                        COMPILER_OPTIONS_FIELD, 'gpu-code (e.g. "sm_72") is required for an NVIDIA target platform'
                    )
                ],
            )
        if arch not in ("X86_64", "ARM64"):
            raise UnsupportedTarget(TARGET_PLATFORM_FIELD, label, "CUDA hosts must be X86_64 or ARM64")
        spec = _cuda(str(options["gpu-code"]), spec)
    target = copy.deepcopy(dict(spec.tvm_target))
    _apply_cpu_options(target, options)
    return ResolvedTarget(
        label, target, spec.cross_compiler, spec.debian_package, spec.elf_machine, _input_dtype(options)
    )


def resolve_target(
    target_device: str | None = None,
    target_platform: Mapping[str, Any] | None = None,
    compiler_options: str | Mapping[str, Any] | None = None,
) -> ResolvedTarget:
    """Map OutputConfig's TargetDevice *or* TargetPlatform (+ CompilerOptions) to a buildable target.

    Raises ``UnsupportedTarget`` (a ``SpecError``) for devices local mode cannot
    serve and ``SpecError`` for inputs that break the API's rules.
    """
    if (target_device is None) == (target_platform is None):
        raise SpecError(
            _RESOURCE,
            [Violation(TARGET_DEVICE_FIELD, "exactly one of targetDevice and targetPlatform must be set")],
        )
    options = parse_compiler_options(compiler_options)
    if target_device is not None:
        return _resolve_device(target_device, options)
    assert target_platform is not None
    return _resolve_platform(target_platform, options)
