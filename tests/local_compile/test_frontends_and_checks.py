"""Check-time errors (no compile): unsupported frameworks, shapes, verify preconditions, lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sagemaker_reconciler.errors import MissingExtra, SpecError
from sagemaker_reconciler.local_compile import (
    CompileRequest,
    TuningOptions,
    check_request,
    check_verifiable,
    resolve_target,
)
from sagemaker_reconciler.local_compile._deps import require, require_torch_installed, torch_hidden_from_subprocesses
from sagemaker_reconciler.local_compile.frontends import (
    DATA_INPUT_CONFIG_FIELD,
    FRAMEWORK_FIELD,
    UnsupportedFramework,
    _resolve_onnx_inputs,
    check_framework,
    find_model_file,
    load_model,
    parse_data_input_config,
    resolve_inputs,
)
from sagemaker_reconciler.local_compile.targets import UnsupportedTarget

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("framework", ["TENSORFLOW", "KERAS", "MXNET", "XGBOOST", "DARKNET", "SKLEARN"])
def test_frameworks_local_mode_cannot_load_point_to_cloud_mode(framework):
    with pytest.raises(UnsupportedFramework) as caught:
        check_framework(framework.lower())
    assert caught.value.fields == [FRAMEWORK_FIELD]
    assert "local mode" in str(caught.value) and "cloud" in str(caught.value)


def test_unknown_framework_is_a_plain_spec_error():
    with pytest.raises(SpecError) as caught:
        check_framework("CAFFE")
    assert not isinstance(caught.value, UnsupportedFramework)


def test_check_request_rejects_before_any_compile(tmp_path):
    archive = tmp_path / "missing.tar.gz"  # never opened by the check
    with pytest.raises(UnsupportedTarget):
        check_request(CompileRequest(archive, "ONNX", target_device="ml_inf1"))
    with pytest.raises(UnsupportedFramework):
        check_request(CompileRequest(archive, "TENSORFLOW", target_device="ml_c5"))
    with pytest.raises(SpecError):
        check_request(CompileRequest(archive, "ONNX", '{"x": [1, -3]}', target_device="ml_c5"))
    with pytest.raises(SpecError):
        check_request(CompileRequest(archive, "ONNX", target_device="ml_c5", tuning=TuningOptions(trials=-1)))
    assert check_request(CompileRequest(archive, "ONNX", '{"x": [1, 3]}', target_device="ml_c5")).label == "ml_c5"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('{"data": [1, 3, 224, 224]}', {"data": (1, 3, 224, 224)}),
        ({"a": [1, 2], "b": [3]}, {"a": (1, 2), "b": (3,)}),
        ("[[1, 3, 8, 8], [1, 4]]", [(1, 3, 8, 8), (1, 4)]),
        ("[1, 3, 8, 8]", [(1, 3, 8, 8)]),
        (None, None),
    ],
)
def test_data_input_config_forms(config, expected):
    assert parse_data_input_config(config) == expected


@pytest.mark.parametrize("config", ["{", '{"x": "1,3"}', '{"x": [1, 0]}', '{"x": [true]}', "{}", '"text"'])
def test_bad_data_input_config(config):
    with pytest.raises(SpecError) as caught:
        parse_data_input_config(config)
    assert caught.value.fields == [DATA_INPUT_CONFIG_FIELD]


def test_nhwc_shape_for_an_nchw_onnx_model_is_reported_with_the_layout():
    declared = [("image", [1, 3, 224, 224], "float32")]
    with pytest.raises(SpecError, match="NCHW for ONNX"):
        _resolve_onnx_inputs(declared, {"image": (1, 224, 224, 3)}, None)


def test_onnx_inputs_by_name_position_and_defaults():
    declared = [("a", [None, 4], "float32"), ("b", [1, 2], "int64")]
    specs = _resolve_onnx_inputs(declared, {"a": (5, 4)}, None)
    assert [(s.name, s.shape, s.dtype) for s in specs] == [("a", (5, 4), "float32"), ("b", (1, 2), "int64")]
    assert _resolve_onnx_inputs(declared, [(2, 4), (1, 2)], "float16")[0].dtype == "float16"
    with pytest.raises(SpecError, match="dynamic dims"):
        _resolve_onnx_inputs(declared, None, None)
    with pytest.raises(SpecError, match="does not have"):
        _resolve_onnx_inputs(declared, {"a": (5, 4), "zzz": (1,)}, None)


def test_model_file_must_be_unique(tmp_path):
    files = [tmp_path / "a.onnx", tmp_path / "b.onnx", tmp_path / "labels.txt"]
    with pytest.raises(SpecError, match="2 .onnx files"):
        find_model_file(files, "ONNX")
    with pytest.raises(SpecError, match="no .onnx files"):
        find_model_file(files[2:], "ONNX")
    assert find_model_file(files[1:], "ONNX") == files[1]


def test_verify_needs_onnx_and_an_x86_cpu_target():
    check_verifiable("ONNX", resolve_target("ml_c5"))
    for framework, device in [("TFLITE", "ml_c5"), ("ONNX", "rasp4b"), ("ONNX", "ml_g4dn")]:
        with pytest.raises(SpecError) as caught:
            check_verifiable(framework, resolve_target(device))
        assert caught.value.fields == ["verify"]


def test_missing_optional_dependency_is_a_missing_extra_error():
    with pytest.raises(MissingExtra, match=r"sagemaker-reconciler\[local\]"):
        require("surely_not_an_installed_module", "apache-tvm")


def test_importing_the_package_and_checking_a_request_imports_no_tvm():
    code = (
        "import sys, pathlib;"
        "from sagemaker_reconciler.local_compile import CompileRequest, check_request;"
        "check_request(CompileRequest(pathlib.Path('m.tar.gz'), 'ONNX', '{\"x\": [1]}', target_device='rasp3b'));"
        "print(sorted(m for m in ('tvm', 'onnx', 'numpy', 'onnxruntime', 'boto3', 'pulumi') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_pytorch_is_served_locally():
    assert check_framework("pytorch") == "PYTORCH"
    assert (
        check_request(CompileRequest(Path("m.tar.gz"), "PYTORCH", "[[1, 3, 8, 8]]", target_device="ml_c5")).label
        == "ml_c5"
    )


def test_pytorch_inputs_by_position_name_and_layout():
    exported = [("image", [1, 3, 32, 32], "float32"), ("mask", [1, 32], "float32")]
    # SageMaker's {"input0": ...} names are not the model's: shapes go by position, in the order given.
    specs = resolve_inputs("PYTORCH", exported, {"input0": (1, 3, 32, 32), "input1": (1, 32)}, None)
    assert [(s.name, s.shape) for s in specs] == [("image", (1, 3, 32, 32)), ("mask", (1, 32))]
    specs = resolve_inputs("PYTORCH", exported, {"mask": (1, 32), "image": (1, 3, 32, 32)}, None)
    assert [s.name for s in specs] == ["image", "mask"]
    with pytest.raises(SpecError, match=r"gives 1 shapes; the model has 2 inputs") as caught:
        resolve_inputs("PYTORCH", exported, [(1, 3, 32, 32)], None)
    assert caught.value.fields == [DATA_INPUT_CONFIG_FIELD]
    with pytest.raises(SpecError, match=r"NCHW for PYTORCH"):
        resolve_inputs("PYTORCH", exported, [(1, 32, 32, 3), (1, 32)], None)
    torchscript = [("x", None, "float32")]  # TorchScript records no shapes
    assert (
        resolve_inputs("PYTORCH", torchscript, [(2, 5)], "float16")[0]
        == resolve_inputs("PYTORCH", torchscript, {"input0": (2, 5)}, "float16")[0]
    )
    with pytest.raises(SpecError, match="records none") as caught:
        resolve_inputs("PYTORCH", torchscript, None, None)
    assert caught.value.fields == [DATA_INPUT_CONFIG_FIELD]


def test_pytorch_without_torch_is_a_missing_extra_naming_local_torch(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if torch were not installed
    with pytest.raises(MissingExtra, match=r"sagemaker-reconciler\[local-torch\]"):
        require_torch_installed()
    (tmp_path / "model.pt2").write_bytes(b"never read")
    with pytest.raises(MissingExtra, match="local-torch"):
        load_model([tmp_path / "model.pt2"], "PYTORCH", "[[1, 3, 8, 8]]")


def test_subprocesses_started_while_tuning_cannot_import_torch():
    """MetaSchedule's workers are fresh interpreters; tvm_ffi would import torch in each (~1.8 s)."""
    before = os.environ.get("PYTHONPATH")
    with torch_hidden_from_subprocesses():
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                "import importlib.util as u\ntry:\n import torch\n print('torch')\nexcept ImportError:\n print('hidden')",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    assert out.stdout.strip() == "hidden"
    assert os.environ.get("PYTHONPATH") == before


def test_tflite_is_served_locally():
    assert check_framework("tflite") == "TFLITE"
    assert find_model_file([Path("labels.txt"), Path("model.tflite")], "TFLITE") == Path("model.tflite")
