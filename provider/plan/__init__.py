"""Pure planning: desired vs observed -> Plan (no boto3, pulumi or tvm)."""

from provider.plan.compilation_job import plan_compilation_job
from provider.plan.model import UNKNOWN, Action, ApiCall, ChangeKind, Plan, PropertyChange
from provider.plan.workteam import plan_workteam

__all__ = ["UNKNOWN", "Action", "ApiCall", "ChangeKind", "Plan", "PropertyChange", "plan_compilation_job", "plan_workteam"]
