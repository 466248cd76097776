"""Row-reduction schedules for layer_norm, softmax and their kin (rms_norm, log_softmax), with fused epilogues.

Why: these functions reduce each row of the last axis one or more times (mean
and variance; max and sum of exp) and then write the whole row again.  DLight's
CPU ``Reduction`` rule keeps every reduction a serial scalar add chain (by
design, no rfactor): measured 1.7x onnxruntime on a 128x256 layer_norm, where
a lane-wide rfactor ran at 0.3x.  So, per function:

* the leading (row) axes of the output are fused and run in parallel; every
  other block (prologue adds, reductions, exp, the normalize and any fused
  elementwise epilogue) is computed inside that row loop, so a row's
  intermediates stay in cache;
* each reduction over the row is split lane-wide and rfactored: ``lanes``
  partial sums (or maxima) accumulate in one vector register, then fold;
* the row-wide elementwise blocks are vectorized over the last axis.

``vectorizable_softmax`` (run before fusion) makes softmax's exp a polynomial
the vectorizer can use, which was most of its time.

A row length that is not a multiple of the vector width uses its largest
divisor up to the width (e.g. 10 lanes for 100); with none >= 4 the reduction
stays serial (still parallel over rows).  Each entry point returns ``None``
when the function is not of this shape, so the rule chain moves on.  tvm is
imported lazily.
"""

from __future__ import annotations

from typing import Any

from sagemaker_reconciler.local_compile.relax_rewrite import rewrite_relax_functions

__all__ = ["schedule_row_reduction", "vectorizable_softmax"]

_SPATIAL, _REDUCE = 0, 2  # tirx.IterVar kinds


def _extents(sch: Any, block: Any) -> list[int] | None:
    values = [iv.dom.extent for iv in sch.get(block).iter_vars]
    if not all(hasattr(v, "value") for v in values):
        return None  # dynamic shapes
    return [int(v.value) for v in values]


def _kinds(sch: Any, block: Any) -> list[int]:
    return [int(iv.iter_type) for iv in sch.get(block).iter_vars]


def _lane_split(length: int, lanes: int) -> int:
    """The widest vector that divides the row (no tail loop): ``lanes``, else a divisor >= 4, else 1."""
    for width in range(min(lanes, length), 3, -1):
        if length % width == 0:
            return width
    return 1


def _row_shape(sch: Any, blocks: list[Any], output: Any) -> tuple[int, int] | None:
    """(rank of the rows, row length) when ``output`` writes rows x length and every reduction reduces a row."""
    out_extents = _extents(sch, output)
    if out_extents is None or len(out_extents) < 2 or any(k != _SPATIAL for k in _kinds(sch, output)):
        return None
    rows, length = out_extents[:-1], out_extents[-1]
    reductions = 0
    for block in blocks:
        kinds, extents = _kinds(sch, block), _extents(sch, block)
        if extents is None or len(sch.get(block).writes) != 1:
            return None
        if _REDUCE in kinds:
            # rows spatial, then exactly one reduction over a row of the output's length
            if kinds != [_SPATIAL] * len(rows) + [_REDUCE] or extents != [*rows, length]:
                return None
            reductions += 1
        elif any(k != _SPATIAL for k in kinds) or extents not in (rows, [*rows, length]):
            return None
    return (len(rows), length) if reductions else None


