"""Tuning: template search + MetaSchedule, with a persistent database, and schedule selection.

A trial budget is spent in two places (tvm imported lazily):

1. *Template search*: for every conv2d task, candidates of the hand-written
   template (``cpu_schedules``) are compiled and timed in-process.  Cheap
   (~0.5 s per candidate) and it starts from a schedule already near
   onnxruntime.
2. *MetaSchedule*: the remaining trials go to MetaSchedule, first to the tasks
   no template covers (pooling, reductions, dense layers), then to the conv
   tasks.  Trials are spread: small ``num_trials_per_iter`` and a per-task cap,
   because the default of 64 per iteration hands a small budget to one task.

Both write to one directory per target (``database_dir``): MetaSchedule's
JSON database plus ``templates.json`` (best template parameters and their
measured seconds) and ``ledger.json`` (the budget each workload was tuned
with).  A workload already tuned with at least the requested budget is not
tuned again, so a second compile of the same layers costs no tuning.

``select_schedules`` then picks, per function, the faster of the measured
template and the best MetaSchedule record; without measurements it uses the
template's default parameters; functions nobody covers are left to DLight.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provider.local_compile._deps import require, torch_hidden_from_subprocesses
from provider.local_compile.cpu_schedules import (
    ConvParams,
    candidate_conv_params,
    conv_workload,
    default_conv_params,
    schedule_conv2d_nchw,
    schedule_pooling,
)

__all__ = ["TuningRecords", "tune_module", "select_schedules", "measure_primfunc", "build_candidate"]

Report = Callable[[str, int, int, str], None]


def _key(func: Any) -> str:
    from tvm import IRModule
    from tvm_ffi import structural_hash

    return str(structural_hash(IRModule({"main": func})))


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data, sort_keys=True, indent=1))
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


@dataclass
class TuningRecords:
    """The template results and the ledger of one target's database directory."""

    directory: Path

    @property
    def templates_path(self) -> Path:
        return self.directory / "templates.json"

    @property
    def ledger_path(self) -> Path:
        return self.directory / "ledger.json"

    def templates(self) -> dict[str, Any]:
        return _read_json(self.templates_path)

    def ledger(self) -> dict[str, int]:
        return {k: int(v) for k, v in _read_json(self.ledger_path).items()}

    def save(self, templates: dict[str, Any], ledger: dict[str, int]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_json(self.templates_path, templates)
        _write_json(self.ledger_path, ledger)

    def has_metaschedule(self) -> bool:
        return (self.directory / "database_workload.json").exists()


def measure_primfunc(func: Any, target: Any, min_repeat_ms: int = 40) -> float:
    """Median seconds of one PrimFunc on random inputs (weight repacking excluded, as MetaSchedule does)."""
    np = require("numpy", "numpy")
    import tvm
    from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock

    mod = tvm.IRModule({"main": func.with_attr("global_symbol", "main")})
    mod = RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)
    lib = tvm.compile(mod, target)
    rng = np.random.default_rng(0)
    device = tvm.cpu()
    args = [
        tvm.runtime.tensor(rng.standard_normal([int(d) for d in p.shape]).astype(str(p.dtype)), device)
        for p in mod["main"].params
    ]
    timer = lib.mod.time_evaluator("main", device, number=3, repeat=3, min_repeat_ms=min_repeat_ms)
    return float(timer(*args).median)


def _prim_funcs(mod: Any) -> list[tuple[Any, Any]]:
    from tvm import tirx

    return [(gv, f) for gv, f in mod.functions.items() if isinstance(f, tirx.PrimFunc)]


