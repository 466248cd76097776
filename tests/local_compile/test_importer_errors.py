"""What a user sees when TVM's ONNX importer fails, and when the compiled code skips index bounds checks."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from sagemaker_reconciler.local_compile import CompileRequest, compile_model
from sagemaker_reconciler.local_compile.frontends import unchecked_index_warnings
from sagemaker_reconciler.local_compile.tvm_backend import CompileFailed
from tests.local_compile.models import checked_model

F, I64 = TensorProto.FLOAT, TensorProto.INT64


def _model(nodes, inputs, outputs, inits=(), opset=17) -> onnx.ModelProto:
    return checked_model(nodes, inputs, outputs, inits, "m", opset)


def _embedding(runtime_ids: bool = True) -> onnx.ModelProto:
    table = numpy_helper.from_array(np.arange(40, dtype=np.float32).reshape(10, 4), "table")
    inits = [table] if runtime_ids else [table, numpy_helper.from_array(np.array([[1, 2]], np.int64), "ids")]
    inputs = (
        [helper.make_tensor_value_info("ids", I64, [1, 2])]
        if runtime_ids
        else [helper.make_tensor_value_info("x", F, [1, 2, 4])]
    )
    nodes = [helper.make_node("Gather", ["table", "ids"], ["emb"], axis=0, name="token_embedding")]
    if not runtime_ids:
        nodes.append(helper.make_node("Add", ["emb", "x"], ["out"]))
    return _model(
        nodes, inputs, [helper.make_tensor_value_info("out" if not runtime_ids else "emb", F, [1, 2, 4])], inits
    )


def test_a_gather_on_runtime_indices_is_named_as_unchecked():
    (line,) = unchecked_index_warnings(_embedding())
    assert "Gather node 'token_embedding'" in line and "'ids'" in line and "not bounds-checked" in line


def test_constant_indices_need_no_warning():
    assert unchecked_index_warnings(_embedding(runtime_ids=False)) == []


def _save(model, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.slow
def test_the_unchecked_bounds_warning_reaches_progress_and_the_manifest(tmp_path):
    events = []
    path = _save(_embedding(), tmp_path)
    result = compile_model(
        CompileRequest(path, "ONNX", {"ids": [1, 2]}, target_device="ml_c5"),
        cache_dir=tmp_path / "c",
        progress=events.append,
    )
    assert any("warning: Gather node 'token_embedding'" in e.detail for e in events)
    assert result.manifest["warnings"] == unchecked_index_warnings(_embedding())
    hit_events = []
    compile_model(
        CompileRequest(path, "ONNX", {"ids": [1, 2]}, target_device="ml_c5"),
        cache_dir=tmp_path / "c",
        progress=hit_events.append,
    )
    assert any("warning: Gather node 'token_embedding'" in e.detail for e in hit_events)  # a cache hit says it too


@pytest.mark.slow
def test_an_importer_failure_names_the_node_and_its_op(tmp_path, capsys):
    model = _model(
        [
            helper.make_node(
                "MaxUnpool", ["x", "i", "shape"], ["y"], kernel_shape=[2, 2], strides=[2, 2], name="unpool_1"
            )
        ],
        [
            helper.make_tensor_value_info("x", F, [1, 1, 2, 2]),
            helper.make_tensor_value_info("i", I64, [1, 1, 2, 2]),
            helper.make_tensor_value_info("shape", I64, [4]),
        ],
        [helper.make_tensor_value_info("y", F, ["n", "c", "h", "w"])],
        opset=11,
    )
    request = CompileRequest(
        _save(model, tmp_path), "ONNX", {"x": [1, 1, 2, 2], "i": [1, 1, 2, 2], "shape": [4]}, target_device="ml_c5"
    )
    with pytest.raises(
        CompileFailed, match=r"node 'unpool_1' \(op MaxUnpool, inputs \['x', 'i', 'shape'\]\)"
    ) as caught:
        compile_model(request, cache_dir=tmp_path / "c")
    assert "a known frontend limit: this converter needs those inputs to be constants" in str(caught.value)
    assert "Error converting operator" not in capsys.readouterr().out


@pytest.mark.slow
def test_an_op_the_importer_lacks_is_named_with_its_nodes(tmp_path):
    model = _model(
        [helper.make_node("Det", ["x"], ["y"], name="determinant")],
        [helper.make_tensor_value_info("x", F, [3, 3])],
        [helper.make_tensor_value_info("y", F, [])],
    )
    with pytest.raises(
        CompileFailed,
        match=r"does not implement op\(s\) Det, used by node\(s\) 'determinant' \(Det\) \(a known frontend limit",
    ):
        compile_model(
            CompileRequest(_save(model, tmp_path), "ONNX", {"x": [3, 3]}, target_device="ml_c5"),
            cache_dir=tmp_path / "c",
        )


def test_a_sequence_input_is_refused_with_its_name(tmp_path):
    from sagemaker_reconciler.errors import SpecError

    seq = helper.make_value_info("xs", helper.make_sequence_type_proto(helper.make_tensor_type_proto(F, [2])))
    model = _model(
        [helper.make_node("SequenceLength", ["xs"], ["n"])],
        [seq],
        [helper.make_tensor_value_info("n", I64, [])],
        opset=17,
    )
    with pytest.raises(SpecError, match=r"input 'xs' is a sequence, not a tensor"):
        compile_model(
            CompileRequest(_save(model, tmp_path), "ONNX", None, target_device="ml_c5"), cache_dir=tmp_path / "c"
        )
