"""A tuning budget in wall-clock minutes (`tuning.maxMinutes`), and tuning that never makes a build worse.

The spec rules, the cache key and the plan need no tvm; the tuning runs are
real (MetaSchedule and the conv template search on a small convnet) and the
artifacts are checked against onnxruntime.
"""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.local_compile import CompileRequest, TuningOptions, compile_model
from sagemaker_reconciler.local_compile.tuning import TuningRecords, _Ledger, _record_tuned, covers
from sagemaker_reconciler.local_compile.tvm_backend import run_library
from sagemaker_reconciler.local_compile.verify import verify_artifact
from sagemaker_reconciler.plan.model import Action
from sagemaker_reconciler.reconcile.local_compile import LocalCompiler, _tuning_options
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from sagemaker_reconciler.specs.tuning import tuning_settings
from tests.local_compile.models import checked_model, onnxruntime_outputs, publish_manifest_only, write_model_archive
from tests.local_compile.test_compile import CONVNET_SHAPES
from tests.local_compile.test_rpc_tuning import SHAPES, _job, _violations

# --- the spec: tuning.maxMinutes (no tvm) ---------------------------------------------------------


@pytest.mark.parametrize(
    "value, words",
    [(-1, "at least 0"), (1441, "at most 1440"), ("15", "valid number"), (True, "valid number")],
)
def test_bad_max_minutes_names_the_field_and_the_rule(value, words):
    rules = _violations(_job(tuning={"maxMinutes": value}))
    assert words in rules["tuning.maxMinutes"], rules


def test_a_time_budget_alone_asks_for_as_many_trials_as_fit_and_zero_means_no_cap():
    spec = parse_compilation_job(_job(tuning={"maxMinutes": 15}))
    settings = tuning_settings(spec.tuning, spec.tuning_trials)
    assert settings.tuned and settings.trials == 0 and settings.max_minutes == 15.0
    options = _tuning_options(spec)
    assert options.tuned and options.max_minutes == 15.0 and options.trials == 0
    both = _tuning_options(parse_compilation_job(_job(tuning={"trials": 200, "maxMinutes": 0.5})))
    assert both.trials == 200 and both.max_minutes == 0.5
    none = _tuning_options(parse_compilation_job(_job(tuning={"trials": 0, "maxMinutes": 0})))
    assert not none.tuned and none.max_minutes is None


def test_a_time_budget_where_nothing_can_be_measured_is_refused_like_a_trial_budget():
    assert "CUDA" in _violations(_job("jetson_nano", tuning={"maxMinutes": 5}))["tuning.maxMinutes"]
    rule = _violations(_job("rasp4b", tuning={"maxMinutes": 5}))["tuning.maxMinutes"]
    assert "tuning.tracker" in rule and "maxMinutes to 0" in rule
    cloud = {
        **_job(tuning={"maxMinutes": 5}),
        "mode": "cloud",
        "inputConfig": {"s3Uri": "s3://m/model.tar.gz", "framework": "ONNX", "dataInputConfig": SHAPES},
        "outputConfig": {"s3OutputLocation": "s3://out", "targetDevice": "ml_c5"},
    }
    assert "mode: local" in _violations(cloud)["tuning"]


