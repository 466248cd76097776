"""Tiny float32 TFLite models built with the ``tflite`` package's flatbuffer builders (no TensorFlow),
plus numpy references of the same computations.

* ``convnet``: image [1, 8, 8, 3] NHWC -> CONV_2D (3x3, 4 filters OHWI, bias, SAME, stride 1, fused
  RELU) -> [1, 8, 8, 4].
* ``mlp``: features [2, 16], extra [1, 8] -> FULLY_CONNECTED (weights [8, 16], bias) -> ADD extra
  (broadcast) -> RELU -> [2, 8].  Tensor 0 is ``extra``, but the subgraph lists ``features`` first,
  so the call order (features, extra) is the subgraph's, not the tensor table's.
"""

from __future__ import annotations

import io
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

CONV_IMAGE = (1, 8, 8, 3)
CONV_OUT = (1, 8, 8, 4)
MLP_FEATURES = (2, 16)
MLP_EXTRA = (1, 8)
MLP_OUT = (2, 8)

_FLOAT32 = 0  # tflite.TensorType.FLOAT32


@dataclass
class _Tensor:
    name: str
    shape: tuple[int, ...]
    data: np.ndarray | None = None  # a constant (weights); None for activations and inputs


@dataclass
class _Op:
    code: int  # tflite.BuiltinOperator
    inputs: list[int]
    outputs: list[int]
    options: str | None = None  # "conv" | "fc" | "add"
    fused: int = 0  # tflite.ActivationFunctionType


@dataclass
class _Graph:
    tensors: list[_Tensor] = field(default_factory=list)
    ops: list[_Op] = field(default_factory=list)
    inputs: list[int] = field(default_factory=list)
    outputs: list[int] = field(default_factory=list)


def _int_vector(builder, start, values: list[int]) -> int:
    start(builder, len(values))
    for value in reversed(values):
        builder.PrependInt32(value)
    return builder.EndVector()


def _serialize(graph: _Graph) -> bytes:
    import flatbuffers
    import tflite

    b = flatbuffers.Builder(1024)
    # Buffers: 0 is the conventional empty buffer; one more per constant tensor.
    buffer_of: dict[int, int] = {}
    buffer_offsets = []
    tflite.BufferStart(b)
    buffer_offsets.append(tflite.BufferEnd(b))
    for index, tensor in enumerate(graph.tensors):
        if tensor.data is None:
            continue
        data = b.CreateNumpyVector(np.ascontiguousarray(tensor.data, dtype=np.float32).view(np.uint8).ravel())
        tflite.BufferStart(b)
        tflite.BufferAddData(b, data)
        buffer_of[index] = len(buffer_offsets)
        buffer_offsets.append(tflite.BufferEnd(b))

    tensor_offsets = []
    for index, tensor in enumerate(graph.tensors):
        name = b.CreateString(tensor.name)
        shape = _int_vector(b, tflite.TensorStartShapeVector, list(tensor.shape))
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, _FLOAT32)
        tflite.TensorAddBuffer(b, buffer_of.get(index, 0))
        tflite.TensorAddName(b, name)
        tensor_offsets.append(tflite.TensorEnd(b))

    codes = sorted({op.code for op in graph.ops})
    code_offsets = []
    for code in codes:
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddVersion(b, 1)
        code_offsets.append(tflite.OperatorCodeEnd(b))

    op_offsets = []
    for op in graph.ops:
        options, options_type = 0, 0
        if op.options == "conv":
            tflite.Conv2DOptionsStart(b)
            tflite.Conv2DOptionsAddPadding(b, tflite.Padding.SAME)
            tflite.Conv2DOptionsAddStrideW(b, 1)
            tflite.Conv2DOptionsAddStrideH(b, 1)
            tflite.Conv2DOptionsAddDilationWFactor(b, 1)
            tflite.Conv2DOptionsAddDilationHFactor(b, 1)
            tflite.Conv2DOptionsAddFusedActivationFunction(b, op.fused)
            options, options_type = tflite.Conv2DOptionsEnd(b), tflite.BuiltinOptions.Conv2DOptions
        elif op.options == "fc":
            tflite.FullyConnectedOptionsStart(b)
            tflite.FullyConnectedOptionsAddFusedActivationFunction(b, op.fused)
            options, options_type = tflite.FullyConnectedOptionsEnd(b), tflite.BuiltinOptions.FullyConnectedOptions
        elif op.options == "add":
            tflite.AddOptionsStart(b)
            tflite.AddOptionsAddFusedActivationFunction(b, op.fused)
            options, options_type = tflite.AddOptionsEnd(b), tflite.BuiltinOptions.AddOptions
        inputs = _int_vector(b, tflite.OperatorStartInputsVector, op.inputs)
        outputs = _int_vector(b, tflite.OperatorStartOutputsVector, op.outputs)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index(op.code))
        tflite.OperatorAddInputs(b, inputs)
        tflite.OperatorAddOutputs(b, outputs)
        if options_type:
            tflite.OperatorAddBuiltinOptionsType(b, options_type)
            tflite.OperatorAddBuiltinOptions(b, options)
        op_offsets.append(tflite.OperatorEnd(b))

    def table_vector(start, offsets: list[int]) -> int:
        start(b, len(offsets))
        for offset in reversed(offsets):
            b.PrependUOffsetTRelative(offset)
        return b.EndVector()

    tensors = table_vector(tflite.SubGraphStartTensorsVector, tensor_offsets)
    operators = table_vector(tflite.SubGraphStartOperatorsVector, op_offsets)
    sub_inputs = _int_vector(b, tflite.SubGraphStartInputsVector, graph.inputs)
    sub_outputs = _int_vector(b, tflite.SubGraphStartOutputsVector, graph.outputs)
    sub_name = b.CreateString("main")
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tensors)
    tflite.SubGraphAddInputs(b, sub_inputs)
    tflite.SubGraphAddOutputs(b, sub_outputs)
    tflite.SubGraphAddOperators(b, operators)
    tflite.SubGraphAddName(b, sub_name)
    subgraph = tflite.SubGraphEnd(b)

    subgraphs = table_vector(tflite.ModelStartSubgraphsVector, [subgraph])
    op_codes = table_vector(tflite.ModelStartOperatorCodesVector, code_offsets)
    buffers = table_vector(tflite.ModelStartBuffersVector, buffer_offsets)
    description = b.CreateString("generated by tests/local_compile/tflite_models.py")
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, op_codes)
    tflite.ModelAddSubgraphs(b, subgraphs)
    tflite.ModelAddDescription(b, description)
    tflite.ModelAddBuffers(b, buffers)
    b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _weights(seed: int, *shape: int) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * 0.5).astype(np.float32)


