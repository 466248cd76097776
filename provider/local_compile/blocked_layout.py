"""Channel-blocked layout (NCHW16c on AVX-512) for plain-conv CNNs: the graph rewrite and its conv schedule.

Why: in NCHW the direct template holds a tile of output columns x 16 output
channels in registers and must transpose it on the way out (scalar stores,
~19% of a 3x3 conv), and a stride-2 conv reads its input with scalar gathers.
In NCHW16c (channels split into blocks of one vector) the same tile is written
as whole vectors, every input value is one broadcast whatever the stride, and
the bias/residual/ReLU epilogue is vector code.  Measured on the ResNet-style
bench model's 56x56 32->32 3x3 conv (ml_c5, AVX-512): 398 -> 338 us on one
thread and 246 -> 190 us on two (onnxruntime, which uses the same layout:
343 / 177 us).

The rewrite is Relax's ``ConvertLayout``; it converts a conv whose channels
split into whole blocks and keeps the rest (an RGB stem) in NCHW, adding
``layout_transform`` where the layouts meet.  So it is applied only to models
whose every conv either converts or reads fewer channels than one block (the
stem): a grouped or depthwise conv, or a channel count that is no multiple of
the block, would put layout transforms between the functions, and the NCHW
schedules (``conv_schedules``) already cover those families.  tvm is imported lazily.
"""

from __future__ import annotations

from typing import Any

from sagemaker_reconciler.local_compile.conv_schedules import (
    TILE_SCOPE,
    decompose_into_registers,
    loops_below,
    named,
    tile_in_registers,
)
from sagemaker_reconciler.local_compile.relax_rewrite import rewrite_relax_functions

__all__ = [
    "BLOCKED",
    "BLOCKED_CONV",
    "block_size",
    "to_blocked_layout",
    "schedule_blocked_conv",
    "schedule_blocked_pool",
]

BLOCKED = "blocked"  # ConvParams.kind of the NCHWc template
BLOCKED_CONV = "conv2d_NCHWc_OIHWo"  # TOPI's compute block


def block_size(target: Any) -> int:
    """Channels per block: one vector of float32 where the vectors are wide (x86 AVX2/AVX-512), else 0 (off).

    Only measured on x86; NEON's 4-lane blocks are left to the NCHW schedules.
    """
    from sagemaker_reconciler.local_compile.cpu_schedules import vector_lanes

    triple = str(target.attrs.get("mtriple", "")) if target.kind.name == "llvm" else ""
    lanes = vector_lanes(target) if triple.startswith("x86_64") else 0
    return lanes if lanes >= 8 else 0


def _convs(mod: Any) -> list[Any]:
    from tvm import relax
    from tvm.relax.analysis import post_order_visit

    found: list[Any] = []

    def visit(expr: Any) -> None:
        if isinstance(expr, relax.Call) and getattr(expr.op, "name", "") == "relax.nn.conv2d":
            found.append(expr)

    for func in mod.functions.values():
        if isinstance(func, relax.Function):
            post_order_visit(func, visit)
    return found


def qualifies(mod: Any, block: int) -> bool:
    """True when every conv2d is a float32 NCHW conv with groups 1 whose channels split into blocks,
    or reads fewer channels than a block (a stem), and at least one conv converts."""
    convs = _convs(mod)
    converting = 0
    for call in convs:
        attrs = call.attrs
        data, weight = call.args[0].ty, call.args[1].ty
        if attrs.data_layout != "NCHW" or attrs.kernel_layout != "OIHW" or int(attrs.groups) != 1:
            return False
        if str(data.dtype) != "float32" or data.shape is None or weight.shape is None:
            return False
        try:
            in_c, out_c = int(data.shape[1]), int(weight.shape[0])
        except TypeError:
            return False  # symbolic channel count
        if in_c % block == 0 and out_c % block == 0:
            converting += 1
        elif in_c >= block:
            return False
    return converting > 0


# Ops a channel-blocking transform commutes with (per channel or per position), so it can move above them.
_PASS_THROUGH = (
    "relax.nn.relu",
    "relax.clip",
    "relax.nn.max_pool2d",
    "relax.nn.avg_pool2d",
    "relax.add",
    "relax.multiply",
)


def _is_blocking(call: Any, block: int) -> bool:
    """``layout_transform`` NCHW -> NCHW{block}c (what ConvertLayout puts after an NCHW stem)."""
    if getattr(call.op, "name", "") != "relax.layout_transform" or call.attrs.pad_value is not None:
        return False
    probe = (1, 2 * block + 3, 5, 7)
    try:
        got = tuple(int(i) for i in call.attrs.index_map.map_indices(list(probe)))
    except Exception:
        return False
    return len(call.args[0].ty.shape) == 4 and got == (1, 2, 5, 7, 3)


