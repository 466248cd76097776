"""Models plain ``tvm.compile(from_onnx(m))`` compiles must compile in local mode too, and match onnxruntime.

These are the ONNX node-test families the project's own passes used to break
(bench/onnx_conformance.py's "project pipeline" class): weight-repacking
splitting crashed on TVM's opaque kernels (Slice with runtime bounds,
ScatterElements, MaxUnpool), a DLight rule asserted on expanded Gelu, and the
manifest writer crashed on a Shape output.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from sagemaker_reconciler.local_compile import CompileRequest, compile_model
from sagemaker_reconciler.local_compile.tvm_backend import run_library
from tests.local_compile.models import checked_model, onnxruntime_outputs

pytestmark = pytest.mark.slow

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def _model(nodes, inputs, outputs, inits=(), opset: int = 18) -> onnx.ModelProto:
    return checked_model(nodes, inputs, outputs, inits, "case", opset)


def _compile_and_run(model: onnx.ModelProto, feeds: dict[str, np.ndarray], tmp_path: Path) -> tuple[list, dict]:
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    shapes = {name: list(x.shape) for name, x in feeds.items()}
    result = compile_model(CompileRequest(path, "ONNX", shapes, target_device="ml_c5"), cache_dir=tmp_path / "cache")
    with tarfile.open(result.artifact) as tar:
        tar.extractall(tmp_path / "artifact", filter="data")
    return run_library(tmp_path / "artifact" / "model.so", list(feeds.values())), result.manifest


def _assert_matches_onnxruntime(model, feeds, tmp_path) -> dict:
    got, manifest = _compile_and_run(model, feeds, tmp_path)
    want = onnxruntime_outputs(model, feeds)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    return manifest


X = np.random.default_rng(0).standard_normal((20, 10, 5)).astype(np.float32)


@pytest.mark.parametrize(
    "starts, ends, axes, steps",
    [
        ([0, 0], [3, 10], [0, 1], [1, 1]),
        ([20, 10], [0, 0], [0, 1], [-1, -3]),  # negative steps
        ([1, -4], [1000, -1], [0, -2], [1, 2]),  # negative axes, ends past the end
    ],
)
def test_slice_with_bounds_given_at_run_time(starts, ends, axes, steps, tmp_path):
    model = _model(
        [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])],
        [helper.make_tensor_value_info("x", F, [20, 10, 5])]
        + [helper.make_tensor_value_info(n, I64, [2]) for n in ("starts", "ends", "axes", "steps")],
        [helper.make_tensor_value_info("y", F, ["d0", "d1", "d2"])],
    )
    feeds = {
        "x": X,
        **{n: np.array(v, np.int64) for n, v in zip(("starts", "ends", "axes", "steps"), (starts, ends, axes, steps))},
    }
    _assert_matches_onnxruntime(model, feeds, tmp_path)


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_elements(reduction, tmp_path):
    model = _model(
        [helper.make_node("ScatterElements", ["data", "indices", "updates"], ["y"], axis=1, reduction=reduction)],
        [
            helper.make_tensor_value_info("data", F, [3, 5]),
            helper.make_tensor_value_info("indices", I64, [3, 2]),
            helper.make_tensor_value_info("updates", F, [3, 2]),
        ],
        [helper.make_tensor_value_info("y", F, [3, 5])],
    )
    rng = np.random.default_rng(1)
    indices = np.array([[1, 3], [0, -1], [4, 2]], np.int64)  # a negative index counts from the end
    feeds = {
        "data": rng.standard_normal((3, 5)).astype(np.float32),
        "indices": indices,
        "updates": rng.standard_normal((3, 2)).astype(np.float32),
    }
    _assert_matches_onnxruntime(model, feeds, tmp_path)


def test_max_unpool(tmp_path):
    model = _model(
        [helper.make_node("MaxUnpool", ["x", "i"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
        [helper.make_tensor_value_info("x", F, [1, 1, 2, 2]), helper.make_tensor_value_info("i", I64, [1, 1, 2, 2])],
        [helper.make_tensor_value_info("y", F, [1, 1, 4, 4])],
        opset=11,
    )
    feeds = {"x": np.array([[[[1, 2], [3, 4]]]], np.float32), "i": np.array([[[[5, 7], [13, 15]]]], np.int64)}
    _assert_matches_onnxruntime(model, feeds, tmp_path)


def _const(name: str, value: float):
    return helper.make_node("Constant", [], [name], value=helper.make_tensor(name, F, [], [value]))


def test_gelu_written_out_with_erf(tmp_path):
    """Gelu as its formula (what exporters emit below opset 20): 0.5 * x * (1 + erf(x / sqrt 2))."""
    nodes = [
        _const("sqrt2", float(np.sqrt(2.0))),
        _const("one", 1.0),
        _const("half", 0.5),
        helper.make_node("Div", ["x", "sqrt2"], ["a"]),
        helper.make_node("Erf", ["a"], ["b"]),
        helper.make_node("Add", ["b", "one"], ["c"]),
        helper.make_node("Mul", ["x", "c"], ["d"]),
        helper.make_node("Mul", ["d", "half"], ["y"]),
    ]
    model = _model(
        nodes, [helper.make_tensor_value_info("x", F, [3, 7])], [helper.make_tensor_value_info("y", F, [3, 7])]
    )
    _assert_matches_onnxruntime(model, {"x": np.linspace(-3, 3, 21, dtype=np.float32).reshape(3, 7)}, tmp_path)


def test_gelu_written_out_with_tanh(tmp_path):
    """The tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    nodes = [
        _const("three", 3.0),
        _const("k", 0.044715),
        _const("s", float(np.sqrt(2 / np.pi))),
        _const("one", 1.0),
        _const("half", 0.5),
        helper.make_node("Pow", ["x", "three"], ["x3"]),
        helper.make_node("Mul", ["x3", "k"], ["kx3"]),
        helper.make_node("Add", ["x", "kx3"], ["inner"]),
        helper.make_node("Mul", ["inner", "s"], ["scaled"]),
        helper.make_node("Tanh", ["scaled"], ["t"]),
        helper.make_node("Add", ["t", "one"], ["t1"]),
        helper.make_node("Mul", ["x", "t1"], ["xt"]),
        helper.make_node("Mul", ["xt", "half"], ["y"]),
    ]
    model = _model(
        nodes, [helper.make_tensor_value_info("x", F, [3, 7])], [helper.make_tensor_value_info("y", F, [3, 7])]
    )
    _assert_matches_onnxruntime(model, {"x": np.linspace(-3, 3, 21, dtype=np.float32).reshape(3, 7)}, tmp_path)


