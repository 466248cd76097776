"""LayerNormalization and Softmax get the row-reduction schedule (parallel rows, lane-wide rfactor) and stay exact.

Shapes cover a row length that is a multiple of the vector width (AVX-512: 16
floats), ones that are not (100: a 10-lane split; 97, prime: a serial
reduction per row), one row, and a residual add / attention scale fused in
front (the epilogue and prologue run inside the row loop).
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


def _model(nodes: list, inputs: dict[str, list[int]], output: str, shape: list[int], inits=()) -> onnx.ModelProto:
    return checked_model(
        nodes,
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, dims) for name, dims in inputs.items()],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, shape)],
        inits,
        "reduction",
    )


def layer_norm(shape: list[int], residual: bool = False) -> onnx.ModelProto:
    rng = np.random.default_rng(len(shape) + shape[-1])
    hidden = shape[-1]
    inits = [
        numpy_helper.from_array((1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32), "gamma"),
        numpy_helper.from_array((0.1 * rng.standard_normal(hidden)).astype(np.float32), "beta"),
    ]
    nodes = []
    source = "x"
    inputs = {"x": shape}
    if residual:
        nodes.append(helper.make_node("Add", ["x", "skip"], ["summed"]))
        source, inputs = "summed", {"x": shape, "skip": shape}
    nodes.append(helper.make_node("LayerNormalization", [source, "gamma", "beta"], ["y"], axis=-1, epsilon=1e-5))
    return _model(nodes, inputs, "y", shape, inits)


def softmax(shape: list[int], scale: float | None = None, axis: int = -1) -> onnx.ModelProto:
    nodes, source, inits = [], "x", []
    if scale is not None:
        inits.append(numpy_helper.from_array(np.array(scale, np.float32), "scale"))
        nodes.append(helper.make_node("Div", ["x", "scale"], ["scaled"]))
        source = "scaled"
    nodes.append(helper.make_node("Softmax", [source], ["y"], axis=axis))
    return _model(nodes, {"x": shape}, "y", shape, inits)


def _compile_and_run(model: onnx.ModelProto, tmp_path: Path) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(3)
    feeds = {
        i.name: (4 * rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim])).astype(np.float32)
        for i in model.graph.input
    }
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    shapes = {name: list(x.shape) for name, x in feeds.items()}
    result = compile_model(CompileRequest(path, "ONNX", shapes, target_device="ml_c5"), cache_dir=tmp_path / "cache")
    out = tmp_path / "artifact"
    with tarfile.open(result.artifact) as tar:
        tar.extractall(out, filter="data")
    return (
        result.manifest["tuning"],
        run_library(out / "model.so", list(feeds.values())),
        onnxruntime_outputs(model, feeds),
    )


def _assert_close(got: np.ndarray, want: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(want).max()))
    assert float(np.abs(got - want).max()) <= 2e-6 * scale


@pytest.mark.parametrize(
    ("shape", "residual"),
    [([1, 128, 256], False), ([2, 7, 100], False), ([3, 97], True), ([1, 1, 64], True)],
    ids=["128x256", "14x100-not-a-lane-multiple", "3x97-prime-with-residual", "one-row-with-residual"],
)
def test_layer_norm_gets_the_row_reduction_schedule_and_matches_onnxruntime(shape, residual, tmp_path):
    tuning, (got,), (want,) = _compile_and_run(layer_norm(shape, residual), tmp_path)
    assert tuning["schedule_kinds"].get("row_reduction") == 1, tuning
    assert tuning["schedules"]["unscheduled"] == 0
    _assert_close(got, want)


@pytest.mark.parametrize(
    ("shape", "scale"),
    [([1, 4, 128, 128], 8.0), ([5, 100], None), ([2, 3, 97], 0.5), ([1, 16], None)],
    ids=["attention-4x128x128-scaled", "5x100-not-a-lane-multiple", "2x3x97-prime-scaled", "one-row"],
)
def test_softmax_gets_the_row_reduction_schedule_and_matches_onnxruntime(shape, scale, tmp_path):
    tuning, (got,), (want,) = _compile_and_run(softmax(shape, scale), tmp_path)
    assert tuning["schedule_kinds"].get("row_reduction") == 1, tuning
    assert tuning["schedules"]["unscheduled"] == 0
    _assert_close(got, want)
    np.testing.assert_allclose(got.sum(axis=-1), 1.0, rtol=1e-5)


def test_softmax_over_an_inner_axis_keeps_a_schedule_and_matches_onnxruntime(tmp_path):
    """Not a last-axis row: another rule schedules it, and it is still exact."""
    tuning, (got,), (want,) = _compile_and_run(softmax([2, 6, 40], axis=1), tmp_path)
    assert tuning["schedules"]["unscheduled"] == 0
    _assert_close(got, want)
