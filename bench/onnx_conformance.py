"""Conformance report: the ONNX backend node test cases through local compile, failures classified.

The ``onnx`` wheel ships the generators of its backend node tests (not the
data): ``onnx.backend.test.case.node.collect_testcases`` builds each case's
model and its expected outputs.  Every case is compiled with ``compile_model``
for ``ml_c5`` (a bare .onnx, DataInputConfig from the case's inputs), run in
the TVM runtime and compared with the expected outputs.

A case that does not compile is compiled again the plain way,
``tvm.compile(from_onnx(model))``, to tell whose failure it is:

* ``project pipeline``: plain TVM compiles it but local compile does not.
  This class must stay at zero: the project must never break a model TVM
  can compile.
* ``unsupported op``, ``dynamic shape``, ``dtype``, ``tvm other``: TVM itself
  fails, classified from its message;
* ``refused: zero-size dim`` and ``refused: spec``: local compile's checks
  refuse the request before TVM (a 0 in a shape cannot be given in
  DataInputConfig).

Cases run in child processes (TVM can crash the process on bad models), a
chunk per child; a crashed case is recorded and the next child carries on.

    python bench/onnx_conformance.py                       # all cases (~1 h on 2 busy cores)
    python bench/onnx_conformance.py --filter 'slice|gelu' # a subset
    python bench/onnx_conformance.py --show 'project pipeline'
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PIPELINE = "project pipeline"
CLASSES = (
    "match",
    "wrong result",
    "run-time failure",
    PIPELINE,
    "unsupported op",
    "dynamic shape",
    "dtype",
    "tvm other",
    "refused: zero-size dim",
    "refused: spec",
    "crash",
)
_RTOL, _ATOL = 1e-3, 1e-4


def _cases(pattern: str | None) -> list:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = [c for c in collect_testcases(None) if c.model is not None and c.data_sets]
    if pattern:
        regex = re.compile(pattern)
        cases = [c for c in cases if regex.search(c.name)]
    return sorted(cases, key=lambda c: c.name)


def _classify_tvm_error(message: str) -> str:
    text = message.lower()
    if (
        "not implemented" in text
        or "opnotimplemented" in text
        or "is not supported" in text
        or "unsupported op" in text
    ):
        return "unsupported op"
    if any(w in text for w in ("dtype", "float16", "bfloat16", "float8", "int4", "string", "datatype", "data type")):
        return "dtype"
    if any(
        w in text
        for w in (
            "dynamic",
            "symbolic",
            "shape_expr",
            "shapeexpr",
            "unknown shape",
            "prim_value",
            "primvalue",
            "match_cast",
        )
    ):
        return "dynamic shape"
    return "tvm other"


_COMMON_DTYPES = {
    "float",
    "double",
    "float32",
    "float64",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "bool",
}


def _unusual_dtypes(model) -> set[str]:
    """Element types in the graph's signature beyond the common ones (bfloat16, float8, int4, string...)."""
    from onnx import TensorProto

    values = list(model.graph.input) + list(model.graph.output)
    names = {
        TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower()
        for v in values
        if v.type.HasField("tensor_type")
    }
    names |= {TensorProto.DataType.Name(i.data_type).lower() for i in model.graph.initializer}
    return {n for n in names if n not in _COMMON_DTYPES and n != "undefined"}


def _plain_tvm(model, shapes: dict, dtypes: dict) -> str | None:
    """None when plain from_onnx + tvm.compile succeeds, else the error class."""
    import tvm
    from tvm.relax.frontend.onnx import from_onnx

    try:
        mod = from_onnx(model, shape_dict=shapes, dtype_dict=dtypes)
    except Exception as exc:
        if isinstance(exc, tvm.error.OpNotImplemented):
            return "unsupported op"
        return "dtype" if _unusual_dtypes(model) else _classify_tvm_error(str(exc))
    try:
        tvm.compile(mod, tvm.target.Target({"kind": "llvm", "mtriple": "x86_64-linux-gnu", "mcpu": "skylake-avx512"}))
    except Exception as exc:
        return "dtype" if _unusual_dtypes(model) else _classify_tvm_error(str(exc))
    return None


def _compare(got: list, want: list) -> str | None:
    import numpy as np

    if len(got) != len(want):
        return f"{len(got)} outputs, expected {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        w = np.asarray(w)
        g = np.asarray(g)
        if g.shape != w.shape:
            return f"output {i}: shape {g.shape}, expected {w.shape}"
        if w.dtype.kind in "fc":
            if not np.allclose(g.astype(np.float64), w.astype(np.float64), rtol=_RTOL, atol=_ATOL, equal_nan=True):
                return f"output {i}: max abs error {float(np.nanmax(np.abs(g.astype(np.float64) - w))):.3g}"
        elif not np.array_equal(g, w):
            return f"output {i}: values differ"
    return None


def _as_array(value):
    """Case data is numpy arrays, or TensorProtos for element types numpy lacks (bfloat16, float8...)."""
    import numpy as np
    from onnx import TensorProto, numpy_helper

    return numpy_helper.to_array(value) if isinstance(value, TensorProto) else np.asarray(value)


