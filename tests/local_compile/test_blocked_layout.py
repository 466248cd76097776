"""Plain-conv CNNs compile in NCHW16c (channel blocks of one AVX-512 vector) and stay exact.

Each model is built here, compiled for ml_c5 through local compile and
compared with onnxruntime; the manifest's schedule names show which layout
each conv got.  Models with a grouped conv or a channel count that is no
multiple of the block stay in NCHW.
"""

from __future__ import annotations

import tarfile

import numpy as np
import onnx
import pytest

from sagemaker_reconciler.local_compile import CompileRequest, TuningOptions, compile_model
from sagemaker_reconciler.local_compile.tuning import TuningRecords
from sagemaker_reconciler.local_compile.tvm_backend import run_library
from tests.local_compile.models import onnxruntime_outputs
from tests.local_compile.test_conv_schedules import _compile_and_check, _Graph

pytestmark = pytest.mark.slow


def _resnet_like(g: _Graph, stem_stride: int = 2) -> str:
    """RGB stem + ReLU + max pool, a residual block, a strided block with a 1x1 projection, global pool."""
    h = g.op("Relu", [g.conv("x", "stem", 3, 16, 3, stride=stem_stride)], "stem_relu")
    h = g.op("MaxPool", [h], "pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    r = g.op("Relu", [g.conv(h, "a1", 16, 16, 3)], "a1_relu")
    h = g.op("Relu", [g.op("Add", [g.conv(r, "a2", 16, 16, 3), h], "a_sum")], "a_out")
    r = g.op("Relu", [g.conv(h, "b1", 16, 32, 3, stride=2)], "b1_relu")
    h = g.op("Add", [g.conv(r, "b2", 32, 32, 3), g.conv(h, "proj", 16, 32, 1, stride=2)], "b_sum")
    return g.op("GlobalAveragePool", [g.op("Relu", [h], "b_out")], "gap")


def test_a_resnet_style_model_runs_every_conv_and_its_pooling_blocked(tmp_path):
    g = _Graph()
    out = _resnet_like(g)
    kinds = _compile_and_check(g.model([1, 3, 64, 64], out, [1, 32, 1, 1]), [1, 3, 64, 64], tmp_path)
    assert kinds.get("blocked_conv") == 6, kinds  # the stem too: it reads NCHW and writes blocks
    assert kinds.get("window_pool") == 1, kinds
    assert not {"direct_conv", "column_conv", "pointwise_conv"} & set(kinds), kinds


def test_a_stem_whose_output_is_also_used_elsewhere_keeps_its_layout_and_stays_exact(tmp_path):
    """The stem's activation feeds the pool and a strided 1x1 branch: the blocking transform is not moved up."""
    g = _Graph()
    h = g.op("Relu", [g.conv("x", "stem", 3, 16, 3)], "stem_relu")
    pooled = g.op("MaxPool", [h], "pool", kernel_shape=[2, 2], strides=[2, 2])
    out = g.op("Add", [g.conv(pooled, "c1", 16, 16, 3), g.conv(h, "side", 16, 16, 1, stride=2)], "sum")
    kinds = _compile_and_check(g.model([1, 3, 32, 32], out, [1, 16, 16, 16]), [1, 3, 32, 32], tmp_path)
    assert kinds.get("blocked_conv") == 2 and kinds.get("column_conv") == 1, kinds


def test_a_model_the_layout_rewrite_cannot_convert_compiles_in_nchw_and_exact(tmp_path):
    """TVM's ConvertLayout raises on a blocked tensor times an NCHW one broadcast over channels: kept NCHW."""
    g = _Graph()
    h = g.op("Relu", [g.conv("x", "stem", 3, 16, 3)], "stem_relu")
    side = g.op("ReduceMean", [h], "side", axes=[1], keepdims=1)
    h = g.conv(g.op("MaxPool", [h], "pool", kernel_shape=[2, 2], strides=[2, 2]), "c1", 16, 16, 3)
    up = g.op("Resize", [side, "", g.const("scales", np.array([1, 1, 0.5, 0.5]))], "down", mode="nearest")
    out = g.op("Mul", [h, up], "scaled")
    kinds = _compile_and_check(g.model([1, 3, 32, 32], out, [1, 16, 16, 16]), [1, 3, 32, 32], tmp_path)
    assert "blocked_conv" not in kinds and kinds.get("direct_conv") == 1, kinds


@pytest.mark.parametrize(
    "why,build",
    [
        ("24 channels split into no whole blocks", lambda g: g.conv(g.conv("x", "a", 16, 24, 3), "b", 24, 16, 3)),
        ("a depthwise conv", lambda g: g.conv(g.conv("x", "a", 16, 16, 3, groups=16), "b", 16, 16, 1)),
    ],
)
def test_models_that_would_need_layout_transforms_between_convs_stay_in_nchw(tmp_path, why, build):
    g = _Graph()
    out = build(g)
    kinds = _compile_and_check(g.model([1, 16, 16, 16], out, [1, 16, 16, 16]), [1, 16, 16, 16], tmp_path)
    assert "blocked_conv" not in kinds, (why, kinds)


def test_average_pooling_and_odd_widths_are_blocked_and_exact(tmp_path):
    """A 13-column feature map (a prime width: one-column tiles) and a padded average pool."""
    g = _Graph()
    h = g.op("Relu", [g.conv("x", "c1", 16, 32, 3)], "c1_relu")
    h = g.op("AveragePool", [h], "avg", kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1], count_include_pad=0)
    out = g.conv(h, "c2", 32, 16, 1)
    kinds = _compile_and_check(g.model([1, 16, 13, 13], out, [1, 16, 13, 13]), [1, 16, 13, 13], tmp_path)
    assert kinds.get("blocked_conv") == 2 and kinds.get("window_pool") == 1, kinds


