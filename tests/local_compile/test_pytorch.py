"""PyTorch in local mode: exported programs and TorchScript (generated in a child process), compiled for
ml_c5 and run through the TVM runtime, matching torch; DataInputConfig in both SageMaker forms.

Neither local mode's compiling process nor this test process imports torch: the conversion runs in a
child process (provider/local_compile/torch_convert.py), and so does the model generation."""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.local_compile import CompileRequest, compile_model
from sagemaker_reconciler.local_compile.frontends import DATA_INPUT_CONFIG_FIELD
from tests.local_compile.torch_models import EXTRA, FEATURES, IMAGE, generate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return generate(tmp_path_factory.mktemp("torch-models"))


@pytest.fixture(scope="module")
def reference(archives: dict[str, Path]) -> dict[str, np.ndarray]:
    with np.load(archives["reference"]) as data:
        return {name: data[name] for name in data.files}


def _run_artifact(artifact: Path, into: Path, inputs: list[np.ndarray]) -> tuple[np.ndarray, dict]:
    """Exactly what a consumer of the artifact does."""
    import tvm

    with tarfile.open(artifact) as tar:
        tar.extractall(into, filter="data")
    lib = tvm.runtime.load_module(str(into / "model.so"))
    vm = tvm.relax.VirtualMachine(lib, tvm.cpu())
    out = vm["main"](*[tvm.runtime.tensor(x, tvm.cpu()) for x in inputs]).numpy()
    return out, json.loads((into / "manifest.json").read_text())


@pytest.mark.parametrize(
    ("name", "config", "source_format"),
    [
        ("convnet.pt2", "[[1, 3, 32, 32]]", "exported"),  # list form
        ("convnet.pt", '{"input0": [1, 3, 32, 32]}', "torchscript"),  # SageMaker's by-position names
    ],
)
def test_convnet_runs_in_the_tvm_runtime_and_matches_torch(
    name, config, source_format, archives, reference, shared_cache, tmp_path
):
    result = compile_model(
        CompileRequest(archives[name], "PYTORCH", config, target_device="ml_c5"), cache_dir=shared_cache
    )
    got, manifest = _run_artifact(result.artifact, tmp_path, [reference["image"]])
    np.testing.assert_allclose(got, reference["convnet_out"], rtol=1e-4, atol=1e-5)
    assert manifest["framework"] == "PYTORCH" and manifest["source_format"] == source_format
    assert manifest["inputs"] == [{"name": "image", "shape": list(IMAGE), "dtype": "float32"}]
    assert manifest["outputs"] == [{"shape": [1, 10], "dtype": "float32"}]
    assert manifest["tuning"]["schedules"]["template"] == 2  # static shapes, so both convs got the template
    assert "torch" not in sys.modules  # the conversion ran in a child process


@pytest.mark.parametrize(
    ("name", "config", "source_format"),
    [
        ("mlp.pt2", {"extra": list(EXTRA), "features": list(FEATURES)}, "exported"),  # the model's names: by name
        ("mlp.pth", "[[3, 16], [1, 32]]", "torchscript"),
    ],
)
def test_two_input_mlp_in_call_order(name, config, source_format, archives, reference, shared_cache, tmp_path):
    result = compile_model(
        CompileRequest(archives[name], "PYTORCH", config, target_device="ml_c5"), cache_dir=shared_cache
    )
    got, manifest = _run_artifact(result.artifact, tmp_path, [reference["features"], reference["extra"]])
    np.testing.assert_allclose(got, reference["mlp_out"], rtol=1e-4, atol=1e-5)
    assert [(i["name"], i["shape"]) for i in manifest["inputs"]] == [
        ("features", list(FEATURES)),
        ("extra", list(EXTRA)),
    ]
    assert manifest["source_format"] == source_format


def test_bad_shape_count_and_unexported_models_are_spec_errors(archives, tmp_path):
    with pytest.raises(SpecError, match="gives 1 shapes; the model has 2 inputs") as caught:
        compile_model(
            CompileRequest(archives["mlp.pth"], "PYTORCH", "[[3, 16]]", target_device="ml_c5"), cache_dir=tmp_path
        )
    assert caught.value.fields == [DATA_INPUT_CONFIG_FIELD]
    with pytest.raises(SpecError, match="needs its Python code") as caught:
        compile_model(
            CompileRequest(archives["state_dict.pth"], "PYTORCH", "[[3, 16], [1, 32]]", target_device="ml_c5"),
            cache_dir=tmp_path,
        )
    assert caught.value.fields == ["inputConfig.s3Uri"]
