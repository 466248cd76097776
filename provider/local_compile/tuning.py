"""Tuning: template search + MetaSchedule, with a persistent database, and schedule selection.

A trial budget is spent in two places (tvm imported lazily):

1. *Template search* (at most half the budget): for every conv2d task,
   candidates of the hand-written template (``cpu_schedules``) are compiled
   and timed one by one.  Cheap (~0.5 s per candidate) and it starts from a
   schedule already near onnxruntime.
2. *MetaSchedule*: the remaining trials go to MetaSchedule, first to the tasks
   no template covers (pooling, reductions, dense layers), then to the conv
   tasks.  Trials are spread: small ``num_trials_per_iter`` and a per-task cap,
   because the default of 64 per iteration hands a small budget to one task.

Both write to one directory per target (``database_dir``): MetaSchedule's
JSON database plus ``templates.json`` (best template parameters and their
measured seconds) and ``ledger.json`` (the budget each workload was tuned
with).  A workload already tuned with at least the requested budget is not
tuned again, so a second compile of the same layers costs no tuning.

Every measurement counts against the budget, failed ones included, and the
budget is never exceeded.  A budget in wall-clock time (``max_seconds``) is
checked between template candidates and between MetaSchedule batches: a batch
is not started when the last one says it would end past the budget.  The
template search gets at most 40% of the time; alone, a time budget allows as
many trials as fit.  Candidates that fail to build or measure are
counted and the first error kept (in the summary and the progress); a run in
which all of them fail raises ``TuningFailed`` instead of quietly keeping the
untuned kernels.  ``progress.json`` holds what an unfinished run spent, so a
run that fails (a device gone, the tracker down) is continued, not restarted.

Where candidates are timed is a ``Measurer``: this host (in-process for
templates, MetaSchedule's LocalRunner), or the devices registered with a TVM
RPC tracker (``remote``: MetaSchedule's RPCRunner, one worker per device).

``select_schedules`` then picks, per function, the faster of the measured
template and the best MetaSchedule record; without measurements it uses the
template's default parameters; functions nobody covers are left to DLight.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagemaker_reconciler.errors import TuningFailed
from sagemaker_reconciler.local_compile._deps import require, torch_hidden_from_subprocesses
from sagemaker_reconciler.local_compile.cpu_schedules import (
    ConvParams,
    candidate_conv_params,
    conv_workload,
    default_conv_params,
    schedule_conv2d_nchw,
    schedule_pooling,
)
from sagemaker_reconciler.local_compile.remote import (
    DeviceLog,
    RemoteDevices,
    RemoteTuningFailed,
    check_devices,
    export_candidate,
    make_rpc_runner,
    measure_remote,
    request_session,
)

__all__ = [
    "TuningRecords",
    "TuningFailed",
    "Measurer",
    "tune_module",
    "select_schedules",
    "measure_primfunc",
    "build_candidate",
]

Report = Callable[[str, int, int, str], None]

UNBOUNDED_TRIALS = 100_000  # a time budget alone: as many trials as fit (the spec's largest trial budget)
TEMPLATE_TIME_SHARE = 0.4  # of a time budget, at most this much goes to the conv template search
MIN_METASCHEDULE_SECONDS = 30.0  # less time than this left: MetaSchedule (start-up ~25 s here) is not started


@dataclass
class _Clock:
    """The wall-clock budget: ``end`` on ``time.monotonic()``, None when the budget is trials only."""

    end: float | None = None
    hit: bool = False

    def left(self) -> float:
        return float("inf") if self.end is None else self.end - time.monotonic()

    def would_overrun(self, next_step_seconds: float = 0.0) -> bool:
        """True (and remembered) when a step of that length would end past the budget."""
        if self.end is not None and time.monotonic() + next_step_seconds > self.end:
            self.hit = True
        return self.hit

    def share(self, fraction: float) -> _Clock:
        """A clock ending once ``fraction`` of the time left is spent (the whole clock when unbounded)."""
        if self.end is None:
            return _Clock()
        return _Clock(time.monotonic() + fraction * max(0.0, self.left()))


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


def _first_line(text: Any) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    interesting = [line for line in lines if "Error" in line or "error" in line]
    return (interesting[-1] if interesting else lines[-1] if lines else "unknown error")[:400]


@dataclass
class _Ledger:
    """What this run spent and what failed, kept in the database directory as it goes."""

    records: TuningRecords
    run_id: str
    spent_before: int = 0
    spent: int = 0
    failed: int = 0
    first_error: str = ""
    seconds_before: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def progress_path(self) -> Path:
        return self.records.directory / "progress.json"

    def load(self, since: float) -> None:
        """What an unfinished run of the same tasks and budget spent: trials, and seconds of a time budget."""
        entry = _read_json(self.progress_path).get(self.run_id, 0)
        if isinstance(entry, dict):
            self.spent_before = int(entry.get("trials", 0))
            self.seconds_before = float(entry.get("seconds", 0.0))
        else:  # written before time budgets: a trial count
            self.spent_before = int(entry)
        self.started = since

    def count(self, measured: int, failures: list[str]) -> None:
        self.spent += measured
        self.failed += len(failures)
        if failures and not self.first_error:
            self.first_error = failures[0]
        self.records.directory.mkdir(parents=True, exist_ok=True)
        progress = _read_json(self.progress_path)
        progress[self.run_id] = {
            "trials": self.spent_before + self.spent,
            "seconds": round(self.seconds_before + time.monotonic() - self.started, 3),
        }
        _write_json(self.progress_path, progress)

    def finish(self) -> None:
        progress = _read_json(self.progress_path)
        progress.pop(self.run_id, None)
        _write_json(self.progress_path, progress)

    def summary(self) -> dict[str, Any]:
        if not self.failed:
            return {}
        return {"failed_trials": self.failed, "first_failure": self.first_error}


@dataclass
class Measurer:
    """Where candidates are timed: this host, or the devices behind an RPC tracker."""

    target: Any
    devices: RemoteDevices | None = None
    cross_compiler: str | None = None
    log: DeviceLog | None = None

    def seconds(self, func: Any, min_repeat_ms: int = 40) -> float:
        if self.devices is None or self.log is None:
            return measure_primfunc(func, self.target, min_repeat_ms)
        import tvm
        from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock

        mod = tvm.IRModule({"main": func.with_attr("global_symbol", "main")})
        mod = RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod)
        library = tvm.compile(mod, self.target)
        return measure_remote(
            library, list(mod["main"].params), self.devices, self.log, self.cross_compiler, min_repeat_ms
        )

    def where(self) -> str:
        if self.devices is None or self.log is None:
            return ""
        return f"; measured on {self.log.summary() or 'no device yet'} ({self.devices.describe()})"


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


def _search_templates(
    mod: Any,
    measurer: Measurer,
    trials: int,
    budget: int,
    store: TuningRecords,
    ledger: _Ledger,
    report: Report,
    clock: _Clock | None = None,
    max_seconds: float | None = None,
) -> int:
    """Time template candidates for every conv task not yet searched with this budget; at most ``budget`` timings.

    With a ``clock``, each task gets an even share of the time left and the search ends with the clock;
    ``max_seconds`` (the run's time budget) is recorded with each result, so a later run with a larger
    trial budget, or with no time cap, searches again (``covers``).
    """
    clock = clock or _Clock()
    target = measurer.target
    records = store.templates()
    conv_funcs = []
    for _, func in _prim_funcs(mod):
        workload = conv_workload(func)
        if workload is not None and candidate_conv_params(workload, target):
            conv_funcs.append((_key(func), func, workload))
    pending = [
        (k, f, w)
        for k, f, w in conv_funcs
        if not covers(records.get(k, {}).get("budget", 0), records.get(k, {}).get("max_seconds"), trials, max_seconds)
    ]
    budgets = {"budget": trials, **({"max_seconds": max_seconds} if max_seconds is not None else {})}
    if not pending or budget <= 0:
        return 0
    per_task = max(1, budget // len(pending))
    done = 0

    def timed(func: Any, params: ConvParams) -> float | None:
        nonlocal done
        scheduled = schedule_conv2d_nchw(func, params)
        if scheduled is None:
            return None
        done += 1
        try:
            seconds = measurer.seconds(scheduled)
        except RemoteTuningFailed:
            ledger.count(1, [])
            raise
        except Exception as exc:  # counted and reported, not silently skipped
            ledger.count(1, [f"template conv {params}: {_first_line(exc)}"])
            return None
        ledger.count(1, [])
        return seconds

    for index, (key, func, workload) in enumerate(pending):
        task_clock = clock.share(1.0 / (len(pending) - index))
        if done >= budget or clock.would_overrun():
            # out of budget: this run leaves the default tile to it, as a run of this budget always will
            default = candidate_conv_params(workload, target)[0]
            records[key] = {"params": default.to_json(), "seconds": float("inf"), **budgets}
            continue
        candidates = candidate_conv_params(workload, target)[: max(1, min(per_task, budget - done))]
        results: list[tuple[float, ConvParams]] = []
        for params in candidates:
            if results and task_clock.would_overrun():
                break  # this task's share of the time is spent (the default, measured first, is in)
            seconds = timed(func, params)
            if seconds is not None:
                results.append((seconds, params))
            report(
                "tune",
                ledger.spent_before + ledger.spent,
                trials,
                f"template conv {workload.out_channels}x{workload.in_channels} w{workload.out_width}{measurer.where()}",
            )
        if not results:
            records[key] = {"params": candidates[0].to_json(), "seconds": float("inf"), **budgets}
            continue
        default_seconds = results[0][0] if results[0][1] == candidates[0] else float("inf")
        seconds, params = min(results, key=lambda item: item[0])
        # Noise guard: on a shared 2-core box a single timing can be off by 20%; a challenger must
        # beat the default clearly, and again when both are re-timed back to back (budget allowing).
        if params != candidates[0] and seconds < 0.9 * default_seconds:
            if budget - done >= 2 and not clock.would_overrun():
                default_again = timed(func, candidates[0])
                challenger_again = timed(func, params)
                if (
                    default_again is not None
                    and challenger_again is not None
                    and challenger_again >= 0.9 * default_again
                ):
                    seconds, params = default_again, candidates[0]
        elif params != candidates[0]:
            seconds, params = default_seconds, candidates[0]
        records[key] = {"params": params.to_json(), "seconds": seconds, **budgets}
        store.save(records, store.ledger())  # kept even if a later task fails
    store.save(records, store.ledger())
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


def _builder_and_runner(measurer: Measurer, workers: int) -> tuple[Any, Any]:
    from tvm.s_tir import meta_schedule as ms

    cores = os.cpu_count() or 1
    evaluator = ms.runner.EvaluatorConfig(number=3, repeat=1, min_repeat_ms=20, enable_cpu_cache_flush=False)
    if measurer.devices is None or measurer.log is None:
        return (
            ms.builder.LocalBuilder(max_workers=cores, timeout_sec=120, f_build=build_candidate),
            ms.runner.LocalRunner(evaluator_config=evaluator),
        )
    builder = ms.builder.LocalBuilder(
        max_workers=cores,
        timeout_sec=120,
        f_build=build_candidate,
        f_export=functools.partial(export_candidate, cross_compiler=measurer.cross_compiler),
    )
    return builder, make_rpc_runner(measurer.devices, evaluator, measurer.log, workers)


def _drop_unnamed_handlers(logger: logging.Logger) -> None:
    """MetaSchedule's logging set-up lists the logger's handlers by name and crashes on an unnamed one.

    pytest's log capture leaves such handlers there, so a second tuning run in one process failed.
    """
    for handler in [h for h in logger.handlers if h.get_name() is None]:
        logger.removeHandler(handler)


def _metaschedule(
    tasks: list[Any],
    measurer: Measurer,
    budget: int,
    per_iteration: int | None,
    db_dir: Path,
    seed: int,
    report: Report,
    ledger: _Ledger,
    total: int,
    workers: int,
    clock: _Clock | None = None,
) -> int:
    """Spend at most ``budget`` measured trials on ``tasks``; returns the trials measured.

    With a time ``clock``, a batch is not started when the last one (search, build, measurement)
    says it would end past the budget: the measure callback stops the run there (a batch still
    being measured then is dropped).
    """
    from tvm.ir.utils import derived_object
    from tvm.s_tir import meta_schedule as ms

    clock = clock or _Clock()
    if not tasks or budget <= 0 or clock.would_overrun(MIN_METASCHEDULE_SECONDS):
        return 0
    tasks = tasks[:budget]  # fewer trials than tasks: one each for the first ones
    # A time budget: batches of at most 16, so the run stops near its end and early batches reach every task.
    widest = 32 if clock.end is None else 16
    per_iter = per_iteration or max(4, min(widest, budget // (4 * len(tasks))))
    per_iter = min(per_iter, max(1, budget // len(tasks)))  # a small budget still reaches every task
    per_task = max(1, min(budget, max(per_iter, (3 * budget) // len(tasks))))
    # The scheduler checks the global cap before a batch of up to per_iter trials, so it can end up
    # per_iter - 1 over: cap it lower so the budget holds.
    global_cap = max(1, budget - per_iter + 1)
    state: dict[str, Any] = {"done": 0, "abort": None, "out_of_time": False, "batch_started": time.monotonic()}

    @derived_object
    class _CountTrials(ms.measure_callback.PyMeasureCallback):
        def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results):
            failures = [f"build: {_first_line(b.error_msg)}" for b in builder_results if b.error_msg]
            failures += [
                f"measure: {_first_line(r.error_msg)}"
                for b, r in zip(builder_results, runner_results)
                if r.error_msg and not b.error_msg
            ]
            state["done"] += len(runner_results)
            ledger.count(len(runner_results), failures)
            report(
                "tune",
                ledger.spent_before + ledger.spent,
                total,
                f"metaschedule {tasks[task_id].task_name}{measurer.where()}",
            )
            if measurer.devices is not None and runner_results and all(r.error_msg for r in runner_results):
                try:  # a whole batch lost: are there devices left at all?
                    check_devices(measurer.devices)
                except RemoteTuningFailed as exc:
                    state["abort"] = exc
                    raise
            now = time.monotonic()
            last_batch, state["batch_started"] = now - state["batch_started"], now
            if clock.would_overrun(last_batch):
                state["out_of_time"] = True
                raise _OutOfTime()  # ends tune_tasks; this batch's records are already in the database

    _drop_unnamed_handlers(logging.getLogger("tvm.s_tir.meta_schedule"))
    strategy = ms.search_strategy.EvolutionarySearch(population_size=256, init_min_unmeasured=64, genetic_num_iters=3)
    contexts, weights = ms.relax_integration.extracted_tasks_to_tune_contexts(
        tasks, str(db_dir / "logs"), strategy=strategy, num_threads=os.cpu_count() or 1, seed=seed
    )
    builder, runner = _builder_and_runner(measurer, workers)
    try:
        with torch_hidden_from_subprocesses():  # builder/runner workers are fresh `python -m tvm.exec.popen_worker`s
            ms.tune.tune_tasks(
                tasks=contexts,
                task_weights=weights,
                work_dir=str(db_dir / "logs"),
                max_trials_global=global_cap,
                max_trials_per_task=per_task,
                num_trials_per_iter=per_iter,
                builder=builder,
                runner=runner,
                database=ms.database.JSONDatabase(work_dir=str(db_dir)),
                measure_callbacks=[*ms.measure_callback.MeasureCallback.create("default"), _CountTrials()],
                # The gradient scheduler first sends one batch of every task before it collects any, so
                # its first callback can come after the time is up; round-robin collects each batch on
                # the next pick, so a time budget is checked once per batch.
                task_scheduler="gradient" if clock.end is None else "round-robin",
            )
    except Exception:
        if state["abort"] is not None:
            raise state["abort"] from None
        if not state["out_of_time"]:
            raise
    return state["done"]


class _OutOfTime(Exception):
    """Raised from the measure callback to end a MetaSchedule run at its time budget."""


def _remote_target(target: Any, devices: RemoteDevices) -> Any:
    """The target with the device's thread count as ``num-cores`` (MetaSchedule sizes parallel loops by it)."""
    import tvm

    session, _ = request_session(devices)
    threads = int(session.get_function("runtime.NumThreads")())
    return tvm.target.Target({**dict(target.export()), "num-cores": max(1, threads)})


def tune_module(
    mod: Any,
    target: Any,
    trials: int,
    db_dir: Path,
    report: Report,
    trials_per_iteration: int | None = None,
    seed: int = 0,
    devices: RemoteDevices | None = None,
    cross_compiler: str | None = None,
    max_seconds: float | None = None,
) -> dict[str, Any]:
    """Spend at most ``trials`` measurements on the module's tasks; returns a summary (trials done, tasks, seconds).

    ``max_seconds`` caps the run in wall-clock time as well (with ``trials=0``:
    as many trials as fit).  With ``devices`` the candidates are measured on
    the tracker's devices (cross-linked with ``cross_compiler``).  What a run
    measured (trials and seconds) is written to the database as it goes, so a
    run that fails is continued by the next one with what is left of its budget.
    """
    for module, dist in (("psutil", "psutil"), ("cloudpickle", "cloudpickle"), ("xgboost", "xgboost")):
        require(module, dist)
    from tvm.s_tir import meta_schedule as ms
    from tvm_ffi import structural_hash

    started, since = time.perf_counter(), time.monotonic()
    requested = trials
    trials = trials or (UNBOUNDED_TRIALS if max_seconds is not None else 0)
    workers = 1
    log = None
    if devices is not None:
        workers = check_devices(devices)  # the tracker is up and has devices under the key, before any work
        log = DeviceLog.create(db_dir / "logs")
        target = _remote_target(target, devices)
        report("tune", 0, requested, f"measuring on {workers} device(s): {devices.describe()}")
    measurer = Measurer(target, devices, cross_compiler, log)
    store = TuningRecords(db_dir)
    tuned = store.ledger()
    tasks = ms.relax_integration.extract_tasks(mod, target)
    keyed = [(str(structural_hash(t.dispatched[0])), t) for t in tasks]
    pending = [(k, t) for k, t in keyed if not _already_tuned(tuned, k, trials, max_seconds)]
    run = [sorted(k for k, _ in pending), trials] + ([max_seconds] if max_seconds is not None else [])
    ledger = _Ledger(store, hashlib.sha256(json.dumps(run).encode()).hexdigest()[:16])
    ledger.load(since)
    budget = max(0, trials - ledger.spent_before)
    clock = _Clock(None if max_seconds is None else since + max_seconds - ledger.seconds_before)
    report = _with_time_left(report, clock, requested)
    template_trials = _search_templates(
        mod, measurer, trials, budget // 2, store, ledger, report, clock.share(TEMPLATE_TIME_SHARE), max_seconds
    )
    remaining = budget - template_trials
    templated = [t for _, t in pending if conv_workload(t.dispatched[0]["main"]) is not None]
    plain = [t for _, t in pending if t not in templated]
    plain_budget = min(remaining, 64 * len(plain))
    if clock.end is not None and not templated:
        plain_budget = remaining  # a time budget and no conv task to move on to: tune these until the time is up
    ms_trials = _metaschedule(
        plain, measurer, plain_budget, trials_per_iteration, db_dir, seed, report, ledger, requested, workers, clock
    )
    if remaining - ms_trials >= 4 * max(1, len(templated)):
        ms_trials += _metaschedule(
            templated,
            measurer,
            remaining - ms_trials,
            trials_per_iteration,
            db_dir,
            seed,
            report,
            ledger,
            requested,
            workers,
            clock,
        )
    if ledger.spent and ledger.failed == ledger.spent:
        raise TuningFailed(ledger.failed, ledger.first_error)
    if ledger.failed:
        report(
            "tune",
            ledger.spent_before + ledger.spent,
            requested,
            f"{ledger.failed} of {ledger.spent} candidates failed to build or measure; the first: {ledger.first_error}",
        )
    tuned = store.ledger()
    for key, _ in pending:
        _record_tuned(tuned, key, trials, max_seconds)
    store.save(store.templates(), tuned)
    ledger.finish()
    summary = {
        "trials_requested": requested,
        "trials_done": template_trials + ms_trials,
        "template_trials": template_trials,
        "metaschedule_trials": ms_trials,
        "tasks": len(tasks),
        "tasks_tuned": len(pending),
        "tuning_seconds": round(time.perf_counter() - started, 3),
        **ledger.summary(),
    }
    if max_seconds is not None:
        summary["max_minutes"] = round(max_seconds / 60.0, 6)
        summary["stopped_by_time"] = clock.hit
    if devices is not None:
        summary["measured_on"] = {"tracker": devices.tracker, "device_key": devices.key}
    return summary


def _timed_key(key: str) -> str:
    """The ledger entry of a workload tuned under a time budget: the budget in seconds."""
    return f"{key}@seconds"


def covers(done_trials: int, done_seconds: float | None, trials: int, max_seconds: float | None) -> bool:
    """Whether a run with budget (``done_trials``, ``done_seconds``) did at least what a run with
    (``trials``, ``max_seconds``) would: neither of its bounds was tighter (no time budget = unbounded).
    A 15-minute run does not cover a 64-trial one (it may have spent its minutes elsewhere), and a
    64-trial run does not cover a 15-minute one."""
    have = float("inf") if done_seconds is None else done_seconds
    want = float("inf") if max_seconds is None else max_seconds
    return done_trials >= trials and have >= want


def _already_tuned(ledger: dict[str, int], key: str, trials: int, max_seconds: float | None) -> bool:
    return covers(ledger.get(key, 0), ledger.get(_timed_key(key)), trials, max_seconds)


def _record_tuned(ledger: dict[str, int], key: str, trials: int, max_seconds: float | None) -> None:
    """Remember a workload's budget unless what is remembered already covers it."""
    if _already_tuned(ledger, key, trials, max_seconds):
        return
    ledger[key] = trials
    if max_seconds is None:
        ledger.pop(_timed_key(key), None)
    else:
        ledger[_timed_key(key)] = int(max_seconds)


def _with_time_left(report: Report, clock: _Clock, requested: int) -> Report:
    """Progress lines of a time-budgeted run also say the trials so far and the seconds left."""
    if clock.end is None:
        return report

    def timed_report(stage: str, done: int, _total: int, detail: str) -> None:
        report(stage, done, requested, f"{detail} ({done} trials, {max(0.0, clock.left()):.0f} s left)")

    return timed_report


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
    database = (
        ms.database.JSONDatabase(work_dir=str(db_dir)) if store is not None and store.has_metaschedule() else None
    )
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
                    options.append(
                        (record["seconds"] if record else float("inf") if ms_choice else 0.0, "template", scheduled)
                    )
            elif ms_choice is None:
                pooled = (
                    schedule_pooling(func)
                    if any(b in func.script() for b in ("pool_max", "pool_sum", "pool_avg"))
                    else None
                )
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
