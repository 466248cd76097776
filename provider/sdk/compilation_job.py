"""``sagemaker-reconciler:index:CompilationJob``: a SageMaker Neo compilation job, served by the plugin."""

from __future__ import annotations

import pulumi

from sagemaker_reconciler.resource_types import COMPILATION_JOB
from sagemaker_reconciler.sdk._resource import register

__all__ = ["CompilationJob"]


class CompilationJob(pulumi.CustomResource):
    """Omit ``compilation_job_name`` to get ``<resource_name>-<7 hex>``; ``compiled_artifact_uri`` is the model."""

    compilation_job_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]
    compiled_artifact_uri: pulumi.Output[str]
    artifact_digest: pulumi.Output[str]
    inference_image: pulumi.Output[str]
    failure_reason: pulumi.Output[str]
    creation_time: pulumi.Output[str]
    compilation_start_time: pulumi.Output[str]
    compilation_end_time: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        role_arn: pulumi.Input[str] | None = None,
        output_config: pulumi.Input[dict] | None = None,
        input_config: pulumi.Input[dict] | None = None,
        model_package_version_arn: pulumi.Input[str] | None = None,
        compilation_job_name: pulumi.Input[str] | None = None,
        vpc_config: pulumi.Input[dict] | None = None,
        stopping_condition: pulumi.Input[dict] | None = None,
        tags: pulumi.Input[dict] | None = None,
        mode: pulumi.Input[str] | None = None,
        delete_artifacts: pulumi.Input[bool] | None = None,
        verify: pulumi.Input[bool] | None = None,
        tuning_trials: pulumi.Input[int] | None = None,
        tuning: pulumi.Input[dict] | None = None,
        __id: str | None = None,
    ) -> None:
        args = {
            "compilation_job_name": compilation_job_name,
            "role_arn": role_arn,
            "model_package_version_arn": model_package_version_arn,
            "input_config": input_config,
            "output_config": output_config,
            "vpc_config": vpc_config,
            "stopping_condition": stopping_condition,
            "tags": tags,
            "mode": mode,
            "delete_artifacts": delete_artifacts,
            "verify": verify,
            "tuning_trials": tuning_trials,
            "tuning": tuning,
        }
        register(self, COMPILATION_JOB, resource_name, args, opts, __id)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> CompilationJob:
        """An existing job's state, read by its name."""
        return CompilationJob(resource_name, opts, _CompilationJob__id=id)  # type: ignore[call-arg]