@pytest.mark.parametrize("start, end", [(None, None), (1, None), (None, -1), (1, 2), (-10, 10), (2, 1)])
def test_shape_output(start, end, tmp_path):
    attrs = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    model = _model(
        [helper.make_node("Shape", ["x"], ["y"], **attrs)],
        [helper.make_tensor_value_info("x", F, [3, 4, 5])],
        [helper.make_tensor_value_info("y", I64, ["rank"])],
    )
    manifest = _assert_matches_onnxruntime(model, {"x": np.zeros((3, 4, 5), np.float32)}, tmp_path)
    assert manifest["outputs"][0]["dtype"] == "int64"


def test_tensor_and_shape_outputs_together(tmp_path):
    model = _model(
        [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Shape", ["r"], ["s"])],
        [helper.make_tensor_value_info("x", F, [2, 3])],
        [helper.make_tensor_value_info("r", F, [2, 3]), helper.make_tensor_value_info("s", I64, [2])],
    )
    manifest = _assert_matches_onnxruntime(model, {"x": np.arange(-3, 3, dtype=np.float32).reshape(2, 3)}, tmp_path)
    assert manifest["outputs"] == [
        {"shape": [2, 3], "dtype": "float32"},
        {"shape": [2], "dtype": "int64", "kind": "shape"},
    ]