def test_the_engine_refuses_a_time_budget_out_of_range(convnet_archive):
    for minutes in (0.0, -2.0, 1441.0):
        tuning = TuningOptions(max_minutes=minutes)
        with pytest.raises(SpecError, match="tuning.maxMinutes"):
            compile_model(CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c5", tuning=tuning))


def test_the_cache_key_covers_the_time_budget_and_untuned_keys_are_unchanged():
    assert "max_minutes" not in TuningOptions().key_fields()  # keys of earlier artifacts still hit
    assert "max_minutes" not in TuningOptions(trials=64).key_fields()
    keys = [
        json.dumps(TuningOptions(trials=t, max_minutes=m).key_fields(), sort_keys=True)
        for t, m in ((0, None), (0, 15.0), (0, 10.0), (64, 15.0), (64, None))
    ]
    assert len(set(keys)) == len(keys)
    assert TuningOptions(max_minutes=15).uses_records and not TuningOptions().uses_records


def test_a_plan_replaces_an_artifact_built_with_another_time_budget(tmp_path, convnet_archive):
    def job(minutes: float) -> dict:
        return {
            **_job(tuning={"maxMinutes": minutes}),
            "inputConfig": {"s3Uri": f"file://{convnet_archive}", "framework": "ONNX", "dataInputConfig": SHAPES},
            "outputConfig": {"s3OutputLocation": f"file://{tmp_path}", "targetDevice": "ml_c5"},
        }

    publish_manifest_only(parse_compilation_job(job(15)), convnet_archive, {"trials_requested": 0, "max_minutes": 15.0})
    assert LocalCompiler().plan(parse_compilation_job(job(15))).action is Action.NOOP
    plan = LocalCompiler().plan(parse_compilation_job(job(5)))
    assert plan.action is Action.REPLACE and plan.replaces == ["tuning"]
    assert plan.changes[0].old == 15.0 and plan.changes[0].new == 5.0
    assert any("time budget of 15.0 minutes" in note for note in plan.notes)


def test_an_unfinished_run_is_resumed_with_the_trials_and_seconds_it_had_left(tmp_path):
    records = TuningRecords(tmp_path)
    first = _Ledger(records, "run-a")
    first.load(since=0.0)
    first.count(5, ["build: boom"])
    progress = json.loads((tmp_path / "progress.json").read_text())["run-a"]
    assert progress["trials"] == 5 and progress["seconds"] > 0
    again = _Ledger(records, "run-a")
    again.load(since=0.0)
    assert again.spent_before == 5 and again.seconds_before == progress["seconds"]
    (tmp_path / "progress.json").write_text(json.dumps({"run-b": 7}))  # written before time budgets
    old = _Ledger(records, "run-b")
    old.load(since=0.0)
    assert old.spent_before == 7 and old.seconds_before == 0.0


def test_a_budget_counts_as_done_only_when_an_earlier_run_had_no_tighter_bound():
    """A workload tuned for 15 minutes is not tuned "for 64 trials" (the minutes may have gone to other
    tasks), nor the other way round; a larger budget of the same kind covers a smaller one."""
    assert covers(64, None, 64, None) and covers(200, None, 64, None) and not covers(32, None, 64, None)
    assert covers(100_000, 900, 100_000, 900) and covers(100_000, 900, 100_000, 300)
    assert not covers(100_000, 900, 64, None)  # time-capped does not cover an uncapped trial count
    assert not covers(64, None, 100_000, 900)  # 64 trials do not cover "as many as fit in 15 minutes"
    ledger: dict[str, int] = {}
    _record_tuned(ledger, "w", 100_000, 900)
    _record_tuned(ledger, "w", 100_000, 300)  # covered: the 900 s record stays
    assert ledger == {"w": 100_000, "w@seconds": 900}
    _record_tuned(ledger, "w", 64, None)  # not covered: an uncapped run replaces it
    assert ledger == {"w": 64}


# --- real tuning runs -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_time_budget_stops_tuning_at_its_end_and_the_artifact_matches_onnxruntime(convnet_archive, tmp_path):
    """45 s, no trial count: the template search and MetaSchedule run until the time is spent."""
    lines: list[str] = []
    tuning = TuningOptions(max_minutes=0.75, database_dir=tmp_path / "db")
    request = CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c5", tuning=tuning)
    result = compile_model(request, cache_dir=tmp_path / "cache", progress=lambda p: lines.append(str(p)))
    manifest = result.manifest["tuning"]
    assert manifest["max_minutes"] == 0.75 and manifest["trials_requested"] == 0
    assert manifest["stopped_by_time"] is True  # a small model still has trials left at 45 s
    assert result.trials_done > 0 and manifest["template_trials"] > 0 and manifest["metaschedule_trials"] > 0
    # Checked between batches, and a batch is not started when the last one says it would overrun.
    assert result.tuning_seconds <= 45 * 1.5, result.tuning_seconds
    assert any(" s left)" in line for line in lines)
    report = verify_artifact(result.artifact, convnet_archive, result.target)
    assert report.max_abs_error < 1e-4
    # The same budget again: a cache hit; a longer one is a different artifact and tunes the workloads anew.
    assert compile_model(request, cache_dir=tmp_path / "cache").cache_hit
    # A trial count on the same database is not covered by the time-capped run: the convs are searched again.
    counted = TuningOptions(trials=8, database_dir=tmp_path / "db")
    again = compile_model(
        CompileRequest(convnet_archive, "ONNX", CONVNET_SHAPES, target_device="ml_c5", tuning=counted),
        cache_dir=tmp_path / "cache",
    )
    assert again.manifest["tuning"]["template_trials"] > 0, again.manifest["tuning"]


@pytest.mark.slow
def test_a_time_budget_on_a_model_without_convs_is_spent_on_metaschedule_until_the_time_is_up(tmp_path):
    """No per-task trial cap (64 with convs to move on to) ends the run early: MetaSchedule keeps tuning
    the one dense layer until the 90 s are up."""
    archive = write_model_archive(_dense_model(), tmp_path / "dense.tar.gz")
    tuning = TuningOptions(max_minutes=1.5, database_dir=tmp_path / "db")
    request = CompileRequest(archive, "ONNX", {"x": [64, 256]}, target_device="ml_c5", tuning=tuning)
    result = compile_model(request, cache_dir=tmp_path / "cache")
    manifest = result.manifest["tuning"]
    assert manifest["stopped_by_time"] is True and manifest["template_trials"] == 0
    assert manifest["metaschedule_trials"] > 64 and result.tuning_seconds <= 90 * 1.5


def _dense_model(seed: int = 0) -> onnx.ModelProto:
    """relu(x @ W + b): 64x256 @ 256x256, where a naive loop nest is ~50x slower than the rule schedule."""
    rng = np.random.default_rng(seed)
    inits = [
        numpy_helper.from_array((rng.standard_normal((256, 256)) * 0.06).astype(np.float32), "W"),
        numpy_helper.from_array((rng.standard_normal(256) * 0.1).astype(np.float32), "b"),
    ]
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["h"]),
        helper.make_node("Add", ["h", "b"], ["hb"]),
        helper.make_node("Relu", ["hb"], ["y"]),
    ]
    return checked_model(
        nodes,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 256])],
        inits,
        "dense",
    )


