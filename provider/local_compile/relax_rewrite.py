"""Run a Relax expression mutator over every Relax function of a module (the graph rewrites share it)."""

from __future__ import annotations

from typing import Any

__all__ = ["rewrite_relax_functions"]


def rewrite_relax_functions(mod: Any, rewriter: Any) -> Any:
    """``mod`` with each Relax function replaced by ``rewriter``'s visit of it (PrimFuncs kept as they are)."""
    from tvm import relax

    for gv, func in mod.functions.items():
        if isinstance(func, relax.Function):
            rewriter.builder_.update_func(gv, rewriter.visit_expr(func))
    return rewriter.builder_.get()
