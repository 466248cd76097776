"""Pulumi dynamic resources (the only place pulumi is imported)."""

from provider.pulumi_resources.workteam import Workteam, WorkteamProvider

__all__ = ["Workteam", "WorkteamProvider"]
