"""Pure planning: desired vs observed -> Plan (no boto3, pulumi or tvm)."""

from sagemaker_reconciler.plan.compilation_job import plan_compilation_job
from sagemaker_reconciler.plan.model import UNKNOWN, Action, ApiCall, ChangeKind, Plan, PropertyChange
from sagemaker_reconciler.plan.workteam import plan_workteam

__all__ = [
    "UNKNOWN",
    "Action",
    "ApiCall",
    "ChangeKind",
    "Plan",
    "PropertyChange",
    "plan_compilation_job",
    "plan_workteam",
]