def _search_templates(mod: Any, target: Any, trials: int, records: dict[str, Any], report: Report) -> int:
    """Time template candidates for every conv task not yet searched with this budget."""
    conv_funcs = []
    for _, func in _prim_funcs(mod):
        workload = conv_workload(func)
        if workload is not None and candidate_conv_params(workload, target):
            conv_funcs.append((_key(func), func, workload))
    pending = [(k, f, w) for k, f, w in conv_funcs if records.get(k, {}).get("budget", 0) < trials]
    if not pending:
        return 0
    per_task = max(2, trials // (2 * len(pending)))
    total = sum(min(per_task, len(candidate_conv_params(w, target))) for _, _, w in pending)
    done = 0
    for key, func, workload in pending:
        candidates = candidate_conv_params(workload, target)[:per_task]
        timed: list[tuple[float, ConvParams]] = []
        for params in candidates:
            scheduled = schedule_conv2d_nchw(func, params)
            done += 1
            if scheduled is None:
                continue
            try:
                timed.append((measure_primfunc(scheduled, target), params))
            except Exception:  # a candidate that fails to build is just skipped
                continue
            report("tune", done, total, f"template conv {workload.out_channels}x{workload.in_channels} w{workload.out_width}")
        if not timed:
            continue
        default_seconds = timed[0][0] if timed[0][1] == candidates[0] else float("inf")
        seconds, params = min(timed, key=lambda item: item[0])
        # Noise guard: on a shared 2-core box a single timing can be off by 20%; a challenger must
        # beat the default clearly, and again when both are re-timed back to back.
        if params != candidates[0] and seconds < 0.9 * default_seconds:
            default_again = measure_primfunc(schedule_conv2d_nchw(func, candidates[0]), target)
            challenger_again = measure_primfunc(schedule_conv2d_nchw(func, params), target)
            if challenger_again >= 0.9 * default_again:
                seconds, params = default_again, candidates[0]
        elif params != candidates[0]:
            seconds, params = default_seconds, candidates[0]
        records[key] = {"params": params.to_json(), "seconds": seconds, "budget": trials}
    return done


def build_candidate(mod: Any, target: Any, _params: Any) -> Any:
    """MetaSchedule's default build minus ``import tvm.s_tir.tensor_intrin``.

    That import costs ~20 s of CPU and the builder pays it in every worker of
    every batch (the pool is recreated per batch), which on 2 cores is most of
    the tuning time and pushes builds past their timeout.  Float32 CPU
    schedules use no tensor intrinsics.
    """
    from tvm.driver import build as tvm_build
    from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock

    mod = RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)
    return tvm_build(mod, target=target)