def _plant_slow_record(
    model: onnx.ModelProto, request: CompileRequest, cache_dir: Path, trials: int, function: str = "matmul"
) -> str:
    """A tuning database whose record for the ``function`` (name part) is the naive loop nest, innermost loops swapped, claiming 1 ns, with the ledger saying every
    workload is already tuned (so the build tunes nothing and uses it)."""
    import tvm
    from tvm.s_tir import Schedule
    from tvm.s_tir import meta_schedule as ms
    from tvm_ffi import structural_hash

    from sagemaker_reconciler.local_compile.engine import check_request
    from sagemaker_reconciler.local_compile.frontends import load_model
    from sagemaker_reconciler.local_compile.tvm_backend import _database_dir, _prepare, _tvm_target

    target = check_request(request)
    tvm_target = _tvm_target(target, os.cpu_count())
    onnx.save(model, str(cache_dir.parent / "planted.onnx"))
    loaded = load_model([cache_dir.parent / "planted.onnx"], "ONNX", request.data_input_config, target.input_dtype)
    mod = _prepare(loaded.module, tvm_target)
    db_dir = _database_dir(target, request.tuning, cache_dir)
    db_dir.mkdir(parents=True)
    database = ms.database.JSONDatabase(work_dir=str(db_dir))
    planted = ""
    for gv, func in mod.functions.items():
        if isinstance(func, tvm.tirx.PrimFunc) and function in gv.name_hint:
            workload_mod = tvm.IRModule({"main": func.with_attr("global_symbol", "main")})
            workload = database.commit_workload(workload_mod)
            slow = Schedule(workload_mod)  # the naive loop nest, its two innermost spatial loops swapped
            root = slow.get_sblock("root")
            (block,) = [
                b for b in slow.get_child_blocks(root) if any(iv.iter_type == 2 for iv in slow.get(b).iter_vars)
            ]
            spatial = [loop for loop, iv in zip(slow.get_loops(block), slow.get(block).iter_vars) if iv.iter_type == 0]
            slow.reorder(spatial[-1], spatial[-2])  # a record needs a trace: an empty one is never returned
            database.commit_tuning_record(
                ms.database.TuningRecord(
                    slow.trace, workload, [1e-9], tvm_target, ms.arg_info.ArgInfo.from_prim_func(func)
                )
            )
            planted = gv.name_hint
    tasks = ms.relax_integration.extract_tasks(mod, tvm_target)
    ledger = {str(structural_hash(t.dispatched[0])): trials for t in tasks}
    TuningRecords(db_dir).save({}, ledger)
    return planted


