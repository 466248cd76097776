"""TFLite in local mode: tiny float32 models built with the ``tflite`` package's flatbuffer builders
(no TensorFlow), compiled for ml_c5 through TVM's Relax TFLite frontend and run through the TVM
runtime, matching a numpy reference of the same computation; DataInputConfig in NHWC, by name."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.local_compile import CompileRequest, compile_model
from sagemaker_reconciler.local_compile.frontends import DATA_INPUT_CONFIG_FIELD
from tests.local_compile import tflite_models as tm

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tflite-models")
    return {
        "convnet": tm.write_tflite_archive(tm.convnet(), root / "convnet.tar.gz"),
        "mlp": tm.write_tflite_archive(tm.mlp(), root / "mlp.tar.gz"),
        "garbage": tm.write_tflite_archive(b"\0" * 64, root / "garbage.tar.gz"),
    }


def _run_artifact(artifact: Path, into: Path, inputs: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    """Exactly what a consumer of the artifact does."""
    import tvm

    with tarfile.open(artifact) as tar:
        tar.extractall(into, filter="data")
    lib = tvm.runtime.load_module(str(into / "model.so"))
    vm = tvm.relax.VirtualMachine(lib, tvm.cpu())
    out = vm["main"](*[tvm.runtime.tensor(x, tvm.cpu()) for x in inputs]).numpy()
    return out, json.loads((into / "manifest.json").read_text())


def test_nhwc_convnet_runs_in_the_tvm_runtime_and_matches_numpy(archives, shared_cache, tmp_path):
    request = CompileRequest(archives["convnet"], "TFLITE", {"image": list(tm.CONV_IMAGE)}, target_device="ml_c5")
    result = compile_model(request, cache_dir=shared_cache)
    image = np.random.default_rng(5).standard_normal(tm.CONV_IMAGE).astype(np.float32)
    got, manifest = _run_artifact(result.artifact, tmp_path, [image])
    np.testing.assert_allclose(got, tm.convnet_reference(image), rtol=1e-4, atol=1e-5)
    assert (got > 0).any() and (got == 0).any()  # the fused RELU did something either way
    assert manifest["framework"] == "TFLITE"
    assert manifest["inputs"] == [{"name": "image", "shape": list(tm.CONV_IMAGE), "dtype": "float32"}]
    assert manifest["outputs"] == [{"shape": list(tm.CONV_OUT), "dtype": "float32"}]
    assert manifest["target"]["name"] == "ml_c5"


def test_two_input_mlp_in_the_subgraphs_call_order(archives, shared_cache, tmp_path):
    # No DataInputConfig: the model's static shapes serve.
    result = compile_model(
        CompileRequest(archives["mlp"], "TFLITE", None, target_device="ml_c5"), cache_dir=shared_cache
    )
    rng = np.random.default_rng(9)
    features = rng.standard_normal(tm.MLP_FEATURES).astype(np.float32)
    extra = rng.standard_normal(tm.MLP_EXTRA).astype(np.float32)
    got, manifest = _run_artifact(result.artifact, tmp_path, [features, extra])
    np.testing.assert_allclose(got, tm.mlp_reference(features, extra), rtol=1e-4, atol=1e-5)
    assert [(i["name"], i["shape"]) for i in manifest["inputs"]] == [
        ("features", list(tm.MLP_FEATURES)),
        ("extra", list(tm.MLP_EXTRA)),
    ]
    assert manifest["outputs"] == [{"shape": list(tm.MLP_OUT), "dtype": "float32"}]


def test_wrong_input_name_nchw_shape_and_bad_file_are_spec_errors(archives, tmp_path):
    with pytest.raises(
        SpecError, match=r"names \['input0'\], which the model does not have; its inputs are \['image'\]"
    ) as caught:
        compile_model(
            CompileRequest(archives["convnet"], "TFLITE", '{"input0": [1, 8, 8, 3]}', target_device="ml_c5"),
            cache_dir=tmp_path,
        )
    assert caught.value.fields == [DATA_INPUT_CONFIG_FIELD]
    with pytest.raises(SpecError, match=r"contradicts the model's \[1, 8, 8, 3\] \(NHWC for TFLITE\)") as caught:
        compile_model(
            CompileRequest(archives["convnet"], "TFLITE", '{"image": [1, 3, 8, 8]}', target_device="ml_c5"),
            cache_dir=tmp_path,
        )
    assert caught.value.fields == [DATA_INPUT_CONFIG_FIELD]
    with pytest.raises(SpecError, match="not a valid TFLite model") as caught:
        compile_model(CompileRequest(archives["garbage"], "TFLITE", None, target_device="ml_c5"), cache_dir=tmp_path)
    assert caught.value.fields == ["inputConfig.s3Uri"]
