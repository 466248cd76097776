"""Everything that touches TVM: build, tune, export, run.

All ``tvm`` imports are inside functions so ``import provider.local_compile``
stays cheap and works without the 'local' extra.

Why the CPU build looks like this (TVM 0.27, measured on a 2-core x86 box):

* The default ``tvm.compile`` CPU pipeline applies no schedules: every
  kernel is a naive single-threaded loop nest (~100x slower than onnxruntime
  on a small ResNet).  DLight has CPU rules only for GEMV and reductions; the
  wheel has no DNNL, cBLAS or MKL to offload to.
* So every build, tuned or not, schedules conv2d with a register-blocked
  template and parallelizes pooling (``cpu_schedules``); weights are constants
  marked layout-free, so the template's weight repacking is split out
  (``SplitLayoutRewritePreproc``) and folded at compile time.
* Tuning (``tuning``) searches the template's tiles and runs MetaSchedule,
  keeping per-function the fastest measured schedule, with a persistent
  per-target database so the same workloads are never tuned twice.
* CUDA targets take TVM's default GPU pipeline (DLight GPU rules); with no
  GPU here they cannot be measured or tuned.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from provider.errors import ConfigError, ReconcilerError
from provider.local_compile._deps import require_tvm, tvm_version
from provider.local_compile.frontends import LoadedModel
from provider.local_compile.remote import RemoteDevices
from provider.local_compile.targets import ResolvedTarget

__all__ = [
    "Progress",
    "ProgressCallback",
    "TuningOptions",
    "BuildResult",
    "ToolchainMissing",
    "CompileFailed",
    "build_library",
    "run_library",
    "time_library",
    "host_can_run",
]


_ISA_FEATURE = re.compile(r"^(sse|ssse|avx|fma|f16c|bmi|popcnt|aes|pclmul|movbe|adx|sha|vaes|vpclmul|gfni|amx|cx16|lzcnt|rdrnd|rdseed|crc32|evex512|xsave)")


class ToolchainMissing(ConfigError):
    """The cross linker for the target is not installed."""


class CompileFailed(ReconcilerError):
    """TVM rejected the model or the target; the message carries TVM's own error."""


@dataclass(frozen=True)
class Progress:
    """A progress report: ``stage`` is one of load, tune, build, export, package, cache."""

    stage: str
    elapsed_s: float
    trials_done: int = 0
    trials_total: int = 0
    detail: str = ""

    def __str__(self) -> str:
        trials = f" trials {self.trials_done}/{self.trials_total}" if self.trials_total else ""
        detail = f" {self.detail}" if self.detail else ""
        return f"[{self.elapsed_s:7.1f}s] {self.stage}{trials}{detail}"


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class TuningOptions:
    """MetaSchedule settings; ``trials=0`` means no new tuning (stored records still apply)."""

    trials: int = 0
    trials_per_iteration: int | None = None
    database_dir: Path | None = None
    apply_database: bool = True
    seed: int = 0
    remote: RemoteDevices | None = None  # measure on the devices behind a TVM RPC tracker, not on this host

    def key_fields(self) -> dict[str, Any]:
        """What changes the artifact; the database location, tracker address and timeouts do not."""
        return {
            "trials": self.trials,
            "trials_per_iteration": self.trials_per_iteration,
            "apply_database": self.apply_database,
            "seed": self.seed,
            **({"device_key": self.remote.key} if self.remote is not None else {}),
        }


@dataclass(frozen=True)
class BuildResult:
    library: Path
    outputs: list[dict[str, Any]]
    tvm_version: str
    compile_seconds: float
    tuning: dict[str, Any] = field(default_factory=dict)


class _Clock:
    def __init__(self, progress: ProgressCallback | None):
        self.start = time.perf_counter()
        self.progress = progress

    def report(self, stage: str, trials_done: int = 0, trials_total: int = 0, detail: str = "") -> None:
        if self.progress is not None:
            self.progress(Progress(stage, time.perf_counter() - self.start, trials_done, trials_total, detail))