@pytest.mark.slow
def test_a_tuning_record_slower_than_the_rule_schedule_is_not_used_and_the_manifest_says_why(tmp_path):
    model = _dense_model()
    archive = write_model_archive(model, tmp_path / "dense.tar.gz")
    tuning = TuningOptions(trials=4, database_dir=tmp_path / "db")
    request = CompileRequest(archive, "ONNX", {"x": [64, 256]}, target_device="ml_c5", tuning=tuning)
    planted = _plant_slow_record(model, request, tmp_path / "cache", tuning.trials)
    assert planted

    result = compile_model(request, cache_dir=tmp_path / "cache")
    manifest = result.manifest["tuning"]
    assert result.trials_done == 0  # nothing tuned: the planted record is what the database offers
    assert manifest["schedules"]["metaschedule"] == 0 and manifest["schedules"]["rules"] >= 1, manifest
    why = manifest["records_rejected"][planted]
    assert "rule schedule measured" in why and "tuning record" in why
    out = tmp_path / "artifact"
    with tarfile.open(result.artifact) as tar:
        tar.extractall(out, filter="data")
    feeds = {"x": np.random.default_rng(1).standard_normal((64, 256)).astype(np.float32)}
    (got,) = run_library(out / "model.so", list(feeds.values()))
    (want,) = onnxruntime_outputs(model, feeds)
    assert float(np.abs(got - want).max()) <= 1e-5 * max(1.0, float(np.abs(want).max()))


@pytest.mark.slow
def test_a_conv_tuning_record_slower_than_the_conv_template_is_not_used(tmp_path):
    """A MetaSchedule record for a blocked 3x3 conv (the naive loop nest, claiming 1 ns) loses to the
    template when both are timed at build time; the manifest names the conv and says why."""
    rng = np.random.default_rng(0)
    weights = numpy_helper.from_array((rng.standard_normal((16, 16, 3, 3)) * 0.1).astype(np.float32), "w")
    model = checked_model(
        [helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 28, 28])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16, 28, 28])],
        [weights],
        "conv",
    )
    archive = write_model_archive(model, tmp_path / "conv.tar.gz")
    tuning = TuningOptions(trials=4, database_dir=tmp_path / "db")
    request = CompileRequest(archive, "ONNX", {"x": [1, 16, 28, 28]}, target_device="ml_c5", tuning=tuning)
    planted = _plant_slow_record(model, request, tmp_path / "cache", tuning.trials, function="conv2d")
    assert planted

    result = compile_model(request, cache_dir=tmp_path / "cache")
    manifest = result.manifest["tuning"]
    assert manifest["schedules"]["metaschedule"] == 0 and manifest["schedule_kinds"].get("blocked_conv") == 1
    assert "conv template measured" in manifest["records_rejected"][planted], manifest
    out = tmp_path / "artifact"
    with tarfile.open(result.artifact) as tar:
        tar.extractall(out, filter="data")
    feeds = {"x": rng.standard_normal((1, 16, 28, 28)).astype(np.float32)}
    (got,) = run_library(out / "model.so", list(feeds.values()))
    (want,) = onnxruntime_outputs(model, feeds)
    assert float(np.abs(got - want).max()) <= 1e-5 * max(1.0, float(np.abs(want).max()))
