"""Typed Python classes for the native plugin's resources, written to the shape ``pulumi package gen-sdk``
generates (no language plugin is available offline to generate them): the schema's tokens
``sagemaker-reconciler:index:Workteam`` / ``:CompilationJob`` and an explicit ``Provider``.

Unlike ``provider.Workteam`` (a dynamic resource run inside the program), these are served
by the ``pulumi-resource-sagemaker-reconciler`` plugin the engine launches.
"""

from sagemaker_reconciler.sdk.compilation_job import CompilationJob
from sagemaker_reconciler.sdk.provider import Provider
from sagemaker_reconciler.sdk.workteam import Workteam

__all__ = ["CompilationJob", "Provider", "Workteam"]