def _tvm_target(target: ResolvedTarget, tuning_cores: int | None) -> Any:
    tvm = require_tvm()
    spec = dict(target.tvm_target)
    if tuning_cores and spec["kind"] == "llvm":
        spec["num-cores"] = tuning_cores  # MetaSchedule sizes parallel loops from it
    return tvm.target.Target(spec)


def host_can_run(target: ResolvedTarget) -> bool:
    """True when this machine can execute the target's CPU code (needed to verify and to tune)."""
    if not target.runs_on_this_kind_of_machine or os.uname().machine != "x86_64":
        return False
    require_tvm()
    from tvm.target import Target, codegen

    def isa(spec: dict[str, Any]) -> set[str]:  # instruction sets only, not LLVM's tuning flags
        return {f for f in codegen.llvm_get_cpu_features(Target(spec)) if _ISA_FEATURE.match(str(f))}

    host = {"kind": "llvm", "mtriple": "x86_64-linux-gnu", "mcpu": str(codegen.llvm_get_system_cpu())}
    return isa(dict(target.tvm_target)) <= isa(host)


def _prepare(mod: Any, target: Any) -> Any:
    """Inference simplifications + fusion: the form tasks are extracted from and tuned records apply to."""
    from tvm import relax

    with target:
        mod = relax.transform.DecomposeOpsForInference()(mod)
        mod = relax.transform.CanonicalizeBindings()(mod)
        mod = relax.get_pipeline("zero")(mod)
        mod = relax.transform.AttachAttrLayoutFreeBuffers()(mod)
    return mod


def _database_dir(target: ResolvedTarget, tuning: TuningOptions, cache_dir: Path) -> Path:
    root = tuning.database_dir or (cache_dir / "tuning")
    measured_on = f"|{tuning.remote.key}" if tuning.remote is not None else ""  # each kind of board its own records
    digest = hashlib.sha256(f"{target.canonical_json()}|{tvm_version()}{measured_on}".encode()).hexdigest()[:16]
    return Path(root) / f"{target.label}-{digest}"


def _finish_cpu(mod: Any, target: Any, db_dir: Path | None) -> tuple[Any, dict[str, int]]:
    """Pick schedules (tuned, template or MetaSchedule), fold weight repacking, DLight for the rest."""
    from tvm import relax
    from tvm.s_tir import dlight as dl

    from provider.local_compile.tuning import select_schedules

    mod, counts = select_schedules(mod, target, db_dir)
    with target:
        mod = relax.transform.SplitLayoutRewritePreproc()(mod)
        mod = relax.transform.FoldConstant()(mod)
        mod = dl.ApplyDefaultSchedule(dl.cpu.GEMV(), dl.cpu.Reduction())(mod)
    return mod, counts


def _struct_to_json(info: Any) -> list[dict[str, Any]]:
    from tvm import relax

    if isinstance(info, relax.TupleType):
        return [item for field_info in info.fields for item in _struct_to_json(field_info)]
    shape = [int(d) for d in info.shape.values] if info.shape is not None else None
    return [{"shape": shape, "dtype": str(info.dtype)}]


def _check_linker(target: ResolvedTarget) -> str | None:
    if target.cross_compiler is None:
        if shutil.which("g++") is None:
            raise ToolchainMissing("linking the artifact needs g++: apt-get install g++")
        return None
    if shutil.which(target.cross_compiler) is None:
        raise ToolchainMissing(
            f"linking for {target.label} needs {target.cross_compiler}: apt-get install {target.debian_package}"
        )
    return target.cross_compiler