def _block_the_stem(mod: Any, block: int) -> Any:
    """Move each NCHW -> NCHW{b}c transform up through the bias, activation and pooling to the stem conv,
    which then writes blocks itself: ``layout_transform(pool(relu(conv(x) + b)))`` becomes
    ``pool'(relu(conv'(x) + b'))`` with conv' reading NCHW and writing NCHW{b}c (a stem has too few
    channels to block its input) and b' the bias blocked.

    Why: ConvertLayout keeps a 3-channel stem and its pooling in NCHW and transforms after them; that
    transform alone cost ~95 us on the ResNet-style model and the NCHW stem's tile is transposed on the way out.
    Only chains whose every value has one use are moved; anything else stays as ConvertLayout left it.
    """
    from tvm import relax
    from tvm.ir import Constant
    from tvm.relax.expr_functor import PyExprMutator, mutator

    uses: dict[Any, int] = {}

    def count(expr: Any) -> None:
        if isinstance(expr, relax.Var):
            uses[expr] = uses.get(expr, 0) + 1

    for func in mod.functions.values():
        if isinstance(func, relax.Function):
            relax.analysis.post_order_visit(func.body, count)

    def blocked(x: Any) -> Any:
        return relax.op.layout_transform(x, lambda n, c, h, w: (n, c // block, h, w, c % block))

    def channel_constant(expr: Any, channels: int) -> bool:
        shape = [int(d) for d in expr.ty.shape] if isinstance(expr, Constant) else None
        return shape is not None and (shape == [] or shape == [1, channels, 1, 1])

    @mutator
    class _Sink(PyExprMutator):
        def chain(self, value: Any) -> list[Any] | None:
            """The calls from the stem conv down to ``value``, or None if the chain breaks."""
            calls: list[Any] = []
            while True:
                if not isinstance(value, relax.Var) or uses.get(value, 0) != 1:
                    return None
                call = self.lookup_binding(value)
                if not isinstance(call, relax.Call):
                    return None
                name = getattr(call.op, "name", "")
                calls.append(call)
                if name == "relax.nn.conv2d":
                    attrs, weight = call.attrs, call.args[1]
                    stem = attrs.data_layout == "NCHW" and attrs.kernel_layout == "OIHW" and int(attrs.groups) == 1
                    out_c = int(weight.ty.shape[0])
                    return calls[::-1] if stem and isinstance(weight, Constant) and out_c % block == 0 else None
                if name not in _PASS_THROUGH:
                    return None
                if name in ("relax.add", "relax.multiply"):
                    channels = int(call.ty.shape[1])
                    if not channel_constant(call.args[1], channels):
                        return None
                elif name != "relax.clip" and len(call.args) != 1:
                    return None
                value = call.args[0]

        def visit_call_(self, call: Any) -> Any:
            call = super().visit_call_(call)
            if not _is_blocking(call, block):
                return call
            calls = self.chain(call.args[0])
            if calls is None:
                return call
            conv, rest = calls[0], calls[1:]
            attrs = conv.attrs
            weight = relax.op.layout_transform(conv.args[1], lambda o, i, h, w: (o // block, i, h, w, o % block))
            out = self.builder_.emit(
                relax.op.nn.conv2d(
                    conv.args[0],
                    weight,
                    attrs.strides,
                    attrs.padding,
                    attrs.dilation,
                    1,
                    "NCHW",
                    f"OIHW{block}o",
                    f"NCHW{block}c",
                )
            )
            layout = f"NCHW{block}c"
            for step in rest:
                name, a = step.op.name, step.attrs
                if name == "relax.nn.relu":
                    expr = relax.op.nn.relu(out)
                elif name == "relax.clip":
                    expr = relax.op.clip(out, step.args[1], step.args[2])
                elif name in ("relax.add", "relax.multiply"):
                    const = step.args[1]
                    operand = blocked(const) if len(const.ty.shape) == 4 else const
                    expr = (relax.op.add if name == "relax.add" else relax.op.multiply)(out, operand)
                else:
                    pool = relax.op.nn.max_pool2d if name == "relax.nn.max_pool2d" else relax.op.nn.avg_pool2d
                    expr = pool(
                        out,
                        a.pool_size,
                        a.strides,
                        a.padding,
                        a.dilation,
                        a.ceil_mode,
                        a.count_include_pad,
                        layout,
                        layout,
                    )
                out = self.builder_.emit(expr)
            return out

    return rewrite_relax_functions(mod, _Sink(mod))


def _legalize(bb: Any, call: Any) -> Any:
    """conv2d in NCHW{b}c / OIHW{b}o as TOPI's blocked compute (a stem: NCHW in, NCHW{b}c out); other
    convs are left to the default rule."""
    from tvm import topi

    attrs = call.attrs
    if len(attrs.out_layout) == 4:
        return call
    if len(attrs.data_layout) == 4:
        return bb.call_te(
            _stem_conv,
            call.args[0],
            call.args[1],
            attrs.strides,
            attrs.padding,
            attrs.dilation,
            primfunc_name_hint="conv2d_NCHWc",
        )
    return bb.call_te(
        topi.nn.conv2d_NCHWc_OIHWo,
        data=call.args[0],
        kernel=call.args[1],
        stride=attrs.strides,
        padding=attrs.padding,
        dilation=attrs.dilation,
        layout=attrs.data_layout,
        out_layout=attrs.out_layout,
        primfunc_name_hint="conv2d_NCHWc",
    )


def to_blocked_layout(mod: Any, target: Any) -> tuple[Any, int]:
    """``mod`` with its convs in NCHW{b}c and legalized, and b; ``(mod, 0)`` unchanged when it does not qualify.

    A rewrite that raises leaves the model in NCHW: the layout is a speed choice, never a reason to fail.
    """
    from tvm import relax

    block = block_size(target)
    try:
        if not block or not qualifies(mod, block):
            return mod, 0
        converted = relax.transform.ConvertLayout(
            {
                "relax.nn.conv2d": [f"NCHW{block}c", f"OIHW{block}o", f"NCHW{block}c"],
            }
        )(mod)
        converted = relax.transform.Normalize()(converted)
        converted = relax.transform.EliminateCommonSubexpr()(
            relax.transform.FoldConstant()(converted)
        )  # one transform per tensor, not per use
        converted = _block_the_stem(converted, block)
        converted = relax.transform.DeadCodeElimination()(converted)
        converted = relax.transform.LegalizeOps({"relax.nn.conv2d": _legalize})(converted)
    except Exception:
        return mod, 0
    return converted, block


def _stem_conv(data: Any, kernel: Any, strides: Any, padding: Any, dilation: Any) -> Any:
    """conv2d reading NCHW and writing NCHW{b}c, with TOPI's blocked conv's block name and loop order."""
    from tvm import te, topi

    _, in_c, in_h, in_w = (int(d) for d in data.shape)
    chunks, _, k_h, k_w, lanes = (int(d) for d in kernel.shape)
    s_h, s_w = (int(v) for v in strides)
    d_h, d_w = (int(v) for v in dilation)
    top, left, bottom, right = (int(v) for v in padding)
    out_h = (in_h + top + bottom - (k_h - 1) * d_h - 1) // s_h + 1
    out_w = (in_w + left + right - (k_w - 1) * d_w - 1) // s_w + 1
    padded = topi.nn.pad(data, (0, 0, top, left), (0, 0, bottom, right), name="conv2d_data_pad")
    ic = te.reduce_axis((0, in_c), name="ic")
    kh = te.reduce_axis((0, k_h), name="kh")
    kw = te.reduce_axis((0, k_w), name="kw")
    return te.compute(
        (int(data.shape[0]), chunks, out_h, out_w, lanes),
        lambda n, c, y, x, lane: te.sum(
            padded[n, ic, y * s_h + kh * d_h, x * s_w + kw * d_w] * kernel[c, ic, kh, kw, lane], axis=[ic, kh, kw]
        ),
        name=BLOCKED_CONV,
    )


def blocked_workload(sch: Any, block: Any) -> dict[str, int] | None:
    """Shape facts of TOPI's blocked conv block: None if the loops are not the 8 static ones it has."""
    loops = sch.get_loops(block)
    if len(loops) != 8:
        return None
    extents = [sch.get(loop).extent for loop in loops]
    if not all(hasattr(e, "value") for e in extents):
        return None
    _, chunks, out_h, out_w, lanes, in_c, k_h, k_w = (int(e.value) for e in extents)
    return {
        "out_channels": chunks * lanes,
        "in_channels": in_c,
        "out_width": out_w,
        "kernel_w": k_w,
        "out_height": out_h,
        "kernel_h": k_h,
        "lanes": lanes,
    }


def schedule_blocked_conv(func: Any, x_tile: int, oc_tile: int = 1) -> Any | None:
    """The direct template in NCHW{b}c: ``x_tile`` output columns x ``oc_tile`` channel blocks in registers.

    Per input channel and kernel tap, ``oc_tile`` weight vectors and
    ``x_tile`` broadcast inputs feed ``x_tile * oc_tile`` FMAs; the input
    channels of a block are the outer reduction loop (measured 15% faster
    than taps outside them), the epilogue is computed from the tile and
    stored as whole vectors, and (batch, channel block group, output row) run
    in parallel.  None if ``func`` is not a blocked conv or the tiles do not divide it.

    Tried and dropped: slices of 32-64 input channels outside the column tiles, so
    a slice of weights serves a whole row from L1 (14x14 and 28x28 3x3 convs: within 2%).
    """
    from tvm import IRModule
    from tvm.s_tir import Schedule

    try:
        sch = Schedule(IRModule({"main": func}))
        conv = sch.get_sblock(BLOCKED_CONV)
        shape = blocked_workload(sch, conv)
        if shape is None or shape["out_width"] % x_tile or (shape["out_channels"] // shape["lanes"]) % oc_tile:
            return None
        root = sch.get_sblock("root")
        outputs = {sch.get(b).name_hint for b in sch.get_output_blocks(root)}
        for block in sch.get_child_blocks(root):
            name = sch.get(block).name_hint
            if name not in (BLOCKED_CONV, "conv2d_data_pad") and name not in outputs:
                sch.compute_inline(block)  # bias add, residual add, a layout transform of the residual
        has_epilogue = bool(sch.get_consumers(conv))
        writeback = sch.cache_write(conv, 0, TILE_SCOPE)
        if has_epilogue:
            sch.compute_inline(writeback)
        n, chunk, y, x, lane, rc, ry, rx = sch.get_loops(conv)
        in_block = shape["lanes"]  # input and output share one block size (``to_blocked_layout``)
        x_outer, x_inner = sch.split(x, [None, x_tile])
        chunk_outer, chunk_inner = sch.split(chunk, [None, oc_tile])
        if shape["in_channels"] % in_block == 0 and shape["in_channels"] > in_block:
            rc_outer, rc_inner = sch.split(rc, [None, in_block])
            sch.reorder(n, chunk_outer, y, x_outer, rc_outer, rc_inner, ry, rx, x_inner, chunk_inner, lane)
        else:
            rc_outer = rc
            sch.reorder(n, chunk_outer, y, x_outer, rc, ry, rx, x_inner, chunk_inner, lane)
        sch.vectorize(lane)
        sch.unroll(chunk_inner)
        sch.unroll(x_inner)
        sch.unroll(rx)
        rows = sch.fuse(n, chunk_outer, y)
        sch.parallel(rows)
        decompose_into_registers(sch, conv, rc_outer)
        for block in sch.get_consumers(conv):
            sch.reverse_compute_at(block, x_outer)
            tile_in_registers(sch, loops_below(sch, block, x_outer))
        try:
            # The padded rows each task reads, computed in that task: a separate parallel padding pass
            # scaled badly on two threads (RGB stem 148 -> 100 us, 56x56 3x3 206 -> 198 us).
            sch.compute_at(sch.get_sblock("conv2d_data_pad"), rows)
        except Exception:
            pass  # unpadded
        return named(sch.mod["main"], "blocked_conv")
    except Exception:
        return None


def schedule_blocked_pool(func: Any) -> Any | None:
    """Window pooling in NCHW{b}c: one vector of channels per output position, the window unrolled inside,
    the padding folded into the reads, (batch, channel block, output row) in parallel; None if ``func`` is
    not a pool over 5-D blocked tensors."""
    from tvm import IRModule
    from tvm.s_tir import Schedule

    try:
        sch = Schedule(IRModule({"main": func}))
        root = sch.get_sblock("root")
        pools = [b for b in sch.get_child_blocks(root) if sch.get(b).name_hint in ("pool_max", "pool_sum")]
        if len(pools) != 1:
            return None
        pool = pools[0]
        loops = sch.get_loops(pool)
        extents = [sch.get(loop).extent for loop in loops]
        if len(loops) != 7 or not all(hasattr(e, "value") for e in extents) or int(extents[4].value) > 64:
            return None
        for producer in sch.get_producers(pool):
            sch.compute_inline(producer)  # the padded copy: a select on the window position
        n, chunk, y, x, lane, ry, rx = sch.get_loops(pool)
        sch.reorder(n, chunk, y, x, ry, rx, lane)
        sch.vectorize(lane)
        sch.unroll(ry)
        sch.unroll(rx)
        sch.parallel(sch.fuse(n, chunk, y))
        for block in sch.get_consumers(pool):
            sch.reverse_compute_at(block, x)
            sch.vectorize(sch.get_loops(block)[-1])
        sch.decompose_reduction(pool, ry)
        return named(sch.mod["main"], "window_pool")
    except Exception:
        return None
