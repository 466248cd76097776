"""Model loading: an extracted model archive -> a Relax IRModule plus its input signature.

Local mode serves ONNX, PyTorch and TFLite.  PyTorch models (an exported program
saved with ``torch.export.save``, or TorchScript) are converted by TVM's
``from_exported_program`` in a child process (``torch_convert``) that hands
back the Relax module as JSON, so the compiling process and MetaSchedule's
workers never import torch (see ``_deps``); torch comes with the optional
'local-torch' extra.  TFLite models (one ``.tflite`` flatbuffer) go through
TVM's Relax TFLite frontend, which reads them with the pure-Python ``tflite``
package (in the 'local' extra; no TensorFlow).  Everything else (TensorFlow,
Keras, MXNet, XGBoost, Darknet, sklearn) has no Relax frontend.  These are refused at check time with an error that points
at cloud mode.

Input shapes come from InputConfig.DataInputConfig, read in the framework's own
layout as the API reference states (ONNX and PyTorch NCHW, TFLite NHWC): the
shapes are taken as given, and a shape that contradicts the model's own static
dims is reported with that layout named, since NHWC-vs-NCHW is the usual slip.
For PyTorch, as in SageMaker, the names of a by-name DataInputConfig need not
match the model's (``{"input0": [...]}``): unless they all do, shapes go by
position in the order given.

``check_framework``, ``parse_data_input_config`` and ``resolve_inputs`` are
pure; the loaders import onnx/tflite/tvm lazily.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagemaker_reconciler.errors import SpecError, UnsupportedFramework, Violation
from sagemaker_reconciler.local_compile._deps import HIDDEN_TORCH_PREFIX, require, require_torch_installed, require_tvm
from sagemaker_reconciler.specs.data_input import FRAMEWORK_LAYOUT, input_shapes

__all__ = [
    "FRAMEWORK_FIELD",
    "DATA_INPUT_CONFIG_FIELD",
    "ALL_FRAMEWORKS",
    "LOCAL_FRAMEWORKS",
    "FRAMEWORK_LAYOUT",
    "InputSpec",
    "LoadedModel",
    "UnsupportedFramework",
    "check_framework",
    "parse_data_input_config",
    "resolve_inputs",
    "find_model_file",
    "load_model",
]

FRAMEWORK_FIELD = "inputConfig.framework"
DATA_INPUT_CONFIG_FIELD = "inputConfig.dataInputConfig"
_RESOURCE = "CompilationJob"

ALL_FRAMEWORKS = ("TENSORFLOW", "KERAS", "MXNET", "ONNX", "PYTORCH", "XGBOOST", "TFLITE", "DARKNET", "SKLEARN")
LOCAL_FRAMEWORKS = ("ONNX", "PYTORCH", "TFLITE")
_MODEL_SUFFIXES = {"ONNX": (".onnx",), "PYTORCH": (".pt2", ".pt", ".pth"), "TFLITE": (".tflite",)}
# A PyTorch conversion loads torch (~2.5 s) and traces the model; a huge model may take minutes.
TORCH_CONVERT_TIMEOUT_S = 1800
_WHY_NOT = {
    "TENSORFLOW": "TVM 0.27 has no Relax frontend for TensorFlow",
    "KERAS": "TVM 0.27 has no Relax frontend for Keras",
    "MXNET": "TVM 0.27 has no Relax frontend for MXNet",
    "XGBOOST": "TVM does not compile tree models",
    "DARKNET": "TVM 0.27 has no Relax frontend for Darknet",
    "SKLEARN": "TVM does not compile scikit-learn models",
}


@dataclass(frozen=True)
class InputSpec:
    """One model input in call order; the manifest lists these for the runtime."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class LoadedModel:
    """A Relax module ready to build, with what the manifest and verify need."""

    framework: str
    module: Any  # tvm.IRModule; typed loosely so this file imports no tvm
    inputs: tuple[InputSpec, ...]
    model_path: Path
    conversion: dict[str, Any] | None = None  # how a PyTorch model was converted, and its timings
    warnings: tuple[str, ...] = ()  # behaviour the user should know of (unchecked index bounds)


