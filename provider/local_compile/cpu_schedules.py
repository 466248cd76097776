"""Hand-written CPU schedules for what TVM 0.27 leaves unscheduled: conv2d (NCHW) and pooling.

Why: the default Relax CPU pipeline emits naive single-threaded loops (~100x
slower than onnxruntime on a ResNet-style model), DLight has no CPU conv rule,
and MetaSchedule needs far more than a 15-minute budget on 2 cores to find a
good conv schedule from scratch.  The classic direct-convolution register
blocking fixes most of the gap with no search:

* weights repacked OIHW -> (O/v, I, KH, KW, v), marked as a layout-rewrite
  preproc so Relax splits it out and folds it at compile time (weights are
  constants);
* an accumulator tile of ``x_tile`` output columns x ``v`` output channels
  kept in registers (local buffer in (x, channel) order), channels vectorized,
  columns unrolled, the bias/residual/ReLU epilogue computed from the tile;
* (batch, channel block, output row) fused and parallelized.

``ConvParams`` are what the template search in ``tvm_backend`` varies.  Every
entry point returns ``None`` when the function does not have the expected
shape, so a template never breaks a build: the caller falls back.  tvm is
imported lazily.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sagemaker_reconciler.local_compile.conv_schedules import (
    SCHEDULE_ATTR,
    TILE_SCOPE,
    decompose_into_registers,
    loops_below,
    named,
    schedule_depthwise_conv,
    schedule_global_mean,
    schedule_window_pool,
    static_extents,
    tile_in_registers,
)

__all__ = [
    "ConvParams",
    "conv_workload",
    "default_conv_params",
    "candidate_conv_params",
    "schedule_conv2d_nchw",
    "schedule_pooling",
    "vector_lanes",
]

CONV_BLOCK = "conv2d_nchw"
PREPROC_ANNOTATION = "meta_schedule.layout_rewrite_preproc"


@dataclass(frozen=True)
class ConvParams:
    """Tile sizes: ``lanes`` output channels per vector, ``x_tile`` output columns per register tile,
    ``ic_tile`` input channels per inner reduction step (0: no split).

    ``kind`` "pointwise" is the GEMM schedule of a 1x1 conv and "columns" the
    column-vectorized conv of a stem with few input channels (``conv_schedules``):
    there ``lanes`` is the output channels per register tile, ``x_tile`` the
    output positions (pointwise: flattened) or columns per tile (vectorized)
    and ``y_tile`` the output rows per tile (columns).  ``kind`` "blocked" is the
    NCHW{b}c template (``blocked_layout``): ``x_tile`` columns x ``oc_tile`` channel blocks per tile."""

    lanes: int
    x_tile: int
    ic_tile: int = 0
    kind: str = "direct"
    y_tile: int = 1
    oc_tile: int = 1

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class ConvWorkload:
    out_channels: int
    in_channels: int
    out_width: int
    kernel_w: int
    out_height: int = 1
    kernel_h: int = 1
    pointwise: bool = False  # 1x1, stride 1, unpadded: a GEMM over the flattened positions
    blocked: bool = False  # NCHW{b}c (``blocked_layout``): output channels come in whole vectors


def vector_lanes(target: Any) -> int:
    """float32 lanes of the target's widest vector register (16 on AVX-512, 8 on AVX2, 4 on NEON)."""
    from tvm.target import codegen

    try:
        bits = int(codegen.llvm_get_vector_width(target))
    except Exception:  # non-LLVM or unknown CPU
        bits = 128
    return max(4, bits // 32)


def _current_target() -> Any | None:
    from tvm.target import Target

    return Target.current(allow_none=True)


def _register_count(target: Any) -> int:
    triple = str(target.attrs.get("mtriple", ""))
    if triple.startswith("aarch64"):
        return 32
    if triple.startswith("x86_64") and vector_lanes(target) >= 16:
        return 32
    return 16


def conv_workload(func: Any) -> ConvWorkload | None:
    """The shape facts the template needs, or None if ``func`` is not a plain NCHW conv2d."""
    from tvm import IRModule
    from tvm.s_tir import Schedule

    from sagemaker_reconciler.local_compile.blocked_layout import BLOCKED_CONV, blocked_workload

    try:
        sch = Schedule(IRModule({"main": func}))
    except Exception:
        return None
    try:
        blocked = blocked_workload(sch, sch.get_sblock(BLOCKED_CONV))
    except Exception:
        blocked = None
    if blocked is not None:
        return ConvWorkload(
            blocked["out_channels"],
            blocked["in_channels"],
            blocked["out_width"],
            blocked["kernel_w"],
            blocked["out_height"],
            blocked["kernel_h"],
            blocked=True,
        )
    try:
        block = sch.get_sblock(CONV_BLOCK)
        loops = sch.get_loops(block)
    except Exception:
        return None
    if len(loops) != 7:
        return None
    extents = [sch.get(loop).extent for loop in loops]
    if not all(hasattr(e, "value") for e in extents):
        return None  # dynamic shapes
    _, out_c, out_h, out_w, in_c, k_h, k_w = (int(e.value) for e in extents)
    try:
        in_shape = [int(d) for d in sch.get(block).reads[0].source.shape]
    except Exception:
        in_shape = []
    pointwise = k_h == k_w == 1 and in_shape[2:] == [out_h, out_w]
    return ConvWorkload(out_c, in_c, out_w, k_w, out_h, k_h, pointwise)


def _divisors(n: int, upper: int) -> list[int]:
    return [d for d in range(1, min(n, upper) + 1) if n % d == 0]


def _pointwise_candidates(workload: ConvWorkload, target: Any) -> list[ConvParams]:
    from sagemaker_reconciler.local_compile.conv_schedules import POINTWISE, pointwise_tiles

    if not workload.pointwise:
        return []
    tiles = pointwise_tiles(
        workload.out_channels, workload.out_height, workload.out_width, vector_lanes(target), _register_count(target)
    )
    return [ConvParams(rows, cols, 0, POINTWISE) for rows, cols in tiles]


def _column_candidates(workload: ConvWorkload, target: Any) -> list[ConvParams]:
    """A stem (at most 32 terms per output, e.g. 3 channels x 3 x 3) with whole vectors of output columns.

    Measured on the 3->32 3x3 stride-2 stem at 224x224: 226 -> 167 us; with 32
    input channels the direct template stays 1.7x faster.
    """
    from sagemaker_reconciler.local_compile.conv_schedules import COLUMNS

    lanes = vector_lanes(target)
    if workload.pointwise or workload.in_channels * workload.kernel_h * workload.kernel_w > 32:
        return []
    if workload.out_width % lanes:
        return []
    rows = max(d for d in range(1, min(workload.out_channels, 16) + 1) if workload.out_channels % d == 0)
    candidates = [ConvParams(rows, lanes, 0, COLUMNS)]
    half = max(d for d in range(1, rows // 2 + 1) if workload.out_channels % d == 0) if rows >= 2 else 1
    if workload.out_height % 2 == 0 and half >= 2:
        candidates.append(ConvParams(half, lanes, 0, COLUMNS, 2))
    return candidates


def default_conv_params(workload: ConvWorkload, target: Any) -> ConvParams | None:
    """A good untuned choice: a 1x1 conv as a GEMM over positions where they split into whole vectors,
    a stem with vectors of output columns; otherwise full-width vectors over output channels and the
    widest column tile the registers hold."""
    if workload.blocked:
        return _blocked_candidates(workload, target)[0]
    special = _pointwise_candidates(workload, target) or _column_candidates(workload, target)
    if special:
        return special[0]
    return _direct_default(workload, target)


def _blocked_candidates(workload: ConvWorkload, target: Any) -> list[ConvParams]:
    """Register tiles (columns x channel blocks) for the NCHW{b}c template, default first.

    Default: two channel blocks where the count is even, so each broadcast input feeds two FMAs, and the
    widest column tile that divides the output width with at most 15 accumulators (6 with 16 registers):
    a 16-vector tile is 1 KiB, and TVM puts only smaller buffers on the stack (``conv_schedules.TILE_SCOPE``).
    Measured on the ResNet-style model's convs (AVX-512, two threads), 7-8 columns x 2 blocks against
    14 x 1: 3x3 convs 203-210 -> 181-186 us, the RGB stem 103 -> 88 us, 1x1 convs 17-52 -> 14-42 us;
    7 x 2 and 8 x 2 within 1% of each other on the 56x56 convs.
    """
    from sagemaker_reconciler.local_compile.blocked_layout import BLOCKED

    lanes = vector_lanes(target)
    chunks = workload.out_channels // lanes
    wide = _register_count(target) >= 32
    oc_default = 2 if chunks % 2 == 0 else 1
    accumulators = (15 if wide else 6) // oc_default
    default = ConvParams(lanes, max(_divisors(workload.out_width, accumulators)), 0, BLOCKED, oc_tile=oc_default)
    limit = 28 if wide else 12
    candidates = [default]
    for oc_tile in (1, 2, 4):
        if chunks % oc_tile:
            continue
        for x_tile in _divisors(workload.out_width, limit // oc_tile):
            params = ConvParams(lanes, x_tile, 0, BLOCKED, oc_tile=oc_tile)
            if x_tile >= 2 and params not in candidates:
                candidates.append(params)
    return candidates


def _direct_default(workload: ConvWorkload, target: Any) -> ConvParams | None:
    lanes = vector_lanes(target)
    while lanes > 1 and workload.out_channels % lanes:
        lanes //= 2
    if lanes < 2:
        return None
    limit = 14 if _register_count(target) >= 32 else 6
    x_tile = max(_divisors(workload.out_width, limit))
    return ConvParams(lanes, x_tile, 0)


def candidate_conv_params(workload: ConvWorkload, target: Any) -> list[ConvParams]:
    """The template's search space, default first."""
    if workload.blocked:
        return _blocked_candidates(workload, target)
    pointwise = _pointwise_candidates(workload, target) + _column_candidates(workload, target)
    default = _direct_default(workload, target)
    if default is None:
        return pointwise
    limit = 28 if _register_count(target) >= 32 else 12
    lanes_options = sorted({default.lanes, max(2, default.lanes // 2)}, reverse=True)
    x_options = [d for d in _divisors(workload.out_width, limit) if d >= 2] or [1]
    ic_options = [0] + [d for d in (4, 8, 16) if workload.in_channels % d == 0 and d < workload.in_channels]
    candidates = [*pointwise, default]
    for lanes in lanes_options:
        if workload.out_channels % lanes:
            continue
        for x_tile in x_options:
            for ic_tile in ic_options:
                params = ConvParams(lanes, x_tile, ic_tile)
                if params not in candidates:
                    candidates.append(params)
    return candidates


def schedule_conv2d_nchw(func: Any, params: ConvParams) -> Any | None:
    """Apply the direct-conv template to a fused conv2d(+epilogue) PrimFunc; None if it does not fit.

    Pointwise and column params take those schedules; where they do not fit, the direct template's default.
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    if params.kind == "blocked":
        from sagemaker_reconciler.local_compile.blocked_layout import schedule_blocked_conv

        return schedule_blocked_conv(func, params.x_tile, params.oc_tile)
    if params.kind != "direct":
        from sagemaker_reconciler.local_compile.conv_schedules import (
            POINTWISE,
            schedule_column_conv,
            schedule_pointwise_conv,
        )

        if params.kind == POINTWISE:
            scheduled = schedule_pointwise_conv(func, params.lanes, params.x_tile)
        else:
            scheduled = schedule_column_conv(func, params.lanes, params.x_tile, params.y_tile)
        if scheduled is not None:
            return scheduled
        workload, target = conv_workload(func), _current_target()
        fallback = _direct_default(workload, target) if workload is not None and target is not None else None
        return schedule_conv2d_nchw(func, fallback) if fallback is not None else None
    try:
        sch = Schedule(IRModule({"main": func}))
        conv = sch.get_sblock(CONV_BLOCK)
        root = sch.get_sblock("root")
        outputs = {sch.get(b).name_hint for b in sch.get_output_blocks(root)}
        copy_only = _is_plain_copy(sch, "pad_temp")
        for block in sch.get_child_blocks(root):
            name = sch.get(block).name_hint
            if (name not in (CONV_BLOCK, "pad_temp") or (name == "pad_temp" and copy_only)) and name not in outputs:
                sch.compute_inline(block)  # bias add, residual add, an unpadded "padding" copy: fold into the users
        has_epilogue = bool(sch.get_consumers(conv))
        accumulator = sch.cache_write(conv, 0, TILE_SCOPE)
        sch.transform_layout(conv, ("write", 0), lambda n, f, y, x: (n, y, x, f))
        if has_epilogue:
            sch.compute_inline(accumulator)
        epilogue = sch.get_consumers(conv)  # without bias or activation: the write-back of the tile
        lanes = params.lanes
        weights = sch.cache_read(conv, 1, "global")
        sch.transform_layout(conv, ("read", 1), lambda o, i, h, w: (o // lanes, i, h, w, o % lanes))
        sch.annotate(weights, PREPROC_ANNOTATION, True)
        n, f, y, x, rc, ry, rx = sch.get_loops(conv)
        f_outer, f_inner = sch.split(f, [None, lanes])
        x_outer, x_inner = sch.split(x, [None, params.x_tile])
        if params.ic_tile:
            rc_outer, rc_inner = sch.split(rc, [None, params.ic_tile])
            sch.reorder(n, f_outer, y, x_outer, rc_outer, ry, rx, rc_inner, x_inner, f_inner)
        else:
            sch.reorder(n, f_outer, y, x_outer, rc, ry, rx, x_inner, f_inner)
        for block in epilogue:
            sch.reverse_compute_at(block, x_outer)
            tile_in_registers(sch, loops_below(sch, block, x_outer))
        sch.vectorize(f_inner)
        sch.unroll(x_inner)
        sch.unroll(rx)
        sch.parallel(sch.fuse(n, f_outer, y))
        decompose_into_registers(sch, conv, rc_outer if params.ic_tile else rc)
        try:
            pad_loops = sch.get_loops(sch.get_sblock("pad_temp"))
            sch.parallel(sch.fuse(*pad_loops[:2]))
        except Exception:
            pass  # no padding block (1x1 conv without pads)
        return named(sch.mod["main"], "direct_conv")
    except Exception:
        return None


def _is_plain_copy(sch: Any, name: str) -> bool:
    """True when block ``name`` copies its input unchanged (a conv without padding still gets a pad_temp)."""
    try:
        stmt = sch.get(sch.get_sblock(name))
    except Exception:
        return False
    if len(stmt.reads) != 1 or len(stmt.writes) != 1:
        return False
    source, target = stmt.reads[0].source, stmt.writes[0].source
    return [int(d) for d in source.shape] == [int(d) for d in target.shape] and "if_then_else" not in str(stmt.body)


def schedule_pooling(func: Any) -> Any | None:
    """Window pooling (NCHW, stride 1 or 2) tiled and vectorized per plane like a depthwise conv; other
    pooling-like functions get their outer (batch, channel) loops parallelized; None if not applicable."""
    from tvm import IRModule
    from tvm.s_tir import Schedule

    from sagemaker_reconciler.local_compile.blocked_layout import schedule_blocked_pool

    target = _current_target()
    tiled = schedule_blocked_pool(func) or (schedule_window_pool(func, target) if target is not None else None)
    if tiled is not None:
        return tiled
    try:
        sch = Schedule(IRModule({"main": func}))
        root = sch.get_sblock("root")
        changed = False
        for block in sch.get_child_blocks(root):
            loops = sch.get_loops(block)
            iter_kinds = [int(iv.iter_type) for iv in sch.get(block).iter_vars]
            if len(loops) < 3 or len(iter_kinds) != len(loops) or any(k != 0 for k in iter_kinds[:2]):
                continue  # only plain nests whose two outer loops are data-parallel
            sch.parallel(sch.fuse(loops[0], loops[1]))
            changed = True
        return named(sch.mod["main"], "pooling") if changed else None
    except Exception:
        return None


_SPATIAL, _REDUCE = 0, 2  # tirx.IterVar kinds


def _largest_divisor(n: int, upper: int) -> int:
    return max(_divisors(n, upper)) if n >= 1 else 1


def _inline_intermediates(sch: Any, keep: set[str]) -> None:
    """Fold every injective block that is neither in ``keep`` nor an output into its consumers."""
    root = sch.get_sblock("root")
    outputs = {sch.get(b).name_hint for b in sch.get_output_blocks(root)}
    for block in sch.get_child_blocks(root):
        name = sch.get(block).name_hint
        if name in keep or name in outputs:
            continue
        if any(int(iv.iter_type) != _SPATIAL for iv in sch.get(block).iter_vars):
            continue
        sch.compute_inline(block)


def schedule_injective(func: Any, target: Any) -> Any | None:
    """Elementwise, broadcast, transpose, gather: one fused loop per output, parallel chunks, vectorized lanes."""
    from tvm import IRModule
    from tvm.s_tir import Schedule

    sch = Schedule(IRModule({"main": func}))
    root = sch.get_sblock("root")
    blocks = sch.get_child_blocks(root)
    if not blocks or any(int(iv.iter_type) != _SPATIAL for b in blocks for iv in sch.get(b).iter_vars):
        return None
    _inline_intermediates(sch, set())
    lanes = vector_lanes(target)
    for block in sch.get_child_blocks(root):
        loops = sch.get_loops(block)
        extents = static_extents(sch, loops)
        if not loops or extents is None:
            continue
        fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
        total = 1
        for e in extents:
            total *= e
        inner = _largest_divisor(total, lanes)
        if inner > 1:
            outer, vec = sch.split(fused, [None, inner])
            sch.vectorize(vec)
        else:
            outer = fused
        if total >= 1024:
            sch.parallel(outer)
    return sch.mod["main"].with_attr("tirx.is_scheduled", True)


def schedule_reduction_tile(
    func: Any, target: Any, col_tile: int | None = None, row_tile: int | None = None
) -> Any | None:
    """Register-tiled schedule for one reduction block with a spatial output of rank >= 2.

    Covers matmul, dense, batch_matmul, depthwise and grouped conv2d (any
    function whose only reduction writes one buffer): the last two output axes
    are tiled (columns vectorized across full registers, rows unrolled), the
    reduction loops run inside the tile so the accumulators stay in registers
    (local buffer), the fused epilogue (bias, activations, residual) is
    computed from the tile, and the outer tiles run in parallel.  The
    reduction order of every output element is unchanged, so results match
    the naive loop nest to rounding.
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    sch = Schedule(IRModule({"main": func}))
    root = sch.get_sblock("root")
    reductions = [
        b for b in sch.get_child_blocks(root) if any(int(iv.iter_type) == _REDUCE for iv in sch.get(b).iter_vars)
    ]
    if len(reductions) != 1:
        return None
    main = reductions[0]
    stmt = sch.get(main)
    kinds = [int(iv.iter_type) for iv in stmt.iter_vars]
    spatial = kinds.count(_SPATIAL)
    if len(stmt.writes) != 1 or spatial < 2 or kinds != [_SPATIAL] * spatial + [_REDUCE] * (len(kinds) - spatial):
        return None
    loops = sch.get_loops(main)
    extents = static_extents(sch, loops)
    if len(loops) != len(kinds) or extents is None:
        return None
    main_name = stmt.name_hint
    producers = [sch.get(b).name_hint for b in sch.get_producers(main)]
    _inline_intermediates(sch, {main_name, *producers})
    main = sch.get_sblock(main_name)
    lanes = vector_lanes(target)
    cols, rows = extents[spatial - 1], extents[spatial - 2]
    if producers:
        # Convolutions read a padded window per output: smaller tiles (8 columns x 4 rows on AVX-512)
        # measured 1.1-2.2x faster than full-register ones, most on stride 2.
        widest = max(4, lanes // 2)
        col_tile = col_tile or next((t for t in (widest, 4) if cols % t == 0), _largest_divisor(cols, widest))
        row_tile = row_tile or _largest_divisor(rows, 4)
    else:
        col_tile = col_tile or next((t for t in (2 * lanes, lanes) if cols % t == 0), _largest_divisor(cols, 2 * lanes))
        registers = max(1, 16 // max(1, -(-col_tile // lanes)))
        row_tile = row_tile or _largest_divisor(rows, min(8, registers))
    if col_tile < 2:
        return None
    _pack_constant_weights(sch, main, func, col_tile)
    has_consumers = bool(sch.get_consumers(main))
    writeback = sch.cache_write(main, 0, TILE_SCOPE)
    epilogue = sch.get_consumers(writeback) if has_consumers else [writeback]
    if has_consumers:
        sch.compute_inline(writeback)
        epilogue = sch.get_consumers(main)
    loops = sch.get_loops(main)
    outer, (row, col), reduce = loops[: spatial - 2], loops[spatial - 2 : spatial], loops[spatial:]
    row_o, row_i = sch.split(row, [None, row_tile])
    col_o, col_i = sch.split(col, [None, col_tile])
    sch.reorder(*outer, row_o, col_o, *reduce, row_i, col_i)
    for block in epilogue:
        sch.reverse_compute_at(block, col_o)
        tile_in_registers(sch, loops_below(sch, block, col_o))
    sch.vectorize(col_i)
    if row_tile > 1:
        sch.unroll(row_i)
    for loop, extent in zip(reduce[1:], extents[spatial + 1 :]):
        if extent <= 7:
            sch.unroll(loop)  # small kernel windows (3x3, 5x5, 7x7)
    outer_extent = 1
    for extent in extents[: spatial - 2]:
        outer_extent *= extent
    if producers and outer_extent >= 8:
        # Convolutions: one task per (batch, channel) plane, padding that plane once, tiles inside.
        tiles = sch.fuse(*outer) if len(outer) > 1 else outer[0]
    else:
        tiles = sch.fuse(*outer, row_o, col_o) if outer else sch.fuse(row_o, col_o)
    sch.parallel(tiles)
    decompose_into_registers(sch, main, reduce[0])
    for name in producers:
        try:
            sch.compute_at(sch.get_sblock(name), tiles)  # padding next to its use, while it is in cache
        except Exception:
            pad_loops = sch.get_loops(sch.get_sblock(name))
            if len(pad_loops) >= 2:
                sch.parallel(sch.fuse(*pad_loops[:2]))
    return sch.mod["main"].with_attr("tirx.is_scheduled", True)


def _pack_constant_weights(sch: Any, block: Any, func: Any, col_tile: int) -> None:
    """Dense layers: repack the constant [K, N] weight into [N / col_tile, K, col_tile] panels.

    Each output tile then streams one contiguous panel instead of ``col_tile``
    floats from each of K rows (a 128 KB strided panel at K=1024 falls out of
    L1).  Like the conv template's repacking it is marked as a layout-rewrite
    preproc, so the build splits it out and folds it into the constant.
    """
    attrs = func.attrs
    free = (
        {int(i) for i in attrs["layout_free_buffers"]}
        if attrs is not None and "layout_free_buffers" in attrs
        else set()
    )
    constants = [func.params[i] for i in free if i < len(func.params)]
    for index, region in enumerate(sch.get(block).reads):
        buffer = region.source
        if len(buffer.shape) != 2 or not any(buffer.same_as(c) for c in constants):
            continue
        n = buffer.shape[1]
        if not hasattr(n, "value") or int(n.value) % col_tile:
            return
        weights = sch.cache_read(block, index, "global")
        sch.transform_layout(block, ("read", index), lambda k, j: (j // col_tile, k, j % col_tile))
        sch.annotate(weights, PREPROC_ANNOTATION, True)
        return


def schedule_parallel_outer(func: Any, target: Any) -> Any | None:
    """Last resort: parallelize each top-level block's leading data-parallel loops (never naive single-threaded)."""
    from tvm import IRModule
    from tvm.s_tir import Schedule

    sch = Schedule(IRModule({"main": func}))
    changed = False
    for block in sch.get_child_blocks(sch.get_sblock("root")):
        loops = sch.get_loops(block)
        kinds = [int(iv.iter_type) for iv in sch.get(block).iter_vars]
        if len(kinds) != len(loops):
            continue
        leading = 0
        while leading < len(loops) and kinds[leading] == _SPATIAL:
            leading += 1
        extents = static_extents(sch, loops[:leading])
        if leading == 0 or extents is None:
            continue
        fused = sch.fuse(*loops[:leading]) if leading > 1 else loops[0]
        sch.parallel(fused)
        changed = True
    return sch.mod["main"].with_attr("tirx.is_scheduled", True) if changed else None


def _dlight(func: Any, target: Any) -> Any | None:
    from tvm import IRModule
    from tvm.s_tir import dlight as dl

    for rule in (dl.cpu.GEMV(), dl.cpu.Reduction()):
        with target:
            scheduled = dl.ApplyDefaultSchedule(rule)(IRModule({"main": func}))["main"]
        if (
            not scheduled.same_as(func)
            and scheduled.attrs is not None
            and scheduled.attrs.get("tirx.is_scheduled", False)
        ):
            return scheduled
    return None


def _row_reduction(func: Any, target: Any) -> Any | None:
    from sagemaker_reconciler.local_compile.reduction_schedules import schedule_row_reduction

    return schedule_row_reduction(func, target)


RULES = (
    schedule_injective,
    _row_reduction,
    schedule_global_mean,
    schedule_depthwise_conv,
    schedule_reduction_tile,
    _dlight,
    schedule_parallel_outer,
)


def schedule_by_rules(func: Any, target: Any) -> Any | None:
    """Schedule one PrimFunc no template or record covered, by the first rule that applies; None if none.

    Each rule runs on this function alone and a rule that raises is skipped,
    so a rule's bug costs speed, never the build.  The result is named after the
    rule unless the rule named it (the manifest's ``schedule_kinds``).
    """
    for rule in RULES:
        try:
            scheduled = rule(func, target)
        except Exception:
            continue
        if scheduled is not None:
            if SCHEDULE_ATTR in (scheduled.attrs or {}):
                return scheduled
            return named(scheduled, rule.__name__.removeprefix("schedule_").lstrip("_"))
    return None