def build_library(
    model: LoadedModel,
    target: ResolvedTarget,
    output_dir: Path,
    cache_dir: Path,
    tuning: TuningOptions = TuningOptions(),
    progress: ProgressCallback | None = None,
) -> BuildResult:
    """Compile ``model`` for ``target`` into ``output_dir/model.so`` (tuning first when asked and possible)."""
    tvm = require_tvm()
    clock = _Clock(progress)
    cross_compiler = _check_linker(target)
    can_tune = tuning.remote is not None or host_can_run(target)
    tvm_target = _tvm_target(target, os.cpu_count() if can_tune and tuning.remote is None else None)
    summary: dict[str, Any] = {"trials_requested": tuning.trials, "trials_done": 0}
    tuning_seconds = 0.0
    try:
        mod = model.module
        outputs = _struct_to_json(mod["main"].ret_ty)
        if target.is_cuda:
            clock.report("build", detail="CUDA: DLight GPU schedules (no tuning without a GPU)")
            mod_to_build = mod
        else:
            clock.report("build", detail="fusing operators")
            mod_to_build = _prepare(mod, tvm_target)
            db_dir = _database_dir(target, tuning, cache_dir)
            if tuning.trials > 0 and not can_tune:
                summary["skipped"] = f"{target.label} code cannot run on this machine, so it cannot be measured"
                clock.report("tune", detail=summary["skipped"])
            elif tuning.trials > 0:
                from provider.local_compile.tuning import tune_module

                started = time.perf_counter()
                summary.update(tune_module(mod_to_build, tvm_target, tuning.trials, db_dir, clock.report,
                                           tuning.trials_per_iteration, tuning.seed, tuning.remote, cross_compiler))
                tuning_seconds = time.perf_counter() - started
            clock.report("build", detail="choosing schedules")
            mod_to_build, counts = _finish_cpu(mod_to_build, tvm_target, db_dir if tuning.apply_database else None)
            summary["schedules"] = counts
        summary["tuning_seconds"] = round(tuning_seconds, 3)
        started = time.perf_counter()
        clock.report("build", detail=f"tvm.compile for {target.label}")
        executable = tvm.compile(mod_to_build, tvm_target)
        clock.report("export", detail=f"linking with {cross_compiler or 'g++'}")
        output_dir.mkdir(parents=True, exist_ok=True)
        library = output_dir / "model.so"
        if cross_compiler:
            executable.export_library(str(library), cc=cross_compiler)
        else:
            executable.export_library(str(library))
        compile_seconds = time.perf_counter() - started
    except ReconcilerError:
        raise
    except Exception as exc:  # TVM raises its own error types from C++
        raise CompileFailed(f"TVM could not compile the model for {target.label}: {exc}") from exc
    return BuildResult(library, outputs, tvm_version(), compile_seconds, summary)


def _vm(library: Path, threads: int | None) -> Any:
    tvm = require_tvm()
    from tvm import relax

    if threads:
        os.environ["TVM_NUM_THREADS"] = str(threads)
    lib = tvm.runtime.load_module(str(library))
    return relax.VirtualMachine(lib, tvm.cpu())


def _to_numpy(value: Any) -> list[Any]:
    if hasattr(value, "numpy"):
        return [value.numpy()]
    return [array for item in value for array in _to_numpy(item)]


def run_library(library: Path, inputs: Sequence[Any], threads: int | None = None) -> list[Any]:
    """Run an x86 artifact's ``main`` on numpy inputs (call order) and return numpy outputs."""
    tvm = require_tvm()
    vm = _vm(library, threads)
    device = tvm.cpu()
    return _to_numpy(vm["main"](*[tvm.runtime.tensor(x, device) for x in inputs]))


def time_library(library: Path, inputs: Sequence[Any], repeat: int = 50, threads: int | None = None) -> float:
    """Median seconds per call of ``main`` (after warm-up), for benchmarks."""
    tvm = require_tvm()
    vm = _vm(library, threads)
    args = [tvm.runtime.tensor(x, tvm.cpu()) for x in inputs]
    main = vm["main"]
    for _ in range(5):
        main(*args)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        main(*args)
        samples.append(time.perf_counter() - start)
    samples.sort()
    return samples[len(samples) // 2]