def _metaschedule(tasks: list[Any], target: Any, budget: int, per_iteration: int | None, db_dir: Path, seed: int, report: Report, done_before: int, total: int) -> int:
    from tvm.ir.utils import derived_object
    from tvm.s_tir import meta_schedule as ms

    if not tasks or budget <= 0:
        return 0
    budget = max(budget, len(tasks))
    per_iter = per_iteration or max(4, min(32, budget // (4 * len(tasks))))
    per_task = max(per_iter, (3 * budget) // len(tasks))
    counter = {"done": 0}

    @derived_object
    class _ReportTrials(ms.measure_callback.PyMeasureCallback):
        def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
            counter["done"] += len(runner_results)
            report("tune", done_before + counter["done"], total, f"metaschedule {tasks[task_id].task_name}")

    cores = os.cpu_count() or 1
    strategy = ms.search_strategy.EvolutionarySearch(population_size=256, init_min_unmeasured=64, genetic_num_iters=3)
    contexts, weights = ms.relax_integration.extracted_tasks_to_tune_contexts(
        tasks, str(db_dir / "logs"), strategy=strategy, num_threads=cores, seed=seed
    )
    with torch_hidden_from_subprocesses():  # builder/runner workers are fresh `python -m tvm.exec.popen_worker`s
        ms.tune.tune_tasks(
            tasks=contexts,
            task_weights=weights,
            work_dir=str(db_dir / "logs"),
            max_trials_global=budget,
            max_trials_per_task=per_task,
            num_trials_per_iter=per_iter,
            builder=ms.builder.LocalBuilder(max_workers=cores, timeout_sec=120, f_build=build_candidate),
            runner=ms.runner.LocalRunner(
                evaluator_config=ms.runner.EvaluatorConfig(number=3, repeat=1, min_repeat_ms=20, enable_cpu_cache_flush=False)
            ),
            database=ms.database.JSONDatabase(work_dir=str(db_dir)),
            measure_callbacks=[*ms.measure_callback.MeasureCallback.create("default"), _ReportTrials()],
        )
    return counter["done"]


def tune_module(
    mod: Any,
    target: Any,
    trials: int,
    db_dir: Path,
    report: Report,
    trials_per_iteration: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Spend up to ``trials`` on the module's tasks; returns a summary (trials done, tasks, seconds)."""
    for module, dist in (("psutil", "psutil"), ("cloudpickle", "cloudpickle"), ("xgboost", "xgboost")):
        require(module, dist)
    from tvm.s_tir import meta_schedule as ms
    from tvm_ffi import structural_hash

    started = time.perf_counter()
    store = TuningRecords(db_dir)
    templates, ledger = store.templates(), store.ledger()
    template_trials = _search_templates(mod, target, trials, templates, report)
    store.save(templates, ledger)
    tasks = ms.relax_integration.extract_tasks(mod, target)
    keyed = [(str(structural_hash(t.dispatched[0])), t) for t in tasks]
    pending = [(k, t) for k, t in keyed if ledger.get(k, 0) < trials]
    remaining = max(0, trials - template_trials)
    templated = [t for _, t in pending if conv_workload(t.dispatched[0]["main"]) is not None]
    plain = [t for _, t in pending if t not in templated]
    plain_budget = min(remaining, 64 * len(plain))
    ms_trials = _metaschedule(plain, target, plain_budget, trials_per_iteration, db_dir, seed, report, template_trials, trials)
    ms_trials += _metaschedule(
        templated, target, remaining - ms_trials, trials_per_iteration, db_dir, seed, report, template_trials + ms_trials, trials
    ) if remaining - ms_trials >= 4 * max(1, len(templated)) else 0
    for key, _ in pending:
        ledger[key] = max(ledger.get(key, 0), trials)
    store.save(templates, ledger)
    return {
        "trials_requested": trials,
        "trials_done": template_trials + ms_trials,
        "template_trials": template_trials,
        "metaschedule_trials": ms_trials,
        "tasks": len(tasks),
        "tasks_tuned": len(pending),
        "tuning_seconds": round(time.perf_counter() - started, 3),
    }


def _metaschedule_choice(database: Any, func: Any, target: Any) -> tuple[Any, float] | None:
    import tvm

    if database is None:
        return None
    mod = tvm.IRModule({"main": func.with_attr("global_symbol", "main")})  # as extract_tasks commits it
    if not database.has_workload(mod):
        return None
    records = database.get_top_k(database.commit_workload(mod), 1)
    if not records or not records[0].run_secs:
        return None
    schedule = database.query_schedule(mod, target, workload_name="main")
    if schedule is None:
        return None
    seconds = sum(float(s) for s in records[0].run_secs) / len(records[0].run_secs)
    return schedule.mod["main"].without_attr("global_symbol").with_attr("tirx.is_scheduled", True), seconds


def select_schedules(mod: Any, target: Any, db_dir: Path | None) -> tuple[Any, dict[str, int]]:
    """Schedule every PrimFunc with the fastest known option; returns the module and counts per source."""
    from tvm.s_tir import meta_schedule as ms

    store = TuningRecords(db_dir) if db_dir is not None else None
    templates = store.templates() if store is not None else {}
    database = ms.database.JSONDatabase(work_dir=str(db_dir)) if store is not None and store.has_metaschedule() else None
    counts = {"template": 0, "metaschedule": 0, "pooling": 0, "unscheduled": 0}
    updates = {}
    with target:
        for gv, func in _prim_funcs(mod):
            if func.attrs is not None and func.attrs.get("tirx.is_scheduled", False):
                continue
            options: list[tuple[float, str, Any]] = []
            ms_choice = _metaschedule_choice(database, func, target)
            if ms_choice is not None:
                options.append((ms_choice[1], "metaschedule", ms_choice[0]))
            workload = conv_workload(func)
            if workload is not None:
                record = templates.get(_key(func))
                params = ConvParams(**record["params"]) if record else default_conv_params(workload, target)
                scheduled = schedule_conv2d_nchw(func, params) if params is not None else None
                if scheduled is not None:
                    # An unmeasured template still beats an unscheduled loop nest; measured ones compete.
                    options.append((record["seconds"] if record else float("inf") if ms_choice else 0.0, "template", scheduled))
            elif ms_choice is None:
                pooled = schedule_pooling(func) if any(b in func.script() for b in ("pool_max", "pool_sum", "pool_avg")) else None
                if pooled is not None:
                    options.append((0.0, "pooling", pooled))
            if not options:
                counts["unscheduled"] += 1
                continue
            _, source, scheduled = min(options, key=lambda option: option[0])
            counts[source] += 1
            updates[gv] = scheduled
    for gv, func in updates.items():
        mod[gv] = func
    return mod, counts