def check_framework(framework: str) -> str:
    """Return the upper-cased framework or raise; pure, for the spec check."""
    name = (framework or "").upper()
    if name not in ALL_FRAMEWORKS:
        raise SpecError(_RESOURCE, [Violation(FRAMEWORK_FIELD, f"must be one of {', '.join(ALL_FRAMEWORKS)}")])
    if name not in LOCAL_FRAMEWORKS:
        raise UnsupportedFramework(name, _WHY_NOT.get(name, "no Relax frontend"))
    return name


def parse_data_input_config(
    config: str | Mapping[str, Any] | Sequence[Any] | None,
) -> dict[str, tuple[int, ...]] | list[tuple[int, ...]] | None:
    """DataInputConfig: ``{"name": [1,3,224,224], ...}`` by name, or ``[[...], ...]`` by position (the specs' reading)."""
    if config is None or config == "":
        return None
    try:
        return input_shapes(config)
    except ValueError as exc:
        raise SpecError(_RESOURCE, [Violation(DATA_INPUT_CONFIG_FIELD, str(exc))]) from None


def find_model_file(files: Sequence[Path], framework: str) -> Path:
    """The one model file of ``framework`` among the extracted files."""
    suffixes = _MODEL_SUFFIXES[framework]
    found = sorted(p for p in files if p.suffix.lower() in suffixes)
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise SpecError(
            _RESOURCE,
            [
                Violation(
                    "inputConfig.s3Uri",
                    f"the model archive has {what} {'/'.join(suffixes)} files; local mode needs exactly one",
                )
            ],
        )
    return found[0]


def _onnx_dtype(elem_type: int, onnx: Any) -> str:
    return str(onnx.helper.tensor_dtype_to_np_dtype(elem_type))


def resolve_inputs(
    framework: str,
    graph_inputs: Sequence[tuple[str, Sequence[int | None] | None, str]],
    shapes: dict[str, tuple[int, ...]] | list[tuple[int, ...]] | None,
    dtype_override: str | None,
) -> tuple[InputSpec, ...]:
    """The model's inputs (name, declared dims or None when the rank is unknown, dtype) + DataInputConfig -> specs.

    A list goes by position.  A dict goes by name; for PYTORCH (SageMaker names
    them ``input0``...) a dict whose names are not all the model's goes by
    position in its order.  Pure: the ONNX loader and the torch child both use it.
    """
    layout = FRAMEWORK_LAYOUT.get(framework, "NCHW")
    names = [name for name, _, _ in graph_inputs]
    if isinstance(shapes, dict) and framework == "PYTORCH" and not set(shapes) <= set(names):
        shapes = list(shapes.values())
    if isinstance(shapes, list):
        if len(shapes) != len(graph_inputs):
            raise SpecError(
                _RESOURCE,
                [
                    Violation(
                        DATA_INPUT_CONFIG_FIELD,
                        f"gives {len(shapes)} shapes; the model has {len(graph_inputs)} inputs {names}",
                    )
                ],
            )
        by_name = {name: shape for name, shape in zip(names, shapes)}
    else:
        by_name = dict(shapes or {})
        unknown = sorted(set(by_name) - set(names))
        if unknown:
            raise SpecError(
                _RESOURCE,
                [
                    Violation(
                        DATA_INPUT_CONFIG_FIELD,
                        f"names {unknown}, which the model does not have; its inputs are {names}",
                    )
                ],
            )
    specs = []
    for name, declared, dtype in graph_inputs:
        shape = by_name.get(name)
        if shape is None:
            if declared is None:
                raise SpecError(
                    _RESOURCE,
                    [
                        Violation(
                            DATA_INPUT_CONFIG_FIELD,
                            f"gives no shape for input {name!r}; a {framework} model of this kind records none",
                        )
                    ],
                )
            if any(d is None for d in declared):
                raise SpecError(
                    _RESOURCE,
                    [
                        Violation(
                            DATA_INPUT_CONFIG_FIELD, f"input {name!r} has dynamic dims {list(declared)}; give its shape"
                        )
                    ],
                )
            shape = tuple(int(d) for d in declared)  # type: ignore[arg-type]
        if declared is not None and (
            len(shape) != len(declared) or any(d is not None and d != s for d, s in zip(declared, shape))
        ):
            raise SpecError(
                _RESOURCE,
                [
                    Violation(
                        DATA_INPUT_CONFIG_FIELD,
                        f"shape {list(shape)} of {name!r} contradicts the model's {list(declared)} ({layout} for {framework})",
                    )
                ],
            )
        specs.append(InputSpec(name, tuple(shape), dtype_override or dtype))
    return tuple(specs)


