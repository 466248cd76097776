"""``verify``: run the compiled x86 artifact next to onnxruntime on seeded random inputs.

A compile can succeed and still be wrong (a frontend mapping an op slightly
differently, a tuned schedule with a bug), so the resource can ask for this
check; a mismatch fails the job with the largest error shown.  Only x86 CPU
artifacts of ONNX models can be checked here: other targets cannot run on this
machine and onnxruntime only reads ONNX.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provider.errors import SpecError, VerificationFailed, Violation
from provider.local_compile._deps import require
from provider.local_compile.archive import DEFAULT_LIMITS, ArchiveLimits, extract_archive
from provider.local_compile.frontends import find_model_file
from provider.local_compile.targets import ResolvedTarget
from provider.local_compile.tvm_backend import host_can_run, run_library

__all__ = ["VerificationFailed", "VerifyReport", "check_verifiable", "random_inputs", "verify_artifact"]


@dataclass(frozen=True)
class VerifyReport:
    max_abs_error: float
    outputs_compared: int
    seed: int


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


def verify_artifact(
    artifact: Path,
    model_archive: Path,
    target: ResolvedTarget,
    *,
    seed: int = 0,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> VerifyReport:
    """Raise ``VerificationFailed`` when any output element differs by more than ``atol + rtol*|ref|``."""
    np = require("numpy", "numpy")
    ort = require("onnxruntime", "onnxruntime")
    if not host_can_run(target):
        raise SpecError("CompilationJob", [Violation("verify", f"{target.label} code cannot run on this machine")])
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
        inputs = random_inputs(manifest["inputs"], seed)
        session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
        expected = session.run(None, {spec["name"]: x for spec, x in zip(manifest["inputs"], inputs)})
        actual = run_library(workdir / "artifact" / manifest["library"], inputs)
    worst = 0.0
    for index, (got, want) in enumerate(zip(actual, expected)):
        if got.shape != want.shape:
            raise VerificationFailed(float("inf"), index, atol, rtol)
        error = np.abs(got.astype(np.float64) - want.astype(np.float64))
        worst = max(worst, float(error.max(initial=0.0)))
        if np.any(error > atol + rtol * np.abs(want)):
            raise VerificationFailed(float(error.max()), index, atol, rtol)
    if len(actual) != len(expected):
        raise VerificationFailed(float("inf"), min(len(actual), len(expected)), atol, rtol)
    return VerifyReport(worst, len(expected), seed)
