"""The CompilationJob as a Pulumi dynamic resource (cloud mode).

Jobs are immutable: diff lists every changed input in `replaces`; only tags
and `deleteArtifacts` change in place. With an auto-generated name the new job
is created (and its artifact exists) before the old one is removed.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from provider.aws import ObjectStore, SageMakerGateway
from provider.plan.compilation_job import plan_compilation_job
from provider.plan.model import contains_unknown
from provider.render import preview_lines
from provider.pulumi_resources._common import (
    AUTONAME_KEY,
    ConfiguredProvider,
    add_snake_case_attributes,
    checked_inputs,
    explain,
    from_wire,
    refreshed,
    resource_props,
    spec_props,
    with_autoname,
)
from provider.reconcile.compilation_job import JOB_OUTPUT_KEYS, CompilationJobReconciler
from provider.specs.compilation_job import parse_compilation_job

__all__ = ["CompilationJob", "CompilationJobProvider"]

_NAME = "compilationJobName"


class CompilationJobProvider(ConfiguredProvider):
    """CRUD for a SageMaker Neo compilation job. Constructible with no arguments."""

    def _reconciler(self) -> CompilationJobReconciler:
        config = self.aws_config()
        return CompilationJobReconciler(SageMakerGateway(config), ObjectStore(config))

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return checked_inputs(olds, news, _NAME, parse_compilation_job)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        fixed_name = AUTONAME_KEY not in news
        desired = spec_props(news, JOB_OUTPUT_KEYS)
        if contains_unknown(desired):
            desired.setdefault("mode", "cloud")  # the model's default, as to_props() would give it
        else:
            desired = parse_compilation_job(desired).to_props()
        observed = self._reconciler().observe(id_)
        if observed is None:
            explain([f"{id_}: the compilation job no longer exists (deleted outside Pulumi): it will be recreated"])
            return DiffResult(changes=True, replaces=[_NAME], delete_before_replace=fixed_name)
        plan = plan_compilation_job(desired, observed.props, status=observed.status,
                                    artifact_exists=observed.artifact_exists)
        stored = spec_props(olds, JOB_OUTPUT_KEYS)
        explain(preview_lines(plan, stored))
        # Members the service does not echo back still force a new job when the user changes them.
        declared_changes = [
            k for k in sorted(set(desired) | set(stored))
            if k not in ("tags", "deleteArtifacts") and stored.get(k) != desired.get(k)
        ]
        replaces = sorted(set(plan.replaces) | set(declared_changes))
        delete_flag_moved = bool(stored.get("deleteArtifacts", False)) != bool(desired.get("deleteArtifacts", False))
        return DiffResult(
            changes=plan.has_changes or bool(replaces) or delete_flag_moved,
            replaces=replaces,
            delete_before_replace=bool(replaces) and fixed_name,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = parse_compilation_job(spec_props(props, JOB_OUTPUT_KEYS))
        outs = self._reconciler().create(spec)
        return CreateResult(spec.compilation_job_name, with_autoname(outs, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = parse_compilation_job(spec_props(news, JOB_OUTPUT_KEYS))
        return UpdateResult(with_autoname(self._reconciler().update_tags(spec), news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        observed = self._reconciler().observe(id_, check_artifact=False)
        if observed is None:
            return ReadResult("", {})
        return refreshed(id_, observed.spec_props(), observed.outputs(), props, "deleteArtifacts")

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._reconciler().delete(id_, delete_artifacts=bool(from_wire(props).get("deleteArtifacts", False)))


class CompilationJob(pulumi.dynamic.Resource, module="sagemaker", name="CompilationJob"):
    """A SageMaker Neo compilation job; `compiled_artifact_uri` is the compiled model in S3."""

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
        *,
        role_arn: pulumi.Input[str],
        output_config: pulumi.Input[dict],
        input_config: pulumi.Input[dict] | None = None,
        model_package_version_arn: pulumi.Input[str] | None = None,
        compilation_job_name: pulumi.Input[str] | None = None,
        vpc_config: pulumi.Input[dict] | None = None,
        stopping_condition: pulumi.Input[dict] | None = None,
        tags: pulumi.Input[dict] | None = None,
        mode: pulumi.Input[str] | None = None,
        delete_artifacts: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        provider_config: CompilationJobProvider | None = None,
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
        }
        props = resource_props(args, resource_name, "compilation_job_name", JOB_OUTPUT_KEYS)
        super().__init__(provider_config or CompilationJobProvider(), resource_name, props, opts)
        add_snake_case_attributes(self, props)