def _resolve_onnx_inputs(
    graph_inputs: list[tuple[str, list[int | None], str]],
    shapes: dict[str, tuple[int, ...]] | list[tuple[int, ...]] | None,
    dtype_override: str | None,
) -> tuple[InputSpec, ...]:
    return resolve_inputs("ONNX", graph_inputs, shapes, dtype_override)


def _load_onnx(path: Path, shapes: Any, dtype_override: str | None) -> LoadedModel:
    onnx = require("onnx", "onnx")
    require_tvm()
    from tvm.relax.frontend.onnx import from_onnx  # lazy: tvm is an optional extra

    try:
        model = onnx.load(str(path))  # external data resolves next to the model, inside the temp dir
        onnx.checker.check_model(model)
    except Exception as exc:  # onnx raises many unrelated types for a bad file
        raise SpecError(
            _RESOURCE, [Violation("inputConfig.s3Uri", f"{path.name} is not a valid ONNX model: {exc}")]
        ) from exc
    initializers = {init.name for init in model.graph.initializer}
    graph_inputs = []
    for value in model.graph.input:
        if value.name in initializers:
            continue
        kind = value.type.WhichOneof("value")
        if kind != "tensor_type":
            what = (kind or "untyped").replace("_type", "")
            raise SpecError(
                _RESOURCE,
                [
                    Violation(
                        "inputConfig.s3Uri",
                        f"{path.name}: input {value.name!r} is {'an' if what[0] in 'aeiou' else 'a'} {what}, not a tensor; local mode compiles models whose inputs are tensors",
                    )
                ],
            )
        tensor = value.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tensor.shape.dim]
        graph_inputs.append((value.name, dims, _onnx_dtype(tensor.elem_type, onnx)))
    inputs = _resolve_onnx_inputs(graph_inputs, shapes, dtype_override)
    module = _convert_onnx(from_onnx, model, inputs, path.name)
    return LoadedModel("ONNX", module, inputs, path, warnings=tuple(unchecked_index_warnings(model)))


# Index inputs the compiled code reads without a bounds check (TVM lowers Gather to take(mode="fast")
# and the others index directly): an out-of-range index reads or writes outside the tensor.
UNCHECKED_INDEX_OPS = {"Gather": 1, "GatherElements": 1, "GatherND": 1, "ScatterElements": 1, "ScatterND": 1}
# Substrings of TVM frontend errors that mark a documented limit rather than a converter bug.
_KNOWN_LIMIT_MARKS = (
    "not supported",
    "not implemented",
    "only support",
    "unsupported",
    "must be constant",
    "should be constant",
    "dynamic",
)


def unchecked_index_warnings(model: Any) -> list[str]:
    """One line per node whose runtime index input is not bounds-checked in the compiled code."""
    constants = {init.name for init in model.graph.initializer}
    constants |= {out for node in model.graph.node if node.op_type == "Constant" for out in node.output}
    lines = []
    for node in model.graph.node:
        position = UNCHECKED_INDEX_OPS.get(node.op_type)
        if position is None or len(node.input) <= position or node.input[position] in constants:
            continue
        lines.append(
            f"{node.op_type} node {node.name or '(unnamed)'!r}: index input {node.input[position]!r} is not bounds-checked at run time; "
            "an out-of-range index returns garbage or crashes the process (onnxruntime raises an error)"
        )
    return lines


def _failing_node(exc: BaseException) -> Any:
    """The ONNX NodeProto TVM's importer was converting when ``exc`` was raised, if it shows in the traceback."""
    tb = exc.__traceback__
    node = None
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "_construct_nodes" and "node" in tb.tb_frame.f_locals:
            node = tb.tb_frame.f_locals["node"]
        tb = tb.tb_next
    return node


