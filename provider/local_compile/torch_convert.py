"""PyTorch -> Relax conversion, run in a child process: ``python -m sagemaker_reconciler.local_compile.torch_convert REQUEST``.

The compiling process never imports torch (see ``_deps``): this child imports
torch and tvm, loads the model, resolves its input shapes, converts it with
TVM's ``from_exported_program`` and writes the Relax IRModule with
``tvm.ir.save_json`` (bound weights included) for the parent to
``tvm.ir.load_json``.

Accepted files: an exported program (``torch.export.save``, usually ``.pt2``)
or a TorchScript module (``torch.jit.save``/``trace``, usually ``.pt``/``.pth``),
which goes through torch's TorchScript -> exported-program converter.  Neither
loader unpickles arbitrary Python objects; a pickled ``nn.Module`` or a bare
state_dict (``torch.save``) is refused, because it needs its Python code.

REQUEST is a JSON file: ``{"model": path, "shapes": null | [[...]] | {name: [...]},
"dtype": null | str, "output": dir}``.  The child writes ``output/result.json``:
``{"inputs": [{"name", "shape", "dtype"}...], "module": "module.json", "seconds": {...}}``
or ``{"error": {"kind": "spec" | "convert", "violations": [[field, rule]...], "message": str}}``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULT = "result.json"
MODULE = "module.json"


def _declared_exported(ep: Any) -> list[tuple[str, list[int | None], str]]:
    """User inputs of an exported program: (name, dims with None for symbolic, dtype)."""
    user_inputs = list(ep.graph_signature.user_inputs)
    by_name = {node.name: node for node in ep.graph.nodes if node.op == "placeholder"}
    declared = []
    for name in user_inputs:
        node = by_name.get(name)
        value = node.meta.get("val") if node is not None else None
        if value is None or not hasattr(value, "shape"):
            raise _ConvertError(f"input {name!r} is not a tensor; local mode compiles tensor inputs only")
        dims = [int(d) if isinstance(d, int) or str(d).isdigit() else None for d in value.shape]
        declared.append((name, dims, str(value.dtype).replace("torch.", "")))
    return declared


def _declared_torchscript(module: Any) -> list[tuple[str, None, str]]:
    """TorchScript records no shapes: names only (rank unknown, shapes must come from DataInputConfig)."""
    names = [value.debugName() for value in list(module.graph.inputs())[1:]]  # [0] is self
    return [(re.sub(r"\.\d+$", "", name), None, "float32") for name in names]


class _ConvertError(Exception):
    pass


def _load(torch: Any, path: Path) -> tuple[str, Any]:
    """('exported', ExportedProgram) or ('torchscript', ScriptModule); tries the suffix's format first."""
    loaders = [("exported", torch.export.load), ("torchscript", torch.jit.load)]
    if path.suffix.lower() != ".pt2":
        loaders.reverse()
    errors = []
    for kind, loader in loaders:
        try:
            return kind, loader(str(path))
        except Exception as exc:  # torch raises RuntimeError, KeyError, zipfile errors, ...
            errors.append(f"{kind}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    raise _ConvertError(
        f"{path.name} is neither an exported program (torch.export.save) nor TorchScript (torch.jit.save); "
        f"a pickled nn.Module or state_dict needs its Python code, export it first ({'; '.join(errors)})"
    )


def convert(request: dict[str, Any]) -> dict[str, Any]:
    from sagemaker_reconciler.local_compile.frontends import InputSpec, resolve_inputs  # pure, imports no tvm

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    import torch

    seconds["import torch"] = time.perf_counter() - started
    path = Path(request["model"])
    output = Path(request["output"])
    shapes = request.get("shapes")
    if isinstance(shapes, list):
        shapes = [tuple(s) for s in shapes]
    elif isinstance(shapes, dict):
        shapes = {k: tuple(v) for k, v in shapes.items()}

    mark = time.perf_counter()
    kind, loaded = _load(torch, path)
    declared: Sequence[tuple[str, Sequence[int | None] | None, str]]
    if kind == "exported":
        declared = _declared_exported(loaded)
    else:
        declared = _declared_torchscript(loaded)
    specs: tuple[InputSpec, ...] = resolve_inputs("PYTORCH", declared, shapes, request.get("dtype"))
    examples = tuple(torch.zeros(spec.shape, dtype=getattr(torch, spec.dtype)) for spec in specs)
    if kind == "torchscript":
        from torch._export.converter import TS2EPConverter

        exported = TS2EPConverter(loaded, examples).convert()  # leaves most dims symbolic (Dim.AUTO)
    else:
        exported = loaded
    if any(d is None for _, dims, _ in _declared_exported(exported) for d in dims):
        # Specialise symbolic dims to the given shapes, so the Relax module is static and the conv
        # template and tuning apply (they need static shapes).
        exported = torch.export.export(exported.module(), examples)
    seconds["load"] = time.perf_counter() - mark

    mark = time.perf_counter()
    import tvm  # after the checks, so a bad file or shape fails without paying for it
    from tvm.relax.frontend.torch import from_exported_program

    seconds["import tvm"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with torch.no_grad():
        module = from_exported_program(exported, unwrap_unit_return_tuple=True)
    (output / MODULE).write_text(tvm.ir.save_json(module))
    seconds["convert"] = time.perf_counter() - mark
    return {
        "format": kind,
        "inputs": [spec.to_json() for spec in specs],
        "module": MODULE,
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
    }


def main(argv: list[str]) -> int:
    from sagemaker_reconciler.errors import SpecError

    request = json.loads(Path(argv[1]).read_text())
    output = Path(request["output"])
    try:
        result = convert(request)
        code = 0
    except SpecError as exc:
        result = {
            "error": {"kind": "spec", "violations": [[v.field, v.rule] for v in exc.violations], "message": str(exc)}
        }
        code = 3
    except _ConvertError as exc:
        result = {"error": {"kind": "model", "message": str(exc)}}
        code = 3
    except Exception as exc:  # TVM's frontend raises its own types for unsupported ops
        result = {"error": {"kind": "convert", "message": f"{type(exc).__name__}: {exc}"}}
        code = 4
    (output / RESULT).write_text(json.dumps(result))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