def test_concat_upsampling_squeeze_excite_and_batchnorm_around_blocked_convs_stay_exact(tmp_path):
    """Ops the layout rewrite must carry through or convert back: channel concat, nearest upsampling,
    a sigmoid gate from a global pool, BatchNormalization, Flatten + Gemm."""
    g = _Graph()
    a = g.op("Relu", [g.conv("x", "a", 16, 16, 3)], "a_relu")
    down = g.conv(a, "down", 16, 32, 3, stride=2)
    scales = g.const("scales", np.array([1, 1, 2, 2]))
    up = g.op("Resize", [down, "", scales], "up", mode="nearest")
    cat = g.op("Concat", [a, up], "cat", axis=1)  # 48 channels: 3 blocks
    squeeze = g.op("Relu", [g.conv(g.op("GlobalAveragePool", [cat], "gap"), "sq", 48, 16, 1)], "sq_relu")
    gate = g.op("Sigmoid", [g.conv(squeeze, "ex", 16, 48, 1)], "gate")
    gated = g.op("Mul", [cat, gate], "gated")
    bn = [g.const(f"bn_{k}", v) for k, v in (("s", g.rng.uniform(0.5, 1.5, 32)), ("b", g.rng.normal(0, 0.1, 32)))]
    stats = [g.const("bn_m", g.rng.normal(0, 0.1, 32)), g.const("bn_v", g.rng.uniform(0.5, 1.5, 32))]
    h = g.op("BatchNormalization", [g.conv(gated, "c", 48, 32, 3), *bn, *stats], "bn")
    flat = g.op("Flatten", [g.op("GlobalAveragePool", [g.op("Relu", [h], "bn_relu")], "gap2")], "flat")
    out = g.op(
        "Gemm", [flat, g.const("fc_w", g.rng.normal(0, 0.1, (10, 32))), g.const("fc_b", np.zeros(10))], "fc", transB=1
    )
    kinds = _compile_and_check(g.model([1, 16, 32, 32], out, [1, 10]), [1, 16, 32, 32], tmp_path)
    assert kinds.get("blocked_conv", 0) >= 3, kinds


def test_tuning_searches_the_blocked_template_tiles_and_keeps_a_measured_one(tmp_path):
    """A small trial budget: the conv template search times blocked tiles (columns x channel blocks),
    stores them with their kind, and the tuned artifact still matches onnxruntime."""
    g = _Graph()
    model = g.model([1, 3, 64, 64], _resnet_like(g), [1, 32, 1, 1])
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    database = tmp_path / "db"
    tuning = TuningOptions(trials=24, database_dir=database)
    result = compile_model(
        CompileRequest(path, "ONNX", {"x": [1, 3, 64, 64]}, target_device="ml_c5", tuning=tuning),
        cache_dir=tmp_path / "cache",
    )
    records = [r for d in database.iterdir() if d.is_dir() for r in TuningRecords(d).templates().values()]
    kinds = {(r["params"]["kind"], r["params"].get("oc_tile", 1)) for r in records}
    assert records and all(kind == "blocked" for kind, _ in kinds), kinds
    assert result.manifest["tuning"]["template_trials"] > 0, result.manifest["tuning"]
    out = tmp_path / "artifact"
    with tarfile.open(result.artifact) as tar:
        tar.extractall(out, filter="data")
    x = np.random.default_rng(1).standard_normal([1, 3, 64, 64]).astype(np.float32)
    (got,) = run_library(out / "model.so", [x])
    (want,) = onnxruntime_outputs(model, {"x": x})
    assert float(np.abs(got - want).max()) <= 1e-5 * float(np.abs(want).max())
