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
from provider.pulumi_resources._common import (
    AUTONAME_KEY,
    ConfiguredProvider,
    add_snake_case_attributes,
    checked_inputs,
    from_wire,
    resource_props,
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
        desired = _spec_props(news)
        if contains_unknown(desired):
            desired.setdefault("mode", "cloud")  # the model's default, as to_props() would give it
        else:
            desired = parse_compilation_job(desired).to_props()
        observed = self._reconciler().observe(id_)
        if observed is None:
            return DiffResult(changes=True, replaces=[_NAME], delete_before_replace=fixed_name)
        plan = plan_compilation_job(desired, observed.props, status=observed.status,
                                    artifact_exists=observed.artifact_exists)
        # Members the service does not echo back still force a new job when the user changes them.
        stored = _spec_props(olds)
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
        spec = parse_compilation_job(_spec_props(props))
        outs = self._reconciler().create(spec)
        return CreateResult(spec.compilation_job_name, _with_internal(outs, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = parse_compilation_job(_spec_props(news))
        return UpdateResult(_with_internal(self._reconciler().update_tags(spec), news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        observed = self._reconciler().observe(id_, check_artifact=False)
        if observed is None:
            return ReadResult("", {})
        stored = from_wire(props)
        inputs = {**observed.spec_props(), "deleteArtifacts": bool(stored.get("deleteArtifacts", False))}
        if AUTONAME_KEY in stored:
            inputs[AUTONAME_KEY] = stored[AUTONAME_KEY]
        outs = {**{k: v for k, v in inputs.items() if k != AUTONAME_KEY}, **observed.outputs()}
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._reconciler().delete(id_, delete_artifacts=bool(from_wire(props).get("deleteArtifacts", False)))


def _spec_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in from_wire(props).items() if not k.startswith("__") and k not in JOB_OUTPUT_KEYS}


def _with_internal(outs: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {**outs, AUTONAME_KEY: props[AUTONAME_KEY]} if AUTONAME_KEY in props else outs


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
