"""The target table: one test per row, the unsupported list, platforms and options (pure, fast)."""

from __future__ import annotations

import pytest

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.local_compile.targets import (
    AARCH64,
    ALL_TARGET_DEVICES,
    ARM,
    DEVICE_TABLE,
    PLATFORM_ARCHES,
    TARGET_DEVICE_FIELD,
    UNSUPPORTED_DEVICES,
    X86_64,
    UnsupportedTarget,
    resolve_target,
)

# device -> (kind, host triple, mcpu, cross compiler, ELF machine, cuda arch)
EXPECTED = {
    "ml_c4": ("llvm", "x86_64-linux-gnu", "haswell", None, X86_64, None),
    "ml_m4": ("llvm", "x86_64-linux-gnu", "broadwell", None, X86_64, None),
    "ml_c5": ("llvm", "x86_64-linux-gnu", "skylake-avx512", None, X86_64, None),
    "ml_m5": ("llvm", "x86_64-linux-gnu", "skylake-avx512", None, X86_64, None),
    "lambda": ("llvm", "x86_64-linux-gnu", "x86-64-v2", None, X86_64, None),
    "sbe_c": ("llvm", "x86_64-linux-gnu", "core-avx2", None, X86_64, None),
    "deeplens": ("llvm", "x86_64-linux-gnu", "goldmont", None, X86_64, None),
    "ml_m6g": ("llvm", "aarch64-linux-gnu", "neoverse-n1", "aarch64-linux-gnu-g++", AARCH64, None),
    "ml_c6g": ("llvm", "aarch64-linux-gnu", "neoverse-n1", "aarch64-linux-gnu-g++", AARCH64, None),
    "rasp4b": ("llvm", "aarch64-linux-gnu", "cortex-a72", "aarch64-linux-gnu-g++", AARCH64, None),
    "rk3399": ("llvm", "aarch64-linux-gnu", "cortex-a72", "aarch64-linux-gnu-g++", AARCH64, None),
    "imx8qm": ("llvm", "aarch64-linux-gnu", "cortex-a72", "aarch64-linux-gnu-g++", AARCH64, None),
    "imx8mplus": ("llvm", "aarch64-linux-gnu", "cortex-a53", "aarch64-linux-gnu-g++", AARCH64, None),
    "aisage": ("llvm", "aarch64-linux-gnu", "cortex-a53", "aarch64-linux-gnu-g++", AARCH64, None),
    "jacinto_tda4vm": ("llvm", "aarch64-linux-gnu", "cortex-a72", "aarch64-linux-gnu-g++", AARCH64, None),
    "rasp3b": ("llvm", "armv7l-linux-gnueabihf", "cortex-a53", "arm-linux-gnueabihf-g++", ARM, None),
    "rk3288": ("llvm", "armv7a-linux-gnueabihf", "cortex-a17", "arm-linux-gnueabihf-g++", ARM, None),
    "sitara_am57x": ("llvm", "armv7a-linux-gnueabihf", "cortex-a15", "arm-linux-gnueabihf-g++", ARM, None),
    "jetson_nano": ("cuda", "aarch64-linux-gnu", "cortex-a57", "aarch64-linux-gnu-g++", AARCH64, "sm_53"),
    "jetson_tx1": ("cuda", "aarch64-linux-gnu", "cortex-a57", "aarch64-linux-gnu-g++", AARCH64, "sm_53"),
    "jetson_tx2": ("cuda", "aarch64-linux-gnu", "cortex-a57", "aarch64-linux-gnu-g++", AARCH64, "sm_62"),
    "jetson_xavier": ("cuda", "aarch64-linux-gnu", "carmel", "aarch64-linux-gnu-g++", AARCH64, "sm_72"),
    "ml_p3": ("cuda", "x86_64-linux-gnu", "broadwell", None, X86_64, "sm_70"),
    "ml_g4dn": ("cuda", "x86_64-linux-gnu", "skylake-avx512", None, X86_64, "sm_75"),
}


def test_every_table_row_has_an_expectation_and_vice_versa():
    assert set(EXPECTED) == set(DEVICE_TABLE)


@pytest.mark.parametrize("device", sorted(EXPECTED))
def test_row(device):
    kind, triple, mcpu, cross, machine, arch = EXPECTED[device]
    resolved = resolve_target(device)
    assert resolved.label == device
    assert resolved.kind == kind
    host = resolved.host_target
    assert host["kind"] == "llvm" and host["mtriple"] == triple and host["mcpu"] == mcpu
    assert resolved.cross_compiler == cross
    assert resolved.elf_machine == machine
    assert resolved.tvm_target.get("arch") == arch
    if triple.startswith("armv7"):
        assert host["mfloat-abi"] == "hard"  # else the link fails: "uses VFP register arguments"
    if resolved.cross_compiler:
        assert resolved.debian_package == "g++-" + resolved.cross_compiler.removesuffix("-g++")


def test_resolved_targets_are_copies_so_callers_cannot_corrupt_the_table():
    resolve_target("rasp3b").tvm_target["mattr"].append("+bogus")
    assert resolve_target("rasp3b").tvm_target["mattr"] == ["+neon"]


