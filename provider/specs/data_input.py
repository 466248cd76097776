"""InputConfig.DataInputConfig: the forms the API reference documents, per framework and target.

One reading serves the spec check (cloud and local mode) and local compilation
(``sagemaker_reconciler.local_compile.frontends`` takes its shapes from :func:`input_shapes`),
so the two cannot disagree about what a shape is or which layout a framework uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "FRAMEWORK_LAYOUT",
    "REQUIRES_DATA_INPUT_CONFIG",
    "COREML_TARGET",
    "parse_data_input_config",
    "input_shapes",
]

# The layout DataInputConfig's shapes are written in, as the API reference states it per framework
# ("KERAS: ... DataInputConfig should be specified in NCHW (channel-first) format").
FRAMEWORK_LAYOUT = {
    "TENSORFLOW": "NHWC",
    "TFLITE": "NHWC",
    "KERAS": "NCHW",
    "MXNET": "NCHW",
    "ONNX": "NCHW",
    "PYTORCH": "NCHW",
    "DARKNET": "NCHW",
}
# "You must specify the name and shape" (TensorFlow, Keras, MXNet/ONNX/DarkNet) and "You can either
# specify ... or ..." (PyTorch). XGBoost: "not needed"; TFLite and sklearn: not mentioned.
REQUIRES_DATA_INPUT_CONFIG = frozenset({"TENSORFLOW", "KERAS", "MXNET", "ONNX", "DARKNET", "PYTORCH"})
COREML_TARGET = "coreml"
_COREML_KEYS = ("shape", "default_shape", "type", "bias", "scale")
_COREML_TYPES = ("Image", "Tensor")


def parse_data_input_config(framework: str, text: str | None, target_device: str | None = None) -> Any:
    """Check DataInputConfig against the framework's (and, for ``coreml``, the CoreML) form; return its JSON.

    Raises ValueError with the rule; the caller names the field.
    """
    if text is None:
        if framework in REQUIRES_DATA_INPUT_CONFIG:
            raise ValueError(f"is required for {framework}: the name and shape of each input as JSON")
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"must be JSON ({exc.msg} at character {exc.pos})") from None
    except RecursionError:
        raise ValueError("is nested too deeply: shapes are lists of integers") from None
    if framework == "XGBOOST":
        return value  # "input data name and shape are not needed": any JSON is passed on
    if target_device == COREML_TARGET:
        _check_coreml(value, framework)
        return value
    layout = FRAMEWORK_LAYOUT.get(framework, "")
    named = f'a JSON object of input name -> shape{f" ({layout})" if layout else ""}, e.g. {{"data": [1,3,224,224]}}'
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"must name at least one input: {named}")
        bad = [k for k, v in value.items() if not _is_shape_or_shapes(v)]
        if bad:
            raise ValueError(f"shape of input {bad[0]!r} must be a list of positive integers")
        return value
    if isinstance(value, list) and framework == "PYTORCH":
        if not value or not all(_is_shape(s) for s in value):
            raise ValueError("for PYTORCH a list form must be a list of shapes, e.g. [[1,3,224,224]]")
        return value
    extra = " or a list of shapes" if framework == "PYTORCH" else ""
    raise ValueError(f"for {framework} must be {named}{extra}")


def input_shapes(config: str | Mapping[str, Any] | Sequence[Any]) -> dict[str, tuple[int, ...]] | list[tuple[int, ...]]:
    """The shapes a plain DataInputConfig gives: by name (``{"data": [1,3,8,8]}``) or by position.

    A single flat shape (``[1,3,8,8]``) is one positional shape. Raises ValueError.
    """
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except json.JSONDecodeError as exc:
            raise ValueError(f"must be JSON ({exc.msg})") from None
        except RecursionError:
            raise ValueError("is nested too deeply: shapes are lists of integers") from None
    if isinstance(config, Mapping):
        if not config:
            raise ValueError("names no input")
        return {str(name): _shape(shape, f"shape of {name!r}") for name, shape in config.items()}
    if isinstance(config, (list, tuple)):
        if config and all(isinstance(d, int) for d in config):
            return [_shape(config, "shape")]
        return [_shape(shape, f"shape #{i}") for i, shape in enumerate(config)]
    raise ValueError("must be a JSON object of input name -> shape")


def _shape(value: Any, where: str) -> tuple[int, ...]:
    if not _is_shape(value):
        raise ValueError(f"{where} must be a list of positive integers, got {value!r}")
    return tuple(value)


def _is_dim(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _is_shape(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(_is_dim(d) for d in value)


def _is_shape_or_shapes(value: Any) -> bool:
    return _is_shape(value) or (isinstance(value, list) and bool(value) and all(_is_shape(s) for s in value))


def _is_range_dim(value: Any) -> bool:
    """CoreML's range dimension, ``"1..10"`` (an upper bound of -1 means unbounded)."""
    return isinstance(value, str) and re.fullmatch(r"[0-9]+\.\.(?:-1|[0-9]+)", value) is not None


def _is_coreml_shape(value: Any) -> bool:
    """A static shape, a shape with range dimensions, or a list of enumerated shapes."""
    if isinstance(value, list) and value and all(_is_dim(d) or _is_range_dim(d) for d in value):
        return True
    return _is_shape_or_shapes(value)


def _check_coreml(value: Any, framework: str) -> None:
    """The CoreML forms: {"name": shape or {"shape": ..., ...}}, or for PyTorch a list of those."""
    example = '{"input_1": {"shape": [1,224,224,3]}}'
    if isinstance(value, dict):
        if not value:
            raise ValueError(f"must name at least one input, e.g. {example}")
        for name, item in value.items():
            _check_coreml_input(item, f"input {name!r}")
        return
    if isinstance(value, list) and framework == "PYTORCH" and value:
        for index, item in enumerate(value):
            _check_coreml_input(item, f"input #{index}")
        return
    extra = ' or, for PYTORCH, a list of them: [{"shape": [1,3,224,224]}]' if framework == "PYTORCH" else ""
    raise ValueError(
        f"for targetDevice coreml must be a JSON object of input name -> shape or CoreML input, e.g. {example}{extra}"
    )


def _check_coreml_input(item: Any, where: str) -> None:
    if _is_coreml_shape(item):
        return
    if not isinstance(item, dict):
        raise ValueError(f'{where} must be a shape or an object with "shape", e.g. {{"shape": [1,224,224,3]}}')
    unknown = sorted(set(item) - set(_COREML_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown CoreML input parameter(s) {unknown}; known: {', '.join(_COREML_KEYS)}")
    if not _is_coreml_shape(item.get("shape")):
        raise ValueError(
            f'{where}: "shape" must be a shape (positive integers or ranges like "1..10") or a list of shapes'
        )
    if "default_shape" in item and not _is_shape(item["default_shape"]):
        raise ValueError(f'{where}: "default_shape" must be a list of positive integers')
    if "type" in item and item["type"] not in _COREML_TYPES:
        raise ValueError(f'{where}: "type" must be Image or Tensor')
    if "bias" in item and not (isinstance(item["bias"], list) and all(_is_number(b) for b in item["bias"])):
        raise ValueError(f'{where}: "bias" must be a list of numbers')
    if "scale" in item and not _is_number(item["scale"]):
        raise ValueError(f'{where}: "scale" must be a number')


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
