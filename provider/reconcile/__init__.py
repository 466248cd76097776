"""observe -> plan -> act, one module per resource (I/O through the gateway only)."""

from sagemaker_reconciler.reconcile.workteam import Observed, WorkteamReconciler

__all__ = ["Observed", "WorkteamReconciler"]
