"""Pulumi dynamic resources (the only place pulumi is imported)."""

from sagemaker_reconciler.pulumi_resources.compilation_job import CompilationJob, CompilationJobProvider
from sagemaker_reconciler.pulumi_resources.workteam import Workteam, WorkteamProvider

__all__ = ["CompilationJob", "CompilationJobProvider", "Workteam", "WorkteamProvider"]
