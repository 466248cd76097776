"""``verify``: run the compiled x86 artifact next to onnxruntime on seeded random inputs.

A compile can succeed and still be wrong (a frontend mapping an op slightly
differently, a tuned schedule with a bug), so the resource can ask for this
check; a mismatch fails the job with the largest error shown.  Errors are
judged against each output's magnitude (its largest |value|) with a small
absolute floor, over several seeded inputs: a fixed absolute tolerance let a
model with small outputs pass against a different architecture.  Only x86 CPU
artifacts of ONNX models can be checked here: other targets cannot run on this
machine and onnxruntime only reads ONNX.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagemaker_reconciler.errors import SpecError, VerificationFailed, Violation
from sagemaker_reconciler.local_compile._deps import require
from sagemaker_reconciler.local_compile.archive import DEFAULT_LIMITS, ArchiveLimits, extract_archive
from sagemaker_reconciler.local_compile.frontends import find_model_file
from sagemaker_reconciler.local_compile.targets import ResolvedTarget
from sagemaker_reconciler.local_compile.tvm_backend import host_can_run, run_library

__all__ = ["VerificationFailed", "VerifyReport", "check_verifiable", "random_inputs", "verify_artifact"]


@dataclass(frozen=True)
class VerifyReport:
    """The worst errors over every output and every seeded input; ``str()`` is the line users see."""

    max_abs_error: float
    outputs_compared: int
    seed: int
    max_rel_error: float = 0.0
    samples: int = 1

    def __str__(self) -> str:
        return (
            f"verify passed: {self.outputs_compared} output(s) x {self.samples} seeded input(s) match onnxruntime; "
            f"max abs error {self.max_abs_error:.3g}, max error relative to the output's magnitude {self.max_rel_error:.3g}"
        )


def check_verifiable(framework: str, target: ResolvedTarget) -> None:
    """Pure part of the check: verify needs an ONNX model and an x86 CPU target."""
    problems = []
    if framework.upper() != "ONNX":
        problems.append("verify compares with onnxruntime, so it needs an ONNX model")
    if not target.runs_on_this_kind_of_machine:
        problems.append(f"verify runs the artifact here, so it needs an x86_64 CPU target (not {target.label})")
    if problems:
        raise SpecError("CompilationJob", [Violation("verify", p) for p in problems])


def random_inputs(inputs: list[dict[str, Any]], seed: int) -> list[Any]:
    """Seeded inputs matching the manifest: normal floats, small non-negative ints (safe as indices)."""
    np = require("numpy", "numpy")
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in inputs:
        dtype = np.dtype(spec["dtype"])
        shape = tuple(spec["shape"])
        if dtype.kind == "f":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        elif dtype.kind == "b":
            arrays.append(rng.integers(0, 2, shape).astype(dtype))
        else:
            arrays.append(rng.integers(0, 4, shape).astype(dtype))
    return arrays


def _magnitude(reference: Any) -> float:
    """The scale errors are judged against: the largest finite |value| of the reference output."""
    np = require("numpy", "numpy")
    finite = np.abs(reference[np.isfinite(reference)]) if reference.dtype.kind in "fc" else np.abs(reference)
    return float(finite.max(initial=0.0))


def compare_outputs(
    actual: list[Any], expected: list[Any], atol: float, rtol: float, seed: int | None = None
) -> tuple[float, float]:
    """(max abs error, max error / magnitude) over the outputs; raises ``VerificationFailed`` past
    ``atol + rtol * magnitude`` (magnitude per output, so a model whose outputs are all tiny is
    judged at its own scale, not passed by a fixed absolute tolerance)."""
    np = require("numpy", "numpy")
    if len(actual) != len(expected):
        raise VerificationFailed(
            float("inf"),
            min(len(actual), len(expected)),
            atol,
            rtol,
            seed=seed,
            why=f"is missing: the artifact returns {len(actual)} outputs, onnxruntime {len(expected)}",
        )
    worst_abs = worst_rel = 0.0
    for index, (got, want) in enumerate(zip(actual, expected)):
        got, want = np.asarray(got), np.asarray(want)
        if got.shape != want.shape:
            raise VerificationFailed(
                float("inf"),
                index,
                atol,
                rtol,
                seed=seed,
                why=f"has shape {list(got.shape)}, onnxruntime's has {list(want.shape)}",
            )
        if not np.array_equal(np.isnan(got.astype(np.float64)), np.isnan(want.astype(np.float64))):
            raise VerificationFailed(
                float("inf"), index, atol, rtol, seed=seed, why="has NaN where onnxruntime has none, or the reverse"
            )
        scale = _magnitude(want)
        error = np.abs(np.nan_to_num(got.astype(np.float64) - want.astype(np.float64), nan=0.0))
        max_abs = float(error.max(initial=0.0))
        max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
        worst_abs, worst_rel = max(worst_abs, max_abs), max(worst_rel, max_rel)
        if max_abs > atol + rtol * scale:
            raise VerificationFailed(max_abs, index, atol, rtol, max_rel_error=max_rel, scale=scale, seed=seed)
    return worst_abs, worst_rel


def verify_artifact(
    artifact: Path,
    model_archive: Path,
    target: ResolvedTarget,
    *,
    seed: int = 0,
    samples: int = 3,
    atol: float = 1e-6,
    rtol: float = 1e-4,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> VerifyReport:
    """Run ``samples`` seeded inputs (seed, seed+1, ...) through the artifact and onnxruntime.

    Raises ``VerificationFailed`` when an output differs by more than
    ``atol + rtol * magnitude``, magnitude being the output's largest |value|.
    """
    ort = require("onnxruntime", "onnxruntime")
    if not host_can_run(target):
        raise SpecError("CompilationJob", [Violation("verify", f"{target.label} code cannot run on this machine")])
    worst_abs = worst_rel = 0.0
    outputs = 0
    with tempfile.TemporaryDirectory(prefix="local-verify-") as tmp:
        workdir = Path(tmp)
        extract_archive(artifact, workdir / "artifact", limits)
        manifest = json.loads((workdir / "artifact" / "manifest.json").read_text())
        check_verifiable(manifest["framework"], target)
        if model_archive.name.endswith((".tar.gz", ".tgz", ".tar")):
            files = extract_archive(model_archive, workdir / "model", limits)
        else:
            files = [model_archive]
        model_path = find_model_file(files, "ONNX")
        session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        for sample_seed in range(seed, seed + max(1, samples)):
            inputs = random_inputs(manifest["inputs"], sample_seed)
            expected = session.run(None, {spec["name"]: x for spec, x in zip(manifest["inputs"], inputs)})
            actual = run_library(workdir / "artifact" / manifest["library"], inputs)
            sample_abs, sample_rel = compare_outputs(actual, expected, atol, rtol, sample_seed)
            worst_abs, worst_rel = max(worst_abs, sample_abs), max(worst_rel, sample_rel)
            outputs = len(expected)
    return VerifyReport(worst_abs, outputs, seed, worst_rel, max(1, samples))
