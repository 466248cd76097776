"""ONNX models built in the tests (never committed as binaries) and archive helpers."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["checked_model", "small_convnet", "mlp", "write_model_archive", "onnxruntime_outputs"]


def checked_model(nodes, inputs, outputs, inits=(), name: str = "model", opset: int = 17) -> onnx.ModelProto:
    """A graph of ``nodes`` as a model at IR version 8 (what onnxruntime and TVM's importer both read),
    passed through onnx's checker; ``inputs``/``outputs`` are value infos."""
    graph = helper.make_graph(list(nodes), name, list(inputs), list(outputs), list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _const(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(array.astype(np.float32), name)


def small_convnet(seed: int = 0) -> onnx.ModelProto:
    """conv-relu-conv + residual add, pool, gemm: 1x3x32x32 -> 1x10 (NCHW)."""
    rng = np.random.default_rng(seed)
    inits = [
        _const("w1", rng.standard_normal((8, 3, 3, 3)) * 0.3),
        _const("b1", rng.standard_normal(8) * 0.1),
        _const("w2", rng.standard_normal((8, 8, 3, 3)) * 0.2),
        _const("b2", rng.standard_normal(8) * 0.1),
        _const("fw", rng.standard_normal((10, 8)) * 0.3),
        _const("fb", rng.standard_normal(10) * 0.1),
    ]
    nodes = [
        helper.make_node("Conv", ["image", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["a"]),
        helper.make_node("Relu", ["a"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["logits"], transB=1),
    ]
    return checked_model(
        nodes,
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        inits,
        "small_convnet",
    )


def mlp(seed: int = 1) -> onnx.ModelProto:
    """Two inputs (features and a bias row) to show call order: relu(x@W1 + extra) @ W2 -> 2x4."""
    rng = np.random.default_rng(seed)
    inits = [_const("W1", rng.standard_normal((16, 32)) * 0.2), _const("W2", rng.standard_normal((32, 4)) * 0.2)]
    nodes = [
        helper.make_node("MatMul", ["features", "W1"], ["h"]),
        helper.make_node("Add", ["h", "extra"], ["h2"]),
        helper.make_node("Relu", ["h2"], ["r"]),
        helper.make_node("MatMul", ["r", "W2"], ["out"]),
    ]
    return checked_model(
        nodes,
        [
            helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 16]),
            helper.make_tensor_value_info("extra", TensorProto.FLOAT, [1, 32]),
        ],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 4])],
        inits,
        "mlp",
    )


def write_model_archive(model: onnx.ModelProto, path: Path, name: str = "model.onnx") -> Path:
    """A SageMaker-style model.tar.gz holding one ONNX file."""
    data = model.SerializeToString()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def onnxruntime_outputs(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def publish_manifest_only(spec: Any, archive: Path, tuning: dict[str, Any]) -> None:
    """Put, where `spec` publishes its artifact, an artifact holding only the manifest a compile of the
    32x32 convnet in `archive` with `tuning` would write: what the local plan reads, with no compile."""
    from sagemaker_reconciler.reconcile.local_compile import local_artifact_uri

    manifest = {
        "framework": "ONNX",
        "source_model_digest": hashlib.sha256(archive.read_bytes()).hexdigest(),
        "inputs": [{"name": "image", "shape": [1, 3, 32, 32]}],
        "tuning": tuning,
    }
    data = json.dumps(manifest).encode()
    info = tarfile.TarInfo("manifest.json")
    info.size = len(data)
    with tarfile.open(Path(local_artifact_uri(spec).removeprefix("file://")), "w:gz") as tar:
        tar.addfile(info, io.BytesIO(data))