@pytest.mark.parametrize("device", sorted(UNSUPPORTED_DEVICES))
def test_unsupported_device_is_a_spec_error_pointing_at_cloud_mode(device):
    with pytest.raises(UnsupportedTarget) as caught:
        resolve_target(device)
    assert isinstance(caught.value, SpecError)
    assert caught.value.fields == [TARGET_DEVICE_FIELD]
    assert "local mode" in str(caught.value) and "cloud" in str(caught.value)


def test_table_and_unsupported_list_cover_the_whole_api_enum_without_overlap():
    assert set(DEVICE_TABLE) | set(UNSUPPORTED_DEVICES) == set(ALL_TARGET_DEVICES)
    assert not set(DEVICE_TABLE) & set(UNSUPPORTED_DEVICES)


def test_static_enum_matches_botocore():
    botocore = pytest.importorskip("botocore.session")
    model = botocore.get_session().get_service_model("sagemaker")
    assert set(model.shape_for("TargetDevice").enum) == set(ALL_TARGET_DEVICES)


def test_unknown_device_is_a_spec_error():
    with pytest.raises(SpecError) as caught:
        resolve_target("ml_c99")
    assert not isinstance(caught.value, UnsupportedTarget)
    assert caught.value.fields == [TARGET_DEVICE_FIELD]


def test_exactly_one_of_device_and_platform():
    with pytest.raises(SpecError):
        resolve_target()
    with pytest.raises(SpecError):
        resolve_target("ml_c5", {"Os": "LINUX", "Arch": "X86_64"})


@pytest.mark.parametrize(
    ("platform", "triple", "cross"),
    [
        ({"Os": "LINUX", "Arch": "X86_64"}, "x86_64-linux-gnu", None),
        ({"os": "LINUX", "arch": "ARM64"}, "aarch64-linux-gnu", "aarch64-linux-gnu-g++"),
        ({"Os": "LINUX", "Arch": "ARM_EABIHF"}, "armv7a-linux-gnueabihf", "arm-linux-gnueabihf-g++"),
        ({"Os": "LINUX", "Arch": "ARM_EABI"}, "armv7a-linux-gnueabi", "arm-linux-gnueabi-g++"),
        ({"Os": "LINUX", "Arch": "X86"}, "i686-linux-gnu", "i686-linux-gnu-g++"),
    ],
)
def test_platform_rows(platform, triple, cross):
    resolved = resolve_target(target_platform=platform)
    assert resolved.tvm_target["mtriple"] == triple
    assert resolved.cross_compiler == cross
    assert (
        resolved.label
        == "_".join([platform.get("Os", platform.get("os")), platform.get("Arch", platform.get("arch"))]).lower()
    )
    assert set(PLATFORM_ARCHES) >= {platform.get("Arch", platform.get("arch"))}


def test_platform_nvidia_needs_gpu_code_and_uses_it():
    with pytest.raises(SpecError) as caught:
        resolve_target(target_platform={"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"})
    assert caught.value.fields == ["outputConfig.compilerOptions"]
    resolved = resolve_target(
        target_platform={"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NVIDIA"},
        compiler_options='{"gpu-code": "sm_72", "trt-ver": "8.5", "cuda-ver": "11.4"}',
    )
    assert resolved.is_cuda and resolved.tvm_target["arch"] == "sm_72"
    assert resolved.host_target["mtriple"] == "aarch64-linux-gnu"


@pytest.mark.parametrize(
    "platform",
    [
        {"Os": "ANDROID", "Arch": "ARM64"},
        {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "MALI"},
        {"Os": "LINUX", "Arch": "X86_64", "Accelerator": "INTEL_GRAPHICS"},
        {"Os": "LINUX", "Arch": "ARM64", "Accelerator": "NNA"},
    ],
)
def test_unservable_platforms(platform):
    with pytest.raises(UnsupportedTarget):
        resolve_target(target_platform=platform)


def test_compiler_options_override_cpu_and_gpu():
    resolved = resolve_target("rk3399", compiler_options={"mcpu": "cortex-a53", "mattr": "+neon,+crc"})
    assert resolved.tvm_target["mcpu"] == "cortex-a53" and resolved.tvm_target["mattr"] == ["+neon", "+crc"]
    assert resolve_target("jetson_nano", compiler_options='{"gpu-code": "sm_62"}').tvm_target["arch"] == "sm_62"
    assert resolve_target("ml_c5", compiler_options='{"dtype": "float16"}').input_dtype == "float16"


@pytest.mark.parametrize("options", ['{"ANDROID_PLATFORM": 29}', "not json", "[1, 2]"])
def test_bad_compiler_options(options):
    with pytest.raises(SpecError) as caught:
        resolve_target("ml_c5", compiler_options=options)
    assert caught.value.fields == ["outputConfig.compilerOptions"]


def test_canonical_json_is_stable_and_part_of_identity():
    assert resolve_target("ml_c5").canonical_json() == resolve_target("ml_m5").canonical_json()
    assert resolve_target("ml_c5").canonical_json() != resolve_target("ml_c4").canonical_json()
