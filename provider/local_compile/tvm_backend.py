"""Everything that touches TVM: build, tune, export, run.

All ``tvm`` imports are inside functions so ``import sagemaker_reconciler.local_compile``
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
* Whatever is left gets a rule-based schedule, one function at a time
  (``cpu_schedules.schedule_by_rules``): register-tiled matmul / dense /
  batch_matmul / depthwise and grouped conv with fused epilogues, parallel
  vectorized injective ops, row reductions (layer_norm, softmax: parallel rows,
  lane-wide rfactor, ``reduction_schedules``), DLight for the other
  reductions, and a parallel fallback, so
  no function stays a naive loop nest (manifest ``schedules.unscheduled``).
  A rule that fails, or whose code TVM then rejects, leaves that function
  naive instead of failing the build: the project's passes must never break
  a model plain ``tvm.compile`` builds.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagemaker_reconciler.errors import CompileFailed, ReconcilerError, ToolchainMissing
from sagemaker_reconciler.local_compile._deps import require_tvm, tvm_version
from sagemaker_reconciler.local_compile.frontends import LoadedModel
from sagemaker_reconciler.local_compile.reduction_schedules import vectorizable_softmax
from sagemaker_reconciler.local_compile.relax_rewrite import rewrite_relax_functions
from sagemaker_reconciler.local_compile.remote import RemoteDevices
from sagemaker_reconciler.local_compile.targets import ResolvedTarget

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


_ISA_FEATURE = re.compile(
    r"^(sse|ssse|avx|fma|f16c|bmi|popcnt|aes|pclmul|movbe|adx|sha|vaes|vpclmul|gfni|amx|cx16|lzcnt|rdrnd|rdseed|crc32|evex512|xsave)"
)


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
    """MetaSchedule settings.  ``trials=0`` without ``max_minutes`` is an untuned build: stored
    records are never applied, so its artifact depends on the cache key's inputs alone (one key,
    one artifact).  ``max_minutes`` caps tuning in wall-clock time (with ``trials=0``: as many
    trials as fit)."""

    trials: int = 0
    trials_per_iteration: int | None = None
    database_dir: Path | None = None
    apply_database: bool = True
    seed: int = 0
    remote: RemoteDevices | None = None  # measure on the devices behind a TVM RPC tracker, not on this host
    max_minutes: float | None = None

    def key_fields(self) -> dict[str, Any]:
        """What changes the artifact; the database location, tracker address and timeouts do not.

        A time budget is part of the key (absent when unset, so trial-only keys are unchanged).
        """
        return {
            "trials": self.trials,
            "trials_per_iteration": self.trials_per_iteration,
            "apply_database": self.uses_records,
            "seed": self.seed,
            **({"device_key": self.remote.key} if self.remote is not None else {}),
            **({"max_minutes": float(self.max_minutes)} if self.max_minutes is not None else {}),
        }

    @property
    def tuned(self) -> bool:
        """A budget of trials or of minutes asks for tuning."""
        return self.trials > 0 or self.max_minutes is not None

    @property
    def uses_records(self) -> bool:
        """Only a tuned build reads the tuning database."""
        return self.tuned and self.apply_database


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

    from sagemaker_reconciler.local_compile.blocked_layout import to_blocked_layout

    with target:
        mod = relax.transform.DecomposeOpsForInference()(mod)
        mod = relax.transform.CanonicalizeBindings()(mod)
        mod = _vectorizable_erf(mod)
        mod = vectorizable_softmax(mod)
        mod, _ = to_blocked_layout(mod, target)
        mod = relax.get_pipeline("zero")(mod)
        mod = relax.transform.AttachAttrLayoutFreeBuffers()(mod)
    return mod


def _vectorizable_erf(mod: Any) -> Any:
    """``erf`` (GELU) as TOPI's rational approximation (max error 3.3e-7) instead of a scalar libm call per element.

    The libm call cannot be vectorized, so a GELU epilogue cost more than its
    matmul; only erf is swapped (exp and tanh keep their exact forms).
    """
    from tvm import relax, topi
    from tvm.relax.expr_functor import PyExprMutator, mutator

    erf = relax.op.erf(relax.Var("x", relax.TensorType(None, "float32"))).op

    @mutator
    class _FastErf(PyExprMutator):
        def visit_call_(self, call: Any) -> Any:
            call = super().visit_call_(call)
            if call.op.same_as(erf) and str(call.args[0].ty.dtype) == "float32":
                return self.builder_.call_te(topi.fast_erf, call.args[0])
            return call

    return rewrite_relax_functions(mod, _FastErf(mod))


def _database_dir(target: ResolvedTarget, tuning: TuningOptions, cache_dir: Path) -> Path:
    root = tuning.database_dir or (cache_dir / "tuning")
    measured_on = f"|{tuning.remote.key}" if tuning.remote is not None else ""  # each kind of board its own records
    digest = hashlib.sha256(f"{target.canonical_json()}|{tvm_version()}{measured_on}".encode()).hexdigest()[:16]
    return Path(root) / f"{target.label}-{digest}"


def _finish_cpu(
    mod: Any, target: Any, db_dir: Path | None, measure: bool = False, details: dict[str, Any] | None = None
) -> tuple[Any, dict[str, int], dict[Any, Any]]:
    """Pick schedules (tuned, template or MetaSchedule), fold weight repacking, rules for the rest.

    Also returns the functions the rules scheduled, with what they replaced, so
    a build that fails can put those back (``_compile``).  With ``measure`` (a
    tuned build on a host that runs the target) a MetaSchedule record is kept
    only where it measures faster than the rule schedule.  ``details`` gets the
    manifest's ``records_rejected`` (records the rule schedule or conv template beat, with both timings).
    """
    from tvm import relax, tirx

    from sagemaker_reconciler.local_compile.tuning import TuningRecords, select_schedules

    naive = {gv: f for gv, f in mod.functions.items() if isinstance(f, tirx.PrimFunc)}
    mod, counts = select_schedules(mod, target, db_dir)
    details = {} if details is None else details
    rejected: dict[str, str] = {}
    replaced = {}
    if measure and counts.get("metaschedule"):
        templates = TuningRecords(db_dir).templates() if db_dir is not None else {}
        replaced = _prefer_faster_rules(naive, mod, target, counts, rejected, templates)
    if rejected:
        details["records_rejected"] = dict(sorted(rejected.items()))
    # The rules run before the weight repacking is split out and folded: a rule may repack constant
    # weights too (dense panels), and left in the function that repacking ran on every call (a
    # 512x1000 classifier head: ~600 us a call instead of ~40).
    mod, originals = _schedule_the_rest(mod, target, counts)
    with target:
        mod = _split_weight_repacking(mod)
        mod = relax.transform.FoldConstant()(mod)
    mod, leftover = _schedule_the_rest(mod, target, counts)  # a repacking of weights that are inputs, not constants
    return mod, counts, {**originals, **leftover, **replaced}


def _prefer_faster_rules(
    naive: dict[Any, Any],
    mod: Any,
    target: Any,
    counts: dict[str, int],
    rejected: dict[str, str] | None = None,
    templates: dict[str, Any] | None = None,
) -> dict[Any, Any]:
    """Swap in the untuned choice wherever it beats the tuned record here; returns {gv: the record's version}.

    The untuned choice is the conv template (with its searched tile where ``templates`` has one) for a
    conv, the rule schedule for anything else.  ``rejected`` gets, per function swapped, why (both
    timings): the record's own measured seconds are not trusted, both are timed again here.

    A record from a small budget can be slower than the rule-based schedule an
    untuned build uses (measured: a BERT-style encoder tuned with 64 trials
    ran 1.42x onnxruntime against 1.25x untuned), and a conv record's timing
    comes from MetaSchedule's runner, not from the template search's.  Both
    are timed back to back, twice, best of each.
    """
    from sagemaker_reconciler.local_compile.conv_schedules import SCHEDULE_ATTR
    from sagemaker_reconciler.local_compile.cpu_schedules import (
        ConvParams,
        conv_workload,
        default_conv_params,
        schedule_by_rules,
        schedule_conv2d_nchw,
    )
    from sagemaker_reconciler.local_compile.tuning import _key, measure_primfunc

    replaced = {}
    for gv, func in naive.items():
        chosen = mod[gv]
        if chosen.same_as(func) or SCHEDULE_ATTR in (chosen.attrs or {}) or "pool_" in func.script():
            continue  # not from a record: the conv template's, pooling's or a rule's own choice
        workload = conv_workload(func)
        if workload is not None:
            record = (templates or {}).get(_key(func))
            with target:
                params = ConvParams(**record["params"]) if record else default_conv_params(workload, target)
                untuned = schedule_conv2d_nchw(func, params) if params is not None else None
            source, what = "template", "the conv template"
        else:
            untuned, source, what = schedule_by_rules(func, target), "rules", "the rule schedule"
        if untuned is None:
            continue
        try:
            untuned_s, record_s = float("inf"), float("inf")
            for _ in range(2):
                untuned_s = min(untuned_s, measure_primfunc(untuned, target, 20))
                record_s = min(record_s, measure_primfunc(chosen, target, 20))
        except Exception:
            continue
        if untuned_s < record_s:
            mod[gv] = untuned
            replaced[gv] = chosen
            if rejected is not None:
                rejected[gv.name_hint] = (
                    f"{what} measured {untuned_s * 1e6:.1f} us, the tuning record {record_s * 1e6:.1f} us"
                )
            counts["metaschedule"] -= 1
            counts[source] = counts.get(source, 0) + 1
    return replaced


def _compile(mod: Any, target: Any, originals: dict[Any, Any], counts: dict[str, int]) -> Any:
    """``tvm.compile``; if it fails, rule-scheduled functions that do not build alone get their naive form back.

    A rule may write a schedule TVM accepts but its code generator rejects
    (vectorized if_then_else over an odd lane count); the model must still build.
    """
    import tvm

    try:
        return tvm.compile(mod, target)
    except Exception:
        if not originals:
            raise
    present = {gv.name_hint for gv in mod.functions}
    for gv, original in originals.items():
        if gv.name_hint not in present:
            continue  # split into a repacked variant; its preproc was folded
        try:
            tvm.compile(tvm.IRModule({"main": mod[gv].with_attr("global_symbol", "main")}), target)
        except Exception:
            mod[gv] = original
            counts["rules"] -= 1
            scheduled = original.attrs is not None and original.attrs.get("tirx.is_scheduled", False)
            counts["metaschedule" if scheduled else "unscheduled"] += 1
    return tvm.compile(mod, target)


def _split_weight_repacking(mod: Any) -> Any:
    """``SplitLayoutRewritePreproc`` applied only to the functions that carry a repacking block.

    The pass asserts that every PrimFunc it sees is a root block over compute
    blocks; TVM's own opaque kernels (scatter_elements, max_unpool, dynamic
    strided_slice) are not, and would make it crash on a model TVM compiles.
    So those functions are set aside while it runs and put back after.
    """
    import tvm
    from tvm import relax, tirx

    from sagemaker_reconciler.local_compile.cpu_schedules import PREPROC_ANNOTATION

    def repacks(func: Any) -> bool:
        return PREPROC_ANNOTATION in func.script()

    set_aside = {gv: f for gv, f in mod.functions.items() if isinstance(f, tirx.PrimFunc) and not repacks(f)}
    if len(set_aside) == sum(isinstance(f, tirx.PrimFunc) for f in mod.functions.values()):
        return mod  # nothing to split
    kept = tvm.IRModule({gv: f for gv, f in mod.functions.items() if gv not in set_aside}, attrs=mod.attrs)
    kept = relax.transform.SplitLayoutRewritePreproc()(kept)
    for gv, func in set_aside.items():
        kept[gv] = func
    return kept


def _schedule_the_rest(mod: Any, target: Any, counts: dict[str, int]) -> tuple[Any, dict[Any, Any]]:
    """Rule-based schedules for what tuning records and the conv template left, one function at a time.

    A rule that fails on one function (DLight asserts with an empty message on
    some fused elementwise chains) leaves that function as it was instead of
    failing the build.
    """
    from sagemaker_reconciler.local_compile.cpu_schedules import schedule_by_rules

    updates, originals = {}, {}
    for gv, func in _unscheduled_prim_funcs(mod):
        scheduled = schedule_by_rules(func, target)
        if scheduled is not None:
            updates[gv], originals[gv] = scheduled, func
    for gv, func in updates.items():
        mod[gv] = func
    counts["rules"] = counts.get("rules", 0) + len(updates)
    counts["unscheduled"] = len(_unscheduled_prim_funcs(mod))
    return mod, originals


def _unscheduled_prim_funcs(mod: Any) -> list[tuple[Any, Any]]:
    from tvm import tirx

    return [
        (gv, f)
        for gv, f in mod.functions.items()
        if isinstance(f, tirx.PrimFunc) and not (f.attrs is not None and f.attrs.get("tirx.is_scheduled", False))
    ]


def _schedule_kinds(mod: Any) -> dict[str, int]:
    """How many functions each schedule covers (``conv_schedules.SCHEDULE_ATTR``), for the manifest.

    Functions without the mark are tuning records ("metaschedule") or left naive ("unscheduled").
    """
    from tvm import relax, tirx

    from sagemaker_reconciler.local_compile.conv_schedules import SCHEDULE_ATTR

    called = set(
        re.findall(
            r"[A-Za-z_][A-Za-z0-9_]*",
            " ".join(f.script() for f in mod.functions.values() if isinstance(f, relax.Function)),
        )
    )
    kinds: dict[str, int] = {}
    for gv, func in mod.functions.items():
        if not isinstance(func, tirx.PrimFunc) or gv.name_hint not in called:
            continue  # replaced by its weight-repacked variant, or folded away
        attrs = func.attrs or {}
        if SCHEDULE_ATTR in attrs:
            kind = str(attrs[SCHEDULE_ATTR])
        else:
            kind = "metaschedule" if attrs.get("tirx.is_scheduled", False) else "unscheduled"
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(sorted(kinds.items()))


def _struct_to_json(info: Any) -> list[dict[str, Any]]:
    """The manifest's outputs: a tensor's shape and dtype; a Shape output is an int64 vector of its rank."""
    from tvm import relax

    if isinstance(info, relax.TupleType):
        return [item for field_info in info.fields for item in _struct_to_json(field_info)]
    if isinstance(info, relax.ShapeType):
        return [{"shape": [int(info.ndim)] if int(info.ndim) >= 0 else None, "dtype": "int64", "kind": "shape"}]
    if isinstance(info, relax.TensorType):
        shape = [int(d) for d in info.shape.values] if info.shape is not None else None
        return [{"shape": shape, "dtype": str(info.dtype)}]
    return [{"shape": None, "dtype": None, "kind": type(info).__name__}]


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
    require_tvm()
    clock = _Clock(progress)
    cross_compiler = _check_linker(target)
    can_tune = tuning.remote is not None or host_can_run(target)
    # Only tuning on this host sizes parallel loops from this machine's cores; an untuned build (and one
    # measured on remote devices) must not depend on it.
    tvm_target = _tvm_target(target, os.cpu_count() if can_tune and tuning.tuned and tuning.remote is None else None)
    summary: dict[str, Any] = {"trials_requested": tuning.trials, "trials_done": 0}
    if tuning.max_minutes is not None:
        summary["max_minutes"] = float(tuning.max_minutes)
    tuning_seconds = 0.0
    originals: dict[Any, Any] = {}
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
            if tuning.tuned and not can_tune:
                summary["skipped"] = f"{target.label} code cannot run on this machine, so it cannot be measured"
                clock.report("tune", detail=summary["skipped"])
            elif tuning.tuned:
                from sagemaker_reconciler.local_compile.tuning import tune_module

                started = time.perf_counter()
                summary.update(
                    tune_module(
                        mod_to_build,
                        tvm_target,
                        tuning.trials,
                        db_dir,
                        clock.report,
                        tuning.trials_per_iteration,
                        tuning.seed,
                        tuning.remote,
                        cross_compiler,
                        max_seconds=60.0 * tuning.max_minutes if tuning.max_minutes is not None else None,
                    )
                )
                tuning_seconds = time.perf_counter() - started
            clock.report("build", detail="choosing schedules")
            details: dict[str, Any] = {}
            mod_to_build, counts, originals = _finish_cpu(
                mod_to_build,
                tvm_target,
                db_dir if tuning.uses_records else None,
                measure=can_tune and tuning.uses_records,
                details=details,
            )
            summary["schedules"] = counts
            summary.update(details)
        summary["tuning_seconds"] = round(tuning_seconds, 3)
        started = time.perf_counter()
        clock.report("build", detail=f"tvm.compile for {target.label}")
        executable = _compile(mod_to_build, tvm_target, originals, summary.get("schedules", {}))
        if not target.is_cuda:
            summary["schedule_kinds"] = _schedule_kinds(mod_to_build)
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
    """VM results -> numpy arrays: tensors, tuples of them, a Shape (int64 vector) or a scalar."""
    import numpy as np
    from tvm_ffi import Shape

    if hasattr(value, "numpy"):
        return [value.numpy()]
    if isinstance(value, Shape):
        return [np.array(list(value), dtype=np.int64)]
    if isinstance(value, (int, float, bool)):
        return [np.array(value)]
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
