"""Model archives for the demo: a stand-in for the cloud job, a tiny real ONNX CNN for the local TVM compile."""

from __future__ import annotations

import gzip
import io
import tarfile

__all__ = ["tiny_cnn_archive", "single_file_archive"]


def single_file_archive(name: str, payload: bytes) -> bytes:
    """A .tar.gz holding one file, byte-for-byte the same on every run (fixed mtimes)."""
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w") as archive:
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        info.mtime = 0
        archive.addfile(info, io.BytesIO(payload))
    return gzip.compress(tar_bytes.getvalue(), mtime=0)


def tiny_cnn_archive(seed: int = 0) -> bytes:
    """conv 3->8 + relu, global average pool, gemm 8->10: input "data" 1x3x32x32 (NCHW), as a .tar.gz."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    weights = {
        "w": rng.standard_normal((8, 3, 3, 3)).astype(np.float32) * 0.3,
        "b": rng.standard_normal(8).astype(np.float32) * 0.1,
        "fw": rng.standard_normal((10, 8)).astype(np.float32) * 0.3,
        "fb": rng.standard_normal(10).astype(np.float32) * 0.1,
    }
    nodes = [
        helper.make_node("Conv", ["data", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_cnn",
        [helper.make_tensor_value_info("data", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [numpy_helper.from_array(v, k) for k, v in weights.items()],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9
    )  # onnxruntime reads <= 13
    onnx.checker.check_model(model)
    return single_file_archive("model.onnx", model.SerializeToString())