def run_case(case, workdir: Path) -> dict:
    """Compile, run and compare one case; returns {"name", "class", "detail"}."""
    import onnx

    from sagemaker_reconciler.errors import SpecError
    from sagemaker_reconciler.local_compile import CompileRequest, compile_model
    from sagemaker_reconciler.local_compile.tvm_backend import run_library

    model = case.model
    result = {"name": case.name}
    try:
        inputs, expected = (list(map(_as_array, values)) for values in case.data_sets[0])
    except ValueError:  # sequence-valued data: local compile takes tensor inputs only
        return {**result, "class": "refused: spec", "detail": "sequence-valued input or output"}
    initializers = {i.name for i in model.graph.initializer}
    names = [v.name for v in model.graph.input if v.name not in initializers][: len(inputs)]
    shapes = {n: list(x.shape) for n, x in zip(names, inputs)}
    dtypes = {n: str(x.dtype) for n, x in zip(names, inputs)}
    if any(0 in s for s in shapes.values()):
        return {**result, "class": "refused: zero-size dim", "detail": str(shapes)}
    path = workdir / f"{case.name}.onnx"
    onnx.save(model, str(path))
    try:
        compiled = compile_model(
            CompileRequest(path, "ONNX", shapes or None, target_device="ml_c5"), cache_dir=workdir / "cache"
        )
    except SpecError as exc:
        return {**result, "class": "refused: spec", "detail": str(exc)[:300]}
    except Exception as exc:
        plain = _plain_tvm(model, shapes, dtypes)
        return {
            **result,
            "class": PIPELINE if plain is None else plain,
            "detail": f"{type(exc).__name__}: {str(exc)[:400]}",
        }
    lib_dir = workdir / "artifact"
    import tarfile

    with tarfile.open(compiled.artifact) as tar:
        tar.extractall(lib_dir, filter="data")
    try:
        got = run_library(lib_dir / "model.so", list(inputs))
    except Exception as exc:
        problem, cls = str(exc)[:300], "run-time failure"
    else:
        problem = _compare(got, expected)
        if problem is None:
            return {**result, "class": "match", "detail": ""}
        cls = "wrong result"
    if _plain_tvm_matches(model, shapes, dtypes, inputs, expected):
        return {**result, "class": PIPELINE, "detail": f"{cls} where plain TVM matches: {problem}"}
    return {**result, "class": cls, "detail": problem}


def _plain_tvm_matches(model, shapes: dict, dtypes: dict, inputs: list, expected: list) -> bool:
    """Whether plain from_onnx + tvm.compile gets this case right (then a wrong answer is ours)."""
    import tvm
    from tvm import relax
    from tvm.relax.frontend.onnx import from_onnx

    from sagemaker_reconciler.local_compile.tvm_backend import _to_numpy

    try:
        mod = from_onnx(model, shape_dict=shapes, dtype_dict=dtypes)
        executable = tvm.compile(
            mod, tvm.target.Target({"kind": "llvm", "mtriple": "x86_64-linux-gnu", "mcpu": "skylake-avx512"})
        )
        vm = relax.VirtualMachine(executable, tvm.cpu())
        got = _to_numpy(vm["main"](*[tvm.runtime.tensor(x) for x in inputs]))
    except Exception:
        return False
    return _compare(got, expected) is None


def _child(names: list[str], out: Path) -> None:
    os.environ.setdefault("TVM_NUM_THREADS", "1")
    wanted = set(names)
    cases = [c for c in _cases(None) if c.name in wanted]
    with open(out, "a") as sink:
        for case in cases:
            sink.write(json.dumps({"start": case.name}) + "\n")
            sink.flush()
            with tempfile.TemporaryDirectory(prefix="onnx-conf-") as tmp:
                try:
                    record = run_case(case, Path(tmp))
                except Exception:
                    record = {"name": case.name, "class": "crash", "detail": traceback.format_exc()[-300:]}
            sink.write(json.dumps(record) + "\n")
            sink.flush()


def run_all(names: list[str], chunk: int, log: Path) -> list[dict]:
    done: dict[str, dict] = {}
    pending = list(names)
    while pending:
        batch, pending = pending[:chunk], pending[chunk:]
        log.write_text("")
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(log), *batch], cwd=ROOT, capture_output=True, text=True
        )
        started = None
        for line in log.read_text().splitlines():
            entry = json.loads(line)
            if "start" in entry:
                started = entry["start"]
            else:
                done[entry["name"]] = entry
                started = None
        if started is not None:  # the child died inside this case
            done[started] = {
                "name": started,
                "class": "crash",
                "detail": f"exit {proc.returncode}: {proc.stderr[-200:]}",
            }
        pending = [n for n in batch if n not in done] + pending
        for entry in (done[n] for n in batch if n in done):
            print(f"{entry['class']:>24}  {entry['name']}", flush=True)
    return [done[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--filter", help="regex on the case name")
    parser.add_argument("--chunk", type=int, default=40, help="cases per child process")
    parser.add_argument("--json", type=Path, help="write every case's record here")
    parser.add_argument("--show", action="append", default=[], help="print the details of this class")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("names", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.names, args.child)
        return 0
    names = [c.name for c in _cases(args.filter)]
    with tempfile.TemporaryDirectory(prefix="onnx-conformance-") as tmp:
        records = run_all(names, args.chunk, Path(tmp) / "log.jsonl")
    counts = Counter(r["class"] for r in records)
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))
    for cls in args.show:
        for r in records:
            if r["class"] == cls:
                print(f"[{cls}] {r['name']}: {r['detail']}")
    print(f"\n{len(records)} cases")
    for cls in CLASSES:
        if counts.get(cls):
            print(f"  {cls:>24}: {counts[cls]}")
    compiled = sum(counts[c] for c in ("match", "wrong result", "run-time failure"))
    print(f"  compiled {compiled}; project-pipeline failures {counts.get(PIPELINE, 0)} (must be 0)")
    return 1 if counts.get(PIPELINE) else 0


if __name__ == "__main__":
    raise SystemExit(main())
