"""CPU schedules for the MobileNet-style conv families: pointwise (1x1) conv as a GEMM, depthwise conv, global mean.

Why: the direct-conv template (``cpu_schedules.schedule_conv2d_nchw``)
vectorizes over output channels, which runs a 1x1 conv with 16 or 24 output
channels at a fifth of the machine's speed, and the generic rules read a
stride-2 depthwise window with scalar gathers and reduce a global mean one
scalar at a time.  These schedules keep NCHW (no layout transforms between
functions), keep each output's reduction order (results match the naive loop
nest to rounding) and return ``None`` when a function is not of their shape,
so the caller falls back.  tvm is imported lazily.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = [
    "SCHEDULE_ATTR",
    "named",
    "POINTWISE",
    "pointwise_tiles",
    "schedule_pointwise_conv",
    "schedule_depthwise_conv",
    "schedule_window_pool",
    "schedule_global_mean",
    "TILE_SCOPE",
    "tile_in_registers",
    "loops_below",
    "decompose_into_registers",
    "static_extents",
]

POINTWISE = "pointwise"
SCHEDULE_ATTR = "local_compile.schedule"  # which schedule a PrimFunc got; tallied into the manifest
_CONV = "conv2d_nchw"
_SPATIAL, _REDUCE = 0, 2  # tirx.IterVar kinds


def named(func: Any, schedule: str) -> Any:
    """``func`` marked scheduled, with the name of the schedule that did it (the manifest counts them)."""
    return func.with_attr("tirx.is_scheduled", True).with_attr(SCHEDULE_ATTR, schedule)


def _divisors(n: int, upper: int) -> list[int]:
    return [d for d in range(1, min(n, upper) + 1) if n % d == 0]


def static_extents(sch: Any, loops: Any) -> list[int] | None:
    """The loops' extents; None if any is dynamic."""
    extents = [sch.get(loop).extent for loop in loops]
    if not all(hasattr(e, "value") for e in extents):
        return None
    return [int(e.value) for e in extents]


# Scope of a register tile's buffer.  TVM lowers a "global" buffer under 1 KiB to a stack buffer, which the
# compiler keeps in registers; a "local" one (of any size) to a workspace allocation and free each time
# the tile's loop body runs.
TILE_SCOPE = "global"
_TILE_LIMIT = 512  # elements: 32 AVX-512 registers, more than any register tile holds


def tile_in_registers(sch: Any, loops: list[Any]) -> None:
    """Unroll ``loops`` (a register tile's, innermost last) and vectorize the innermost.

    For a tile's zeroing and its epilogue: with every access to the tile at a constant offset the compiler
    keeps the tile in registers.  Left as loops, the tile stayed a buffer, zeroed by a ``memset`` per tile
    and read back by the epilogue (``memset`` alone was 1.4% of the ResNet-style model's samples and 2%
    of the MobileNetV2-style one's).
    """
    if not loops:
        return
    *outer, innermost = loops
    sch.vectorize(innermost)
    extents = static_extents(sch, loops)
    if extents is None or math.prod(extents) > _TILE_LIMIT:
        return  # not a register tile (an epilogue over a whole plane): unrolling it only costs compile time
    for loop in outer:
        sch.unroll(loop)


def _depth(sch: Any, block: Any, loop: Any) -> int:
    target = sch.get(loop)
    return next(i for i, each in enumerate(sch.get_loops(block)) if sch.get(each).same_as(target))


def loops_below(sch: Any, block: Any, anchor: Any) -> list[Any]:
    """``block``'s loops inside ``anchor``."""
    return sch.get_loops(block)[_depth(sch, block, anchor) + 1 :]


def decompose_into_registers(sch: Any, block: Any, loop: Any) -> None:
    """``decompose_reduction`` at ``loop``, the zeroing of the tile it creates kept in registers."""
    depth = _depth(sch, block, loop)
    init = sch.decompose_reduction(block, loop)
    tile_in_registers(sch, sch.get_loops(init)[depth:])


