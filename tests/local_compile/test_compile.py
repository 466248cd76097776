"""Real TVM compiles of generated models: x86 artifacts run and match onnxruntime, ARM artifacts
cross-link to the right ELF machine, CUDA targets emit kernels for the stated arch, and the cache
and tuning database spare repeated work."""

from __future__ import annotations

import json
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest

from sagemaker_reconciler.local_compile import (
    CompileRequest,
    TuningOptions,
    compile_model,
    publish_artifact,
    verify_artifact,
)
from sagemaker_reconciler.local_compile.archive import extract_archive
from sagemaker_reconciler.local_compile.frontends import load_model
from sagemaker_reconciler.local_compile.targets import AARCH64, ARM, X86_64, resolve_target
from sagemaker_reconciler.local_compile.tvm_backend import Progress, build_library
from sagemaker_reconciler.local_compile.verify import VerificationFailed
from tests.local_compile.models import mlp, onnxruntime_outputs, small_convnet, write_model_archive

pytestmark = pytest.mark.slow

CONVNET_SHAPES = '{"image": [1, 3, 32, 32]}'


def _unpack(artifact: Path, into: Path) -> tuple[Path, dict]:
    with tarfile.open(artifact) as tar:
        assert sorted(tar.getnames()) == ["manifest.json", "model.so"]
        tar.extractall(into, filter="data")
    return into / "model.so", json.loads((into / "manifest.json").read_text())


def _elf_machine(library: Path) -> tuple[int, int]:
    """(ELF class: 1 = 32-bit, 2 = 64-bit; e_machine) read from the header bytes."""
    header = library.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    return header[4], struct.unpack("<H", header[18:20])[0]


def _run_with_tvm_runtime(library: Path, inputs: list[np.ndarray]) -> np.ndarray:
    """Exactly what a consumer of the artifact does."""
    import tvm

    lib = tvm.runtime.load_module(str(library))
    vm = tvm.relax.VirtualMachine(lib, tvm.cpu())
    return vm["main"](*[tvm.runtime.tensor(x, tvm.cpu()) for x in inputs]).numpy()


def test_convnet_for_ml_c5_runs_in_the_tvm_runtime_and_matches_onnxruntime(convnet_archive, shared_cache, tmp_path):
    result = compile_model(
        CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c5"), cache_dir=shared_cache
    )
    library, manifest = _unpack(result.artifact, tmp_path)
    image = np.random.default_rng(7).standard_normal((1, 3, 32, 32)).astype(np.float32)
    got = _run_with_tvm_runtime(library, [image])
    (want,) = onnxruntime_outputs(small_convnet(), {"image": image})
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert _elf_machine(library) == (2, X86_64.code)
    assert manifest["framework"] == "ONNX"
    assert manifest["inputs"] == [{"name": "image", "shape": [1, 3, 32, 32], "dtype": "float32"}]
    assert manifest["outputs"] == [{"shape": [1, 10], "dtype": "float32"}]
    assert manifest["target"]["name"] == "ml_c5" and manifest["target"]["tvm_target"]["mcpu"] == "skylake-avx512"
    assert manifest["tvm_version"].startswith("0.27")
    assert manifest["source_model_digest"].startswith("sha256:")
    assert manifest["tuning"]["schedules"]["template"] == 2  # both convs got the register-blocked template


def test_mlp_two_inputs_in_call_order(mlp_archive, shared_cache, tmp_path):
    result = compile_model(
        CompileRequest(mlp_archive, "onnx", {"features": [3, 16], "extra": [1, 32]}, target_device="ml_m5"),
        cache_dir=shared_cache,
    )
    library, manifest = _unpack(result.artifact, tmp_path)
    assert [i["name"] for i in manifest["inputs"]] == ["features", "extra"]
    rng = np.random.default_rng(3)
    features = rng.standard_normal((3, 16)).astype(np.float32)
    extra = rng.standard_normal((1, 32)).astype(np.float32)
    got = _run_with_tvm_runtime(library, [features, extra])
    (want,) = onnxruntime_outputs(mlp(), {"features": features, "extra": extra})
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert manifest["outputs"] == [{"shape": [3, 4], "dtype": "float32"}]


@pytest.mark.parametrize(
    ("device", "elf_class", "machine"),
    [("rasp4b", 2, AARCH64), ("ml_c6g", 2, AARCH64), ("rasp3b", 1, ARM), ("rk3288", 1, ARM)],
)
def test_arm_artifacts_cross_link_to_the_right_elf_machine(
    device, elf_class, machine, convnet_archive, shared_cache, tmp_path
):
    result = compile_model(
        CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device=device), cache_dir=shared_cache
    )
    library, manifest = _unpack(result.artifact, tmp_path)
    assert _elf_machine(library) == (elf_class, machine.code)
    assert manifest["target"]["elf_machine"] == machine.name
    assert manifest["target"]["linker"] == resolve_target(device).cross_compiler


