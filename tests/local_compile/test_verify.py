"""verify judges errors at each output's own scale, over several seeded inputs, and says how close it was."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from sagemaker_reconciler.local_compile import CompileRequest, compile_model, verify_artifact
from sagemaker_reconciler.local_compile.verify import VerificationFailed, compare_outputs
from tests.local_compile.models import small_convnet, write_model_archive

SHAPES = '{"image": [1, 3, 32, 32]}'


def test_outputs_that_differ_entirely_fail_even_when_every_value_is_tiny():
    reference = np.random.default_rng(0).standard_normal(10) * 1e-6
    other = np.random.default_rng(1).standard_normal(10) * 1e-6
    with pytest.raises(
        VerificationFailed, match=r"output 0 differs from onnxruntime by up to .*relative to the output's magnitude"
    ):
        compare_outputs([other], [reference], atol=1e-6, rtol=1e-4)


def test_rounding_level_differences_pass_and_the_errors_are_reported():
    reference = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32) * 50
    got = reference * (1 + 1e-7)
    max_abs, max_rel = compare_outputs([got], [reference], atol=1e-6, rtol=1e-4)
    assert 0 < max_abs < 1e-4 and 0 < max_rel < 1e-6


def test_a_wrong_shape_or_a_missing_output_fails_with_what_differs():
    with pytest.raises(VerificationFailed, match=r"shape \[2\], onnxruntime's has \[3\]"):
        compare_outputs([np.zeros(2)], [np.zeros(3)], atol=1e-6, rtol=1e-4)
    with pytest.raises(VerificationFailed, match="returns 1 outputs, onnxruntime 2"):
        compare_outputs([np.zeros(2)], [np.zeros(2), np.zeros(2)], atol=1e-6, rtol=1e-4)
    with pytest.raises(VerificationFailed, match="NaN"):
        compare_outputs([np.array([np.nan, 1.0])], [np.array([0.0, 1.0])], atol=1e-6, rtol=1e-4)


def _small_output_convnet(seed: int) -> onnx.ModelProto:
    """small_convnet with its logits scaled to ~1e-5: every value below the old fixed 1e-4 tolerance."""
    model = small_convnet(seed)
    graph = model.graph
    graph.node[-1].output[0] = "unscaled"
    graph.initializer.append(numpy_helper.from_array(np.array(1e-5, np.float32), "scale"))
    graph.node.append(helper.make_node("Mul", ["unscaled", "scale"], ["logits"]))
    onnx.checker.check_model(model)
    return model


@pytest.mark.slow
def test_verify_fails_against_a_different_model_with_small_outputs_and_passes_against_its_own(tmp_path):
    own = write_model_archive(_small_output_convnet(0), tmp_path / "own.tar.gz")
    other = write_model_archive(_small_output_convnet(3), tmp_path / "other.tar.gz")
    result = compile_model(CompileRequest(own, "ONNX", SHAPES, target_device="ml_c5"), cache_dir=tmp_path / "cache")
    report = verify_artifact(result.artifact, own, result.target)
    assert report.samples == 3 and report.max_rel_error < 1e-5
    assert "max abs error" in str(report) and "relative to the output's magnitude" in str(report)
    with pytest.raises(VerificationFailed) as caught:
        verify_artifact(result.artifact, other, result.target)
    assert caught.value.max_abs_error < 1e-4  # the old fixed absolute tolerance would have passed it
    assert caught.value.max_rel_error > 1e-2