def pointwise_tiles(out_channels: int, height: int, width: int, lanes: int, registers: int) -> list[tuple[int, int]]:
    """(output channels, positions) register tiles for a 1x1 conv over H*W positions, best first.

    Measured on AVX-512 (1x1 convs of MobileNetV2 at 112x112 .. 28x28): 4-6
    channels x 64 positions beat 8 x 32 by 5-10% when the output is large, and
    16-24 x 16 is what 28x28 (784 = 49 x 16) allows; every tile keeps at most
    three quarters of the vector registers as accumulators.  Empty when
    H*W is not a multiple of the vector width (14x14: the direct template
    covers it; a tile of 28 or 112 positions, not whole vectors, measured
    30x slower).
    """
    budget = registers * 3 // 4
    tiles = []
    for vectors in (4, 2, 1):
        cols = vectors * lanes
        if (height * width) % cols:
            continue
        fitting = [d for d in _divisors(out_channels, budget // vectors) if d >= 2] or [1]
        tiles.append((max(fitting), cols))
    return tiles


def _inline_into_outputs(sch: Any, keep: set[str]) -> None:
    """Fold every block but ``keep`` and the outputs into its consumer (bias add, activation, residual add)."""
    root = sch.get_sblock("root")
    outputs = {sch.get(b).name_hint for b in sch.get_output_blocks(root)}
    for block in sch.get_child_blocks(root):
        name = sch.get(block).name_hint
        if name not in keep and name not in outputs:
            sch.compute_inline(block)


def schedule_pointwise_conv(func: Any, rows: int, cols: int) -> Any | None:
    """A 1x1, stride-1, unpadded NCHW conv2d(+epilogue) as out[O, HW] = W[O, I] x X[I, HW].

    Output positions (H*W flattened) are vectorized ``cols`` at a time,
    ``rows`` output channels are unrolled, so each input vector loaded feeds
    ``rows`` FMAs and each weight is one broadcast; the accumulator tile stays
    in registers over the whole input-channel reduction.  Weights are repacked
    to (O/rows, I, rows) at compile time.  Tiles run in parallel over
    positions, all channel tiles of a position tile together, so its input
    panel is read from cache.  The fused epilogue is computed from the tile.
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    from sagemaker_reconciler.local_compile.cpu_schedules import PREPROC_ANNOTATION

    try:
        sch = Schedule(IRModule({"main": func}))
        conv = sch.get_sblock(_CONV)
        stmt = sch.get(conv)
        out_shape = [int(d) for d in stmt.writes[0].source.shape]
        in_shape = [int(d) for d in stmt.reads[0].source.shape]
        weight_shape = [int(d) for d in stmt.reads[1].source.shape]
        n, channels, height, width = out_shape
        if weight_shape[2:] != [1, 1] or in_shape[2:] != [height, width] or (height * width) % cols:
            return None  # not 1x1, or strided / padded: the input is not one contiguous row per channel
        if channels % rows:
            return None
        _inline_into_outputs(sch, {_CONV})  # the 1x1 "padding" is a plain copy: inlined too
        has_epilogue = bool(sch.get_consumers(conv))
        accumulator = sch.cache_write(conv, 0, TILE_SCOPE)
        if has_epilogue:
            sch.compute_inline(accumulator)
        consumers = sch.get_consumers(conv)  # without bias or activation: the write-back of the tile
        if len(consumers) != 1:
            return None
        (epilogue,) = consumers
        written = sch.get(epilogue).writes
        if len(written) != 1 or [int(d) for d in written[0].source.shape] != out_shape:
            return None  # an epilogue that broadcasts to another shape
        sch.transform_layout(conv, ("write", 0), lambda b, c, y, x: (b, c, y * width + x))
        sch.transform_block_layout(conv, lambda b, c, y, x, rc, ry, rx: (b, c, y * width + x, rc, ry, rx))
        sch.transform_block_layout(epilogue, lambda b, c, y, x: (b, c, y * width + x))
        weights = sch.cache_read(conv, 1, "global")
        sch.transform_layout(conv, ("read", 1), lambda o, i, h, w: (o // rows, i, h, w, o % rows))
        sch.annotate(weights, PREPROC_ANNOTATION, True)
        batch, channel, position, rc, ry, rx = sch.get_loops(conv)
        position_o, position_i = sch.split(position, [None, cols])
        channel_o, channel_i = sch.split(channel, [None, rows])
        sch.reorder(batch, position_o, channel_o, rc, ry, rx, channel_i, position_i)
        sch.reverse_compute_at(epilogue, channel_o)
        tile_in_registers(sch, loops_below(sch, epilogue, channel_o))
        sch.vectorize(position_i)
        sch.unroll(channel_i)
        sch.parallel(sch.fuse(batch, position_o))
        decompose_into_registers(sch, conv, rc)
        return named(sch.mod["main"], "pointwise_conv")
    except Exception:
        return None


def _reduction_blocks(sch: Any) -> tuple[list[Any], list[Any]]:
    root = sch.get_sblock("root")
    blocks = sch.get_child_blocks(root)
    kinds = [[int(iv.iter_type) for iv in sch.get(b).iter_vars] for b in blocks]
    reductions = [b for b, k in zip(blocks, kinds) if _REDUCE in k]
    others = [b for b, k in zip(blocks, kinds) if _REDUCE not in k]
    return reductions, others


def schedule_global_mean(func: Any, target: Any) -> Any | None:
    """Global pooling over H, W of an NCHW tensor (GlobalAveragePool, ReduceMean over axes 2, 3, squeeze-excite).

    Each (batch, channel) plane is summed in vector-wide partial sums
    (rfactor over the flattened plane, ``lanes`` sums at a time, then one
    horizontal add), planes run in parallel, and the divide (or any other
    injective epilogue) is computed right after its plane.  A scalar chain
    of adds per plane, as DLight's rule leaves it, ran 5-10x slower.
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    try:
        sch = Schedule(IRModule({"main": func}))
        return _global_mean(sch, target)
    except Exception:
        return None


def _global_mean(sch: Any, target: Any) -> Any | None:
    from sagemaker_reconciler.local_compile.cpu_schedules import vector_lanes

    reductions, others = _reduction_blocks(sch)
    if len(reductions) != 1:
        return None
    (red,) = reductions
    stmt = sch.get(red)
    kinds = [int(iv.iter_type) for iv in stmt.iter_vars]
    if kinds != [_SPATIAL] * 4 + [_REDUCE] * 2 or len(stmt.reads) != 1 or len(stmt.writes) != 1:
        return None
    read = stmt.reads[0]
    if len(read.source.shape) != 4 or [int(d) for d in stmt.writes[0].source.shape][2:] != [1, 1]:
        return None
    wanted = [stmt.iter_vars[i].var for i in (0, 1, 4, 5)]  # source[n, c, kh, kw]: the whole plane per output
    if not all(r.min.same_as(v) for r, v in zip(read.region, wanted)):
        return None
    loops = sch.get_loops(red)
    height, width = (int(sch.get(loop).extent.value) for loop in loops[4:])
    if len(loops) != 6 or [int(d) for d in read.source.shape[2:]] != [height, width]:
        return None
    plane, lanes = height * width, vector_lanes(target)
    factor = next((f for f in (2 * lanes, lanes) if plane % f == 0), None) or max(
        d for d in range(1, min(plane, 2 * lanes) + 1) if plane % d == 0
    )
    if factor < 2:
        return None
    outputs = {sch.get(b).name_hint for b in sch.get_output_blocks(sch.get_sblock("root"))}
    for block in others:
        if sch.get(block).name_hint not in outputs:
            sch.compute_inline(block)
    _, inner = sch.split(sch.fuse(*loops[4:]), [None, factor])
    partial = sch.rfactor(inner, 4)
    rows = sch.fuse(*sch.get_loops(red)[:2])
    sch.compute_at(partial, rows)
    for consumer in sch.get_consumers(red):
        sch.reverse_compute_at(consumer, rows)
    sch.parallel(rows)
    lane, step = sch.get_loops(partial)[-2:]
    sch.reorder(step, lane)
    sch.vectorize(lane)
    sch.decompose_reduction(partial, step)
    return named(sch.mod["main"], "global_mean")


def _depthwise_stride(sch: Any, conv: Any) -> int | None:
    """The stride of a depthwise NCHW conv block (1 or 2), None if it is not one (grouped, dilated, other)."""
    from tvm.sym import Analyzer

    stmt = sch.get(conv)
    kinds = [int(iv.iter_type) for iv in stmt.iter_vars]
    if kinds != [_SPATIAL] * 4 + [_REDUCE] * 3 or len(stmt.reads) != 2 or len(stmt.writes) != 1:
        return None
    n, c, y, x, rc, ry, rx = (iv.var for iv in stmt.iter_vars)
    if int(stmt.iter_vars[4].dom.extent) != 1:
        return None  # a channel multiplier or groups of several channels: not depthwise
    data, weight = stmt.reads
    analyzer = Analyzer()

    def same(a: Any, b: Any) -> bool:
        return bool(analyzer.can_prove(a == b))

    for stride in (1, 2):
        expected = [n, c + rc, y * stride + ry, x * stride + rx]
        if all(same(r.min, e) for r, e in zip(data.region, expected)) and all(
            same(r.min, e) for r, e in zip(weight.region, [c, rc, ry, rx])
        ):
            return stride
    return None


def schedule_depthwise_conv(func: Any, target: Any, rows: int = 0, cols: int = 0) -> Any | None:
    """Depthwise NCHW conv2d(+epilogue), stride 1 or 2: one task per channel plane, register tiles inside.

    The plane is padded once, next to its use; the output is tiled ``rows`` x
    ``cols`` (columns vectorized, rows and the kernel window unrolled, so
    neighbouring rows share loaded input vectors) and the epilogue runs on
    the tile.  For stride 2 the padded plane is stored deinterleaved (even
    columns, then odd ones), so every kernel tap reads contiguous columns
    instead of a strided gather: measured 1.7x faster on a 112x112 -> 56x56
    depthwise conv (96 channels).
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    try:
        sch = Schedule(IRModule({"main": func}))
        return _per_plane_window(sch, target, rows, cols, pooling=False)
    except Exception:
        return None


def schedule_window_pool(func: Any, target: Any, rows: int = 0, cols: int = 0) -> Any | None:
    """Max / average pooling over a k x k window, stride 1 or 2: the depthwise conv's plane schedule.

    A scalar loop over the window (the schedule before) ran the 3x3 stride-2
    max pool after a ResNet stem (32 x 112 x 112) in 173 us on one core.
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    try:
        sch = Schedule(IRModule({"main": func}))
        return _per_plane_window(sch, target, rows, cols, pooling=True)
    except Exception:
        return None


def _pool_stride(sch: Any, block: Any) -> int | None:
    """Stride (1 or 2) of a pooling block reading its padded input as [n, c, y*s+r0, x*s+r1]."""
    from tvm.sym import Analyzer

    stmt = sch.get(block)
    if [int(iv.iter_type) for iv in stmt.iter_vars] != [_SPATIAL] * 4 + [_REDUCE] * 2 or len(stmt.reads) != 1:
        return None
    n, c, y, x, r0, r1 = (iv.var for iv in stmt.iter_vars)
    analyzer = Analyzer()
    for stride in (1, 2):
        expected = [n, c, y * stride + r0, x * stride + r1]
        if all(bool(analyzer.can_prove(r.min == e)) for r, e in zip(stmt.reads[0].region, expected)):
            return stride
    return None


def _deinterleave_columns(sch: Any, pad: Any) -> None:
    """Store the padded plane's even columns, then its odd ones: a stride-2 tap reads contiguous columns."""

    def deinterleave(b: Any, c: Any, h: Any, w: Any) -> tuple[Any, ...]:
        return (b, c, h, w % 2, w // 2)

    sch.transform_layout(pad, ("write", 0), deinterleave)
    sch.transform_block_layout(pad, deinterleave)


def _per_plane_window(sch: Any, target: Any, rows: int, cols: int, pooling: bool) -> Any | None:
    from sagemaker_reconciler.local_compile.cpu_schedules import vector_lanes

    reductions, _ = _reduction_blocks(sch)
    if len(reductions) != 1:
        return None
    (conv,) = reductions
    stride = _pool_stride(sch, conv) if pooling else _depthwise_stride(sch, conv)
    producers = sch.get_producers(conv)
    if stride is None or len(producers) > 1:
        return None
    name = sch.get(conv).name_hint
    pad_name = sch.get(producers[0]).name_hint if producers else None
    _inline_into_outputs(sch, {name} | ({pad_name} if pad_name else set()))
    conv = sch.get_sblock(name)
    height, width = (int(d) for d in sch.get(conv).writes[0].source.shape[2:])
    lanes = vector_lanes(target)
    cols = cols or next((t for t in (lanes // 2, 4) if t >= 2 and width % t == 0), 0) or max(_divisors(width, lanes))
    rows = rows or max(_divisors(height, 4))
    if width % cols or height % rows:
        return None
    if cols < 2:
        return None
    pad = sch.get_sblock(pad_name) if pad_name else None
    if pad is not None and stride == 2:
        _deinterleave_columns(sch, pad)
    has_epilogue = bool(sch.get_consumers(conv))
    accumulator = sch.cache_write(conv, 0, TILE_SCOPE)
    if has_epilogue:
        sch.compute_inline(accumulator)
    consumers = sch.get_consumers(conv)  # without an epilogue: the write-back of the tile
    batch, channel, y, x, *window = sch.get_loops(conv)
    y_o, y_i = sch.split(y, [None, rows])
    x_o, x_i = sch.split(x, [None, cols])
    sch.reorder(batch, channel, y_o, x_o, *window, y_i, x_i)
    sch.vectorize(x_i)
    for loop in (y_i, *window[-2:]):
        sch.unroll(loop)
    plane = sch.fuse(batch, channel)
    sch.parallel(plane)
    for consumer in consumers:
        sch.reverse_compute_at(consumer, x_o)
        tile_in_registers(sch, loops_below(sch, consumer, x_o))
    if pad is not None:
        sch.compute_at(pad, plane)
    decompose_into_registers(sch, conv, window[0])
    return named(sch.mod["main"], "window_pool" if pooling else "depthwise_conv")


COLUMNS = "columns"


def _conv_stride(sch: Any, conv: Any) -> int | None:
    """Stride (1 or 2) of a plain NCHW conv2d block reading its padded input as [n, rc, y*s+ry, x*s+rx]."""
    from tvm.sym import Analyzer

    stmt = sch.get(conv)
    if [int(iv.iter_type) for iv in stmt.iter_vars] != [_SPATIAL] * 4 + [_REDUCE] * 3 or len(stmt.reads) != 2:
        return None
    n, f, y, x, rc, ry, rx = (iv.var for iv in stmt.iter_vars)
    data, weight = stmt.reads
    analyzer = Analyzer()
    for stride in (1, 2):
        expected = [n, rc, y * stride + ry, x * stride + rx]
        if all(bool(analyzer.can_prove(r.min == e)) for r, e in zip(data.region, expected)) and all(
            bool(analyzer.can_prove(r.min == e)) for r, e in zip(weight.region, [f, rc, ry, rx])
        ):
            return stride
    return None


def schedule_column_conv(func: Any, rows: int, cols: int, out_rows: int = 1) -> Any | None:
    """A conv2d(+epilogue) with few input channels (an RGB stem): output columns vectorized, channels unrolled.

    The direct template keeps output channels in the vector lanes, so its
    tile must be transposed into NCHW on the way out; with a reduction of
    only 3 x 3 x 3 terms that transpose took about half the time.  Here each
    output row segment of ``cols`` columns is a vector and ``rows`` output
    channels share every input vector loaded; a stride-2 input is padded
    into an even/odd deinterleaved copy first, so every tap reads contiguous
    columns.  Weights are repacked to (O/rows, I, KH, KW, rows) at compile time.
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    from sagemaker_reconciler.local_compile.cpu_schedules import PREPROC_ANNOTATION

    try:
        sch = Schedule(IRModule({"main": func}))
        conv = sch.get_sblock(_CONV)
        stride = _conv_stride(sch, conv)
        producers = sch.get_producers(conv)
        if stride is None or len(producers) > 1:
            return None
        _, channels, height, width = (int(d) for d in sch.get(conv).writes[0].source.shape)
        if channels % rows or width % cols or height % out_rows:
            return None
        pad_name = sch.get(producers[0]).name_hint if producers else None
        _inline_into_outputs(sch, {_CONV} | ({pad_name} if pad_name else set()))
        conv = sch.get_sblock(_CONV)
        pad = sch.get_sblock(pad_name) if pad_name else None
        if stride == 2:
            if pad is None:
                return None
            _deinterleave_columns(sch, pad)
        has_epilogue = bool(sch.get_consumers(conv))
        accumulator = sch.cache_write(conv, 0, TILE_SCOPE)
        if has_epilogue:
            sch.compute_inline(accumulator)
        consumers = sch.get_consumers(conv)
        weights = sch.cache_read(conv, 1, "global")
        sch.transform_layout(conv, ("read", 1), lambda o, i, h, w: (o // rows, i, h, w, o % rows))
        sch.annotate(weights, PREPROC_ANNOTATION, True)
        batch, channel, y, x, rc, ry, rx = sch.get_loops(conv)
        channel_o, channel_i = sch.split(channel, [None, rows])
        x_o, x_i = sch.split(x, [None, cols])
        y_o, y_i = sch.split(y, [None, out_rows])
        sch.reorder(batch, channel_o, y_o, x_o, rc, ry, rx, y_i, channel_i, x_i)
        sch.vectorize(x_i)
        for loop in (y_i, channel_i, rx):
            sch.unroll(loop)
        sch.parallel(sch.fuse(batch, channel_o, y_o))
        for consumer in consumers:
            sch.reverse_compute_at(consumer, x_o)
            tile_in_registers(sch, loops_below(sch, consumer, x_o))
        decompose_into_registers(sch, conv, rc)
        if pad is not None:
            pad_loops = sch.get_loops(pad)
            sch.parallel(sch.fuse(*pad_loops[:3]))
        return named(sch.mod["main"], "column_conv")
    except Exception:
        return None
