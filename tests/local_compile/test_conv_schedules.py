"""The MobileNet-family schedules (pointwise GEMM, depthwise, global mean) are chosen, named and exact.

Each model is one small ONNX graph built here; it compiles through local
compile for ml_c5, its manifest names the schedule each function got and
counts no unscheduled function, and its output matches onnxruntime.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from sagemaker_reconciler.local_compile import CompileRequest, compile_model
from sagemaker_reconciler.local_compile.tvm_backend import run_library
from tests.local_compile.models import checked_model, onnxruntime_outputs

pytestmark = pytest.mark.slow


class _Graph:
    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def conv(
        self, x: str, name: str, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, bias: bool = True
    ) -> str:
        w = self.const(f"{name}_w", self.rng.standard_normal((cout, cin // groups, k, k)) / np.sqrt(cin // groups * k))
        inputs = [x, w] + ([self.const(f"{name}_b", self.rng.standard_normal(cout) * 0.1)] if bias else [])
        self.nodes.append(
            helper.make_node(
                "Conv", inputs, [name], kernel_shape=[k, k], strides=[stride] * 2, pads=[k // 2] * 4, group=groups
            )
        )
        return name

    def op(self, op_type: str, inputs: list[str], name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [name], **attrs))
        return name

    def model(self, input_shape: list[int], output: str, output_shape: list[int]) -> onnx.ModelProto:
        return checked_model(
            self.nodes,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, input_shape)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, output_shape)],
            self.inits,
            "g",
        )


def _compile_and_check(model: onnx.ModelProto, shape: list[int], tmp_path: Path) -> dict[str, int]:
    """Compile for ml_c5, compare with onnxruntime (relative to the output's magnitude); the schedule names."""
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    result = compile_model(CompileRequest(path, "ONNX", {"x": shape}, target_device="ml_c5"), cache_dir=tmp_path / "c")
    out = tmp_path / "artifact"
    with tarfile.open(result.artifact) as tar:
        tar.extractall(out, filter="data")
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    (got,) = run_library(out / "model.so", [x])
    (want,) = onnxruntime_outputs(model, {"x": x})
    assert got.shape == want.shape
    assert float(np.abs(got - want).max()) <= 1e-5 * float(np.abs(want).max())
    tuning = result.manifest["tuning"]
    assert tuning["schedules"]["unscheduled"] == 0, tuning["schedules"]
    assert "unscheduled" not in tuning["schedule_kinds"], tuning["schedule_kinds"]
    return tuning["schedule_kinds"]


def test_pointwise_convs_with_few_output_channels_run_as_a_gemm_with_their_epilogue(tmp_path):
    """1x1 projections to 8 and 6 channels (bias, residual add, ReLU6) at 16x16: the GEMM schedule, exact."""
    g = _Graph()
    h = g.conv("x", "expand", 8, 48, 1)
    h = g.op("Clip", [h, g.const("lo", np.array(0)), g.const("hi", np.array(6))], "relu6")
    h = g.conv(h, "project", 48, 8, 1)
    h = g.op("Add", [h, "x"], "residual")
    h = g.conv(h, "narrow", 8, 6, 1)  # 6 output channels: a tile of 6 rows
    kinds = _compile_and_check(g.model([1, 8, 16, 16], h, [1, 6, 16, 16]), [1, 8, 16, 16], tmp_path)
    assert kinds.get("pointwise_conv") == 3, kinds


def test_convs_without_bias_or_activation_get_the_pointwise_and_direct_templates(tmp_path):
    """The conv is then the function's output block: the tile is written back as it is."""
    g = _Graph()
    h = g.conv("x", "spatial", 16, 16, 3, bias=False)
    h = g.conv(h, "project", 16, 24, 1, bias=False)
    kinds = _compile_and_check(g.model([1, 16, 8, 8], h, [1, 24, 8, 8]), [1, 16, 8, 8], tmp_path)
    assert kinds == {"direct_conv": 1, "pointwise_conv": 1}, kinds


def test_a_pointwise_conv_whose_positions_do_not_split_into_vectors_keeps_the_direct_template(tmp_path):
    """7x7 = 49 positions is no multiple of the vector width: the direct conv template, still exact.

    (24 output channels: no whole channel blocks, so the model stays in NCHW, see test_blocked_layout.)"""
    g = _Graph()
    h = g.conv("x", "project", 32, 24, 1)
    kinds = _compile_and_check(g.model([1, 32, 7, 7], h, [1, 24, 7, 7]), [1, 32, 7, 7], tmp_path)
    assert kinds.get("direct_conv") == 1 and "pointwise_conv" not in kinds, kinds


@pytest.mark.parametrize("stride,size", [(1, 20), (2, 20), (2, 28)])
def test_depthwise_convs_of_stride_one_and_two_get_the_depthwise_schedule(tmp_path, stride, size):
    g = _Graph()
    h = g.conv("x", "dw", 12, 12, 3, stride=stride, groups=12)
    h = g.op("Clip", [h, g.const("lo", np.array(0)), g.const("hi", np.array(6))], "relu6")
    out = (size - 1) // stride + 1
    kinds = _compile_and_check(g.model([1, 12, size, size], h, [1, 12, out, out]), [1, 12, size, size], tmp_path)
    assert kinds.get("depthwise_conv") == 1, kinds


def test_a_grouped_conv_that_is_not_depthwise_is_left_to_the_generic_rule(tmp_path):
    g = _Graph()
    h = g.conv("x", "grouped", 12, 12, 3, groups=3)
    kinds = _compile_and_check(g.model([1, 12, 16, 16], h, [1, 12, 16, 16]), [1, 12, 16, 16], tmp_path)
    assert "depthwise_conv" not in kinds, kinds


def test_squeeze_excite_block_global_mean_is_vectorized_and_exact(tmp_path):
    """GlobalAveragePool -> 1x1 -> ReLU -> 1x1 -> HardSigmoid -> Mul, then ReduceMean over H, W."""
    g = _Graph()
    pooled = g.op("GlobalAveragePool", ["x"], "pooled")
    s = g.op("Relu", [g.conv(pooled, "squeeze", 32, 8, 1)], "squeeze_relu")
    gate = g.op("HardSigmoid", [g.conv(s, "excite", 8, 32, 1)], "gate")
    h = g.op("Mul", ["x", gate], "scaled")
    out = g.op("ReduceMean", [h], "mean", axes=[2, 3], keepdims=1)
    kinds = _compile_and_check(g.model([1, 32, 14, 14], out, [1, 32, 1, 1]), [1, 32, 14, 14], tmp_path)
    assert kinds.get("global_mean", 0) >= 1, kinds


@pytest.mark.parametrize("stride", [1, 2])
def test_an_rgb_stem_conv_vectorizes_output_columns(tmp_path, stride):
    """3 input channels x 3 x 3: few terms per output, so columns, not channels, fill the vectors."""
    g = _Graph()
    h = g.op("Relu", [g.conv("x", "stem", 3, 24, 3, stride=stride)], "stem_relu")
    out = 32 // stride
    kinds = _compile_and_check(g.model([1, 3, 32, 32], h, [1, 24, out, out]), [1, 3, 32, 32], tmp_path)
    assert kinds == {"column_conv": 1}, kinds


@pytest.mark.parametrize(
    "op,attrs",
    [
        ("MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2]}),
        ("MaxPool", {"kernel_shape": [3, 3], "strides": [1, 1], "pads": [1, 1, 1, 1]}),
        ("AveragePool", {"kernel_shape": [2, 2], "strides": [2, 2]}),
        ("AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "count_include_pad": 0}),
    ],
)
def test_window_pooling_is_tiled_per_plane_and_exact(tmp_path, op, attrs):
    g = _Graph()
    h = g.op(op, ["x"], "pooled", **attrs)
    stride = attrs["strides"][0]
    out = 16 // stride
    kinds = _compile_and_check(g.model([1, 8, 16, 16], h, [1, 8, out, out]), [1, 8, 16, 16], tmp_path)
    assert kinds == {"window_pool": 1}, kinds
