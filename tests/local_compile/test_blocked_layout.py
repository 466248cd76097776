"""Plain-conv CNNs compile in NCHW16c (channel blocks of one AVX-512 vector) and stay exact.

Each model is built here, compiled for ml_c5 through local compile and
compared with onnxruntime; the manifest's schedule names show which layout
each conv got.  Models with a grouped conv or a channel count that is no
multiple of the block stay in NCHW.
"""

from __future__ import annotations

import numpy as np
import pytest

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
