"""A create that failed after the resource came to exist: look before giving up, so nothing is orphaned.

The create call can succeed server-side and still fail for the caller (its reply
lost and every retry's reply lost too, or a job that was made but then FAILED or
outran its wait). Before the error goes up, the resource is looked for under its
name; if it is there (and is the one we asked for), the error becomes
``CreatedButFailed`` carrying its outputs. The plugin turns that into a partial
failure the engine keeps in state; the dynamic resources, which cannot, remove
an auto-named one (its next name would differ, orphaning it).

A ``Conflict`` is never looked into: it means the name belongs to some other
resource, which is not ours to adopt or remove.
"""

from __future__ import annotations

from typing import Any

from sagemaker_reconciler.errors import Conflict, CreatedButFailed, ReconcilerError
from sagemaker_reconciler.plan.compilation_job import plan_compilation_job
from sagemaker_reconciler.plan.model import Action
from sagemaker_reconciler.plan.workteam import plan_workteam
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec
from sagemaker_reconciler.specs.workteam import WorkteamSpec

__all__ = ["CreatedButFailed", "create_compilation_job", "create_workteam"]


def create_workteam(reconciler: WorkteamReconciler, spec: WorkteamSpec) -> dict[str, Any]:
    """``reconciler.create``; a failure after the team exists, exactly as asked, is a CreatedButFailed."""
    try:
        return reconciler.create(spec)
    except Conflict:
        raise
    except ReconcilerError as exc:
        try:
            observed = reconciler.observe(spec.workteam_name, tags=spec.tags is not None)
        except ReconcilerError:
            raise exc from None
        if observed is None or plan_workteam(spec.to_props(), observed.props).action is not Action.NOOP:
            raise
        raise CreatedButFailed(spec.workteam_name, exc, {**spec.to_props(), **observed.outputs()}) from exc


def create_compilation_job(reconciler: CompilationJobReconciler, spec: CompilationJobSpec) -> dict[str, Any]:
    """``reconciler.create`` (create and wait); a job left behind by a failure is a CreatedButFailed."""
    name = spec.compilation_job_name
    try:
        return reconciler.create(spec)
    except Conflict:
        raise
    except ReconcilerError as exc:
        try:
            observed = reconciler.observe(name, check_artifact=False, tags=False)
        except ReconcilerError:
            raise exc from None
        if observed is None or plan_compilation_job({**spec.to_props(), "tags": None}, observed.props).replaces:
            raise
        raise CreatedButFailed(name, exc, {**spec.to_props(), **observed.outputs()}) from exc