def _convert_onnx(from_onnx: Any, model: Any, inputs: Sequence[InputSpec], file_name: str) -> Any:
    """``from_onnx``, with a failure turned into an error naming the ONNX node and whether it is a known limit."""
    import contextlib
    import io

    tvm = require_tvm()
    from sagemaker_reconciler.local_compile.tvm_backend import CompileFailed

    chatter = io.StringIO()  # the importer prints its own less precise "Error converting operator" line
    try:
        with contextlib.redirect_stdout(chatter):
            return from_onnx(
                model,
                shape_dict={spec.name: list(spec.shape) for spec in inputs},
                dtype_dict={spec.name: spec.dtype for spec in inputs},
            )
    except Exception as exc:  # TVM raises anything from its converters
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if isinstance(exc, tvm.error.OpNotImplemented):
            ops = {op.strip() for op in message.split(":")[-1].split(",")}
            nodes = [f"{n.name or '(unnamed)'!r} ({n.op_type})" for n in model.graph.node if n.op_type in ops]
            raise CompileFailed(
                f"TVM's ONNX frontend cannot convert {file_name}: it does not implement op(s) {', '.join(sorted(ops))}, "
                f"used by node(s) {', '.join(nodes[:10]) or '(in a subgraph)'} (a known frontend limit; use mode 'cloud')"
            ) from exc
        node = _failing_node(exc)
        needs_constant = "'Var' object" in message or "'DataflowVar' object" in message
        known = (
            needs_constant
            or isinstance(exc, NotImplementedError)
            or any(m in message.lower() for m in _KNOWN_LIMIT_MARKS)
        )
        verdict = (
            "a known frontend limit: this converter needs those inputs to be constants (initializers), not run-time values"
            if needs_constant
            else "a known frontend limit"
            if known
            else "not a documented frontend limit: the model passed onnx.checker"
        )
        where = (
            f"node {node.name or '(unnamed)'!r} (op {node.op_type}, inputs {list(node.input)})"
            if node is not None
            else "the graph"
        )
        raise CompileFailed(
            f"TVM's ONNX frontend failed on {where} of {file_name}: {type(exc).__name__}: {message} ({verdict})"
        ) from exc


# tflite.TensorType -> dtype, as TVM's TFLite frontend decodes it.
_TFLITE_DTYPES = {
    0: "float32",
    1: "float16",
    2: "int32",
    3: "uint8",
    4: "int64",
    5: "string",
    6: "bool",
    7: "int16",
    8: "complex64",
    9: "int8",
    12: "uint64",
    15: "uint32",
}


def _tflite_graph_inputs(model: Any) -> list[tuple[str, list[int | None] | None, str]]:
    """Subgraph 0's inputs in call order: (name, dims with None where the signature says -1, dtype)."""
    if model.SubgraphsLength() < 1:
        raise ValueError("the model has no subgraph")
    subgraph = model.Subgraphs(0)
    graph_inputs: list[tuple[str, list[int | None] | None, str]] = []
    for i in range(subgraph.InputsLength()):
        index = int(subgraph.Inputs(i))
        tensor = subgraph.Tensors(index)
        raw_name = tensor.Name()
        name = (
            raw_name.decode("utf-8") if raw_name is not None else f"tvmgen_tensor_{index}"
        )  # TVM's name for an unnamed one
        dims: list[int | None] = [int(d) for d in tensor.ShapeAsNumpy()] if tensor.ShapeLength() else []
        if tensor.ShapeSignatureLength() == len(dims):
            dims = [None if int(sig) < 0 else d for d, sig in zip(dims, tensor.ShapeSignatureAsNumpy())]
        dtype = _TFLITE_DTYPES.get(tensor.Type())
        if dtype is None or dtype == "string":
            raise ValueError(
                f"input {name!r} has tensor type {tensor.Type()}, which TVM's TFLite frontend cannot take as an input"
            )
        graph_inputs.append((name, dims, dtype))
    return graph_inputs


def _load_tflite(path: Path, shapes: Any, dtype_override: str | None) -> LoadedModel:
    """One ``.tflite`` flatbuffer -> Relax through ``tvm.relax.frontend.tflite.from_tflite``; shapes in NHWC."""
    tflite = require("tflite", "tflite")
    tvm = require_tvm()
    from tvm.relax.frontend.tflite import from_tflite  # lazy: tvm is an optional extra

    from sagemaker_reconciler.local_compile.tvm_backend import CompileFailed

    data = path.read_bytes()
    invalid = f"{path.name} is not a valid TFLite model"
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise SpecError(_RESOURCE, [Violation("inputConfig.s3Uri", f"{invalid}: no TFL3 flatbuffer identifier")])
    try:
        model = tflite.Model.GetRootAs(data, 0)
        graph_inputs = _tflite_graph_inputs(model)
    except Exception as exc:  # a corrupt flatbuffer fails with struct/index errors
        raise SpecError(_RESOURCE, [Violation("inputConfig.s3Uri", f"{invalid}: {exc}")]) from exc
    inputs = resolve_inputs("TFLITE", graph_inputs, shapes, dtype_override)
    try:
        module = from_tflite(
            model,
            shape_dict={spec.name: tuple(spec.shape) for spec in inputs},
            dtype_dict={spec.name: spec.dtype for spec in inputs},
        )
    except tvm.error.OpNotImplemented as exc:
        raise CompileFailed(f"TVM's TFLite frontend cannot convert {path.name}: {exc}") from exc
    main = module["main"]
    if main.attrs is not None and "params" in main.attrs:
        # The weights are already inlined as constants; the attribute only duplicates them.
        module["main"] = main.without_attr("params")
    return LoadedModel("TFLITE", module, inputs, path)


