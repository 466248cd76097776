"""Desired-state models (pure: no boto3, pulumi or tvm)."""

from sagemaker_reconciler.specs.workteam import WorkteamSpec, parse_workteam

__all__ = ["WorkteamSpec", "parse_workteam"]