def schedule_row_reduction(func: Any, target: Any) -> Any | None:
    """Parallel rows, lane-wide rfactored reductions, vectorized row-wise blocks; None if ``func`` is not a row reduction."""
    from tvm import IRModule
    from tvm.s_tir import Schedule

    from sagemaker_reconciler.local_compile.cpu_schedules import vector_lanes

    sch = Schedule(IRModule({"main": func}))
    root = sch.get_sblock("root")
    blocks = list(sch.get_child_blocks(root))
    outputs = list(sch.get_output_blocks(root))
    if len(outputs) != 1 or len(blocks) < 2:
        return None
    output = outputs[0]
    shape = _row_shape(sch, blocks, output)
    if shape is None:
        return None
    row_rank, length = shape
    width = _lane_split(length, vector_lanes(target))
    names = [sch.get(b).name_hint for b in blocks]
    out_name = sch.get(output).name_hint
    loops = sch.get_loops(output)
    if len(loops) != row_rank + 1:
        return None
    reductions = [name for name, block in zip(names, blocks) if _REDUCE in _kinds(sch, block)]
    partials = {_rfactor_row(sch, sch.get_sblock(name), width, row_rank) for name in reductions} - {None}
    names = [sch.get(b).name_hint for b in sch.get_child_blocks(root)]
    loops = sch.get_loops(sch.get_sblock(out_name))
    row = sch.fuse(*loops[:row_rank]) if row_rank > 1 else loops[0]
    for name in reversed(names):
        if name != out_name:
            sch.compute_at(sch.get_sblock(name), row, preserve_unit_loops=False)
    rows = sch.get(row).extent
    if not hasattr(rows, "value") or int(rows.value) >= 2:
        sch.parallel(row)  # before any init is split off: parallel needs the reductions whole
    for name in names:
        block = sch.get_sblock(name)
        if name in partials:
            # compute_at made the loops (lane, chunk), or (lane) for a row one vector long:
            # chunks outside, the lanes one vector inside
            inner = sch.get_loops(block)[1:]  # the row loop is the outermost
            lane, chunk = (inner[0], inner[1]) if len(inner) == 2 else (inner[0], inner[0])
            if len(inner) == 2:
                sch.reorder(chunk, lane)
            sch.vectorize(lane)  # before the init is split off: vectorize needs the block whole
            sch.decompose_reduction(block, chunk)
        elif _REDUCE not in _kinds(sch, block) and width > 1:
            inner = sch.get_loops(block)[-1]
            extent = sch.get(inner).extent
            if hasattr(extent, "value") and int(extent.value) == length:
                _, lanes = sch.split(inner, [None, width])
                sch.vectorize(lanes)
    return sch.mod["main"].with_attr("tirx.is_scheduled", True)


def _rfactor_row(sch: Any, block: Any, width: int, row_rank: int) -> str | None:
    """``width`` partial results per row (stored after the row index, so a row's lanes are contiguous);
    returns the partial block's name, None when the row is reduced serially."""
    reduce = sch.get_loops(block)[-1]
    if width < 2:
        return None  # no lane split without a tail
    _, inner = sch.split(reduce, [None, width])
    return str(sch.get(sch.rfactor(inner, factor_axis=row_rank)).name_hint)


def vectorizable_softmax(mod: Any) -> Any:
    """Last-axis float32 softmax as max, ``topi.fast_exp``, sum, divide: the exp vectorizes.

    TVM's softmax calls ``exp``, which LLVM turns into one scalar libm call per
    element (3 ns each here: 200 us for a 4x128x128 attention softmax, most of
    its time).  TOPI's ``fast_exp`` is a range reduction and a polynomial (a few
    ulp; onnxruntime's softmax uses a polynomial exp too).  Other axes and
    dtypes keep TVM's form.
    """
    from tvm import relax, te, topi
    from tvm.relax.expr_functor import PyExprMutator, mutator

    softmax = relax.op.nn.softmax(relax.Var("x", relax.TensorType(None, "float32"))).op

    def fast_softmax(x: Any) -> Any:
        row_max = topi.max(x, axis=-1)
        shifted = te.compute(x.shape, lambda *i: x[i] - row_max[i[:-1]], name="softmax_shifted")
        exps = topi.fast_exp(shifted)
        row_sum = topi.sum(exps, axis=-1)
        return te.compute(x.shape, lambda *i: exps[i] / row_sum[i[:-1]], name="softmax_norm")

    @mutator
    class _FastSoftmax(PyExprMutator):
        def visit_call_(self, call: Any) -> Any:
            call = super().visit_call_(call)
            if not call.op.same_as(softmax):
                return call
            ty = call.args[0].ty
            ndim = int(ty.ndim)
            if str(ty.dtype) != "float32" or ndim < 1 or int(call.attrs.axis) not in (-1, ndim - 1):
                return call
            return self.builder_.call_te(fast_softmax, call.args[0])

    return rewrite_relax_functions(mod, _FastSoftmax(mod))