def _package_root() -> str:
    import sagemaker_reconciler

    return str(Path(sagemaker_reconciler.__file__).resolve().parents[1])


def _child_env() -> dict[str, str]:
    """This environment, with the project importable and any torch-hiding stub dropped."""
    env = dict(os.environ)
    entries = [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and not Path(p).name.startswith(HIDDEN_TORCH_PREFIX)
    ]
    env["PYTHONPATH"] = os.pathsep.join([_package_root(), *entries])
    return env


def _load_pytorch(path: Path, shapes: Any, dtype_override: str | None) -> LoadedModel:
    """Convert in a child process (torch + tvm there), load the Relax module here (tvm only)."""
    require_torch_installed()
    tvm = require_tvm()
    from sagemaker_reconciler.local_compile.torch_convert import RESULT
    from sagemaker_reconciler.local_compile.tvm_backend import CompileFailed

    with tempfile.TemporaryDirectory(prefix="torch-convert-") as tmp:
        work = Path(tmp)
        request = work / "request.json"
        request.write_text(
            json.dumps(
                {
                    "model": str(path),
                    "shapes": [list(s) for s in shapes]
                    if isinstance(shapes, list)
                    else {k: list(v) for k, v in shapes.items()}
                    if shapes
                    else None,
                    "dtype": dtype_override,
                    "output": str(work),
                }
            )
        )
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "sagemaker_reconciler.local_compile.torch_convert", str(request)],
                capture_output=True,
                text=True,
                env=_child_env(),
                cwd=str(work),
                timeout=TORCH_CONVERT_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise CompileFailed(
                f"converting {path.name} with TVM's PyTorch frontend took over {TORCH_CONVERT_TIMEOUT_S} s"
            ) from exc
        try:
            result = json.loads((work / RESULT).read_text())
        except (OSError, ValueError):
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise CompileFailed(f"the PyTorch conversion process failed (exit {proc.returncode}):\n{tail}") from None
        error = result.get("error")
        if error is not None:
            if error["kind"] == "spec":
                raise SpecError(_RESOURCE, [Violation(field, rule) for field, rule in error["violations"]])
            if error["kind"] == "model":
                raise SpecError(_RESOURCE, [Violation("inputConfig.s3Uri", error["message"])])
            raise CompileFailed(f"TVM's PyTorch frontend could not convert {path.name}: {error['message']}")
        try:
            module = tvm.ir.load_json((work / result["module"]).read_text())
        except Exception as exc:  # a tvm/tvm-ffi mismatch between the processes would show here
            raise CompileFailed(f"could not load the converted Relax module of {path.name}: {exc}") from exc
    inputs = tuple(InputSpec(i["name"], tuple(i["shape"]), i["dtype"]) for i in result["inputs"])
    timings = dict(result.get("seconds", {}), total=round(time.perf_counter() - started, 3))
    return LoadedModel("PYTORCH", module, inputs, path, {"format": result.get("format"), "seconds": timings})


def load_model(
    files: Sequence[Path],
    framework: str,
    data_input_config: str | Mapping[str, Any] | Sequence[Any] | None,
    input_dtype: str | None = None,
) -> LoadedModel:
    """Find the model among the extracted ``files`` and convert it to Relax."""
    name = check_framework(framework)
    shapes = parse_data_input_config(data_input_config)
    path = find_model_file(files, name)
    if name == "PYTORCH":
        return _load_pytorch(path, shapes, input_dtype)
    if name == "TFLITE":
        return _load_tflite(path, shapes, input_dtype)
    return _load_onnx(path, shapes, input_dtype)