@pytest.mark.parametrize(
    ("device", "arch", "machine"), [("jetson_nano", "sm_53", AARCH64), ("ml_g4dn", "sm_75", X86_64)]
)
def test_cuda_targets_generate_kernels_for_the_stated_arch(device, arch, machine, convnet_archive, tmp_path):
    import tvm
    from tvm.support import nvcc

    target = resolve_target(device)
    model = load_model(extract_archive(convnet_archive, tmp_path / "model"), "ONNX", CONVNET_SHAPES)
    tvm_target = tvm.target.Target(target.tvm_target)
    assert tvm_target.kind.name == "cuda" and str(tvm_target.attrs["arch"]) == arch
    assert tvm_target.host.attrs["mtriple"] == target.host_target["mtriple"]
    # The compute capability TVM's CUDA codegen derives from this target (it selects intrinsics by it).
    assert nvcc.get_target_compute_version(tvm_target) == f"{arch[3]}.{arch[4]}"
    executable = tvm.compile(model.module, tvm_target)
    device_modules = [m for host in executable.mod.imports for m in host.imports if m.kind == "cuda"]
    assert device_modules, "no CUDA module in the build"
    source = device_modules[0].inspect_source()
    assert "__global__" in source and 'extern "C"' in source
    result = build_library(model, target, tmp_path / "build", tmp_path / "cache")
    assert _elf_machine(result.library) == (2, machine.code)


def test_cache_hit_does_not_compile_again(convnet_archive, tmp_path):
    calls: list[str] = []

    def counting_build(*args, **kwargs):
        calls.append(args[1].label)
        return build_library(*args, **kwargs)

    request = CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c4")
    first = compile_model(request, cache_dir=tmp_path, build=counting_build)
    stages: list[str] = []
    second = compile_model(request, cache_dir=tmp_path, build=counting_build, progress=lambda p: stages.append(p.stage))
    assert calls == ["ml_c4"]
    assert (first.cache_hit, second.cache_hit) == (False, True)
    assert first.digest == second.digest and first.cache_key == second.cache_key
    assert stages == ["cache"]
    changed = compile_model(
        CompileRequest(
            convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c4", compiler_options={"mcpu": "broadwell"}
        ),
        cache_dir=tmp_path,
        build=counting_build,
    )
    assert not changed.cache_hit and changed.cache_key != first.cache_key and len(calls) == 2
    published = publish_artifact(first, tmp_path / "out", "job-1")
    assert published == tmp_path / "out" / "job-1" / "model-ml_c4.tar.gz"
    assert published.read_bytes() == first.artifact.read_bytes()


def test_verify_passes_for_a_faithful_artifact_and_fails_with_the_max_error(convnet_archive, shared_cache, tmp_path):
    result = compile_model(
        CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c5"), cache_dir=shared_cache
    )
    report = verify_artifact(result.artifact, convnet_archive, result.target)
    assert report.max_abs_error < 1e-4 and report.outputs_compared == 1
    other = write_model_archive(small_convnet(seed=5), tmp_path / "other.tar.gz")
    with pytest.raises(VerificationFailed, match=r"differs from onnxruntime by up to \d") as caught:
        verify_artifact(result.artifact, other, result.target)
    assert caught.value.max_abs_error > 1e-3


def test_tiny_tuning_budget_reports_progress_and_a_second_compile_costs_no_tuning(convnet_archive, tmp_path):
    """A few trials only (the real budget is exercised by bench/local_compile.py)."""
    reports: list[Progress] = []
    tuning = TuningOptions(trials=8, database_dir=tmp_path / "tuning-db")
    request = CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c5", tuning=tuning)
    first = compile_model(request, cache_dir=tmp_path / "cache-a", progress=reports.append)
    tune_reports = [r for r in reports if r.stage == "tune" and r.trials_total]
    assert first.trials_done > 0 and tune_reports
    assert tune_reports[-1].trials_done <= tune_reports[-1].trials_total
    assert all(r.elapsed_s >= 0 for r in reports)
    assert (tmp_path / "tuning-db").is_dir()
    # Cold artifact cache, warm tuning database: the same workloads are not tuned again.
    second = compile_model(request, cache_dir=tmp_path / "cache-b")
    assert not second.cache_hit and second.trials_done == 0
    report = verify_artifact(second.artifact, convnet_archive, second.target)
    assert report.max_abs_error < 1e-4
