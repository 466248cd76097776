"""One cache key, one artifact: an untuned build never picks up tuning records lying in the cache."""

from __future__ import annotations

import pytest

from sagemaker_reconciler.local_compile import CompileRequest, TuningOptions, compile_model
from tests.local_compile.models import small_convnet, write_model_archive

SHAPES = '{"image": [1, 3, 32, 32]}'


def test_untuned_requests_share_one_key_whatever_they_say_about_the_database(tmp_path):
    assert (
        TuningOptions(trials=0, apply_database=True).key_fields()
        == TuningOptions(trials=0, apply_database=False).key_fields()
    )
    assert TuningOptions(trials=8).key_fields() != TuningOptions(trials=0).key_fields()


def _plant_conv_records(archive, database_dir):
    """Template records for every conv of the model, with tile sizes the untuned build never picks."""
    from sagemaker_reconciler.local_compile.archive import extract_archive
    from sagemaker_reconciler.local_compile.cpu_schedules import (
        ConvParams,
        conv_workload,
        default_conv_params,
    )
    from sagemaker_reconciler.local_compile.frontends import load_model
    from sagemaker_reconciler.local_compile.targets import resolve_target
    from sagemaker_reconciler.local_compile.tuning import TuningRecords, _key, _prim_funcs
    from sagemaker_reconciler.local_compile.tvm_backend import (
        TuningOptions,
        _database_dir,
        _prepare,
        _tvm_target,
    )

    target = resolve_target("ml_c5", None, None)
    model = load_model(extract_archive(archive, database_dir.parent / "model"), "ONNX", SHAPES)
    tvm_target = _tvm_target(target, None)
    records = {}
    for _, func in _prim_funcs(_prepare(model.module, tvm_target)):
        workload = conv_workload(func)
        if workload is not None:
            default = default_conv_params(workload, tvm_target)
            odd = ConvParams(default.lanes, 1, 0)
            assert odd != default
            records[_key(func)] = {"params": odd.to_json(), "seconds": 1e-9, "budget": 10**6}
    assert records, "the model has convs to plant records for"
    TuningRecords(_database_dir(target, TuningOptions(database_dir=database_dir), database_dir)).save(records, {})


@pytest.mark.slow
def test_an_untuned_artifact_is_the_same_bytes_with_or_without_tuning_records_around(tmp_path):
    archive = write_model_archive(small_convnet(), tmp_path / "convnet.tar.gz")
    database = tmp_path / "tuning-db"
    _plant_conv_records(archive, database)
    clean = compile_model(CompileRequest(archive, "ONNX", SHAPES, target_device="ml_c5"), cache_dir=tmp_path / "clean")
    with_records = compile_model(
        CompileRequest(
            archive, "ONNX", SHAPES, target_device="ml_c5", tuning=TuningOptions(trials=0, database_dir=database)
        ),
        cache_dir=tmp_path / "dirty",
    )
    assert with_records.cache_key == clean.cache_key
    assert with_records.artifact.read_bytes() == clean.artifact.read_bytes()
    assert with_records.manifest["tuning"]["schedules"]["template"] >= 1