CONV_WEIGHT = _weights(11, 4, 3, 3, 3)  # OHWI, as TFLite stores conv filters
CONV_BIAS = _weights(12, 4)
FC_WEIGHT = _weights(13, 8, 16)  # [units, in], as TFLite stores fully-connected weights
FC_BIAS = _weights(14, 8)


def convnet() -> bytes:
    import tflite

    graph = _Graph(
        tensors=[
            _Tensor("image", CONV_IMAGE),
            _Tensor("conv/weight", CONV_WEIGHT.shape, CONV_WEIGHT),
            _Tensor("conv/bias", CONV_BIAS.shape, CONV_BIAS),
            _Tensor("conv_out", CONV_OUT),
        ],
        ops=[_Op(tflite.BuiltinOperator.CONV_2D, [0, 1, 2], [3], "conv", tflite.ActivationFunctionType.RELU)],
        inputs=[0],
        outputs=[3],
    )
    return _serialize(graph)


def mlp() -> bytes:
    import tflite

    graph = _Graph(
        tensors=[
            _Tensor("extra", MLP_EXTRA),
            _Tensor("features", MLP_FEATURES),
            _Tensor("fc/weight", FC_WEIGHT.shape, FC_WEIGHT),
            _Tensor("fc/bias", FC_BIAS.shape, FC_BIAS),
            _Tensor("fc_out", MLP_OUT),
            _Tensor("sum", MLP_OUT),
            _Tensor("relu_out", MLP_OUT),
        ],
        ops=[
            _Op(tflite.BuiltinOperator.FULLY_CONNECTED, [1, 2, 3], [4], "fc"),
            _Op(tflite.BuiltinOperator.ADD, [4, 0], [5], "add"),
            _Op(tflite.BuiltinOperator.RELU, [5], [6]),
        ],
        inputs=[1, 0],
        outputs=[6],
    )
    return _serialize(graph)


def convnet_reference(image: np.ndarray) -> np.ndarray:
    """CONV_2D NHWC, OHWI filters, SAME padding (1 each side for 3x3, stride 1), bias, RELU."""
    padded = np.pad(image, ((0, 0), (1, 1), (1, 1), (0, 0)))
    n, h, w, _ = image.shape
    out = np.zeros((n, h, w, CONV_WEIGHT.shape[0]), dtype=np.float64)
    for dy in range(3):
        for dx in range(3):
            patch = padded[:, dy : dy + h, dx : dx + w, :].astype(np.float64)  # [n, h, w, ci]
            out += np.einsum("nhwc,oc->nhwo", patch, CONV_WEIGHT[:, dy, dx, :].astype(np.float64))
    return np.maximum(out + CONV_BIAS, 0).astype(np.float32)


def mlp_reference(features: np.ndarray, extra: np.ndarray) -> np.ndarray:
    fc = features.astype(np.float64) @ FC_WEIGHT.T.astype(np.float64) + FC_BIAS
    return np.maximum(fc + extra, 0).astype(np.float32)


def write_tflite_archive(model: bytes, path: Path, member: str = "model.tflite") -> Path:
    """A SageMaker-style model archive holding the one .tflite file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(model)
        tar.addfile(info, io.BytesIO(model))
    return path
