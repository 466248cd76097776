"""The CompilationJob as a Pulumi dynamic resource (cloud or local mode: one backend interface).

Jobs are immutable: diff lists every changed input in `replaces`; only tags
and `deleteArtifacts` change in place. With an auto-generated name the new job
is created (and its artifact exists) before the old one is removed.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import DiffResult

from sagemaker_reconciler.plan.compilation_job import PROVIDER_ONLY_DEFAULTS, program_changes
from sagemaker_reconciler.plan.explain import LIVE_FACTS, explain_lines
from sagemaker_reconciler.plan.model import UNKNOWN, ChangeKind, contains_unknown
from sagemaker_reconciler.pulumi_resources._common import (
    AUTONAME_KEY,
    BackendProvider,
    add_snake_case_attributes,
    explain,
    from_wire,
    resource_props,
    spec_props,
)
from sagemaker_reconciler.resource_types import COMPILATION_JOB
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job

__all__ = ["CompilationJob", "CompilationJobProvider"]


class CompilationJobProvider(BackendProvider):
    """CRUD for a SageMaker Neo compilation job, cloud or local (its registry entry picks the backend
    from ``mode``). Constructible with no arguments."""

    KIND = COMPILATION_JOB

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        fixed_name = AUTONAME_KEY not in news
        outputs, name_key = COMPILATION_JOB.output_names(), COMPILATION_JOB.name_property
        desired = spec_props(news, outputs)
        known = not contains_unknown(desired)
        desired = parse_compilation_job(desired).to_props() if known else {**PROVIDER_ONLY_DEFAULTS, **desired}
        stored = {**PROVIDER_ONLY_DEFAULTS, **spec_props(olds, outputs)}
        # What the program changed, normalised as the live comparison is: JSON whitespace, set order and
        # provider-only defaults are no change. Every input but the in-place ones forces a new job.
        edits = program_changes(stored, desired)
        replaces = {c.property for c in edits if c.kind is ChangeKind.REPLACE}
        in_place_moved = any(c.kind is ChangeKind.UPDATE for c in edits)
        live = self.backend(desired, stored).live(id_, desired, from_wire(olds), program_replaces=bool(replaces))
        if live.gone:
            explain([f"{id_}: the compilation job no longer exists (deleted outside Pulumi): it will be recreated"])
            return DiffResult(changes=True, replaces=[name_key], delete_before_replace=fixed_name)
        explain(explain_lines(COMPILATION_JOB.name, id_, live.plan, edits) + list(live.redo))
        replaces |= {name_key} if live.redo else set()
        if live.plan is not None:
            # Live facts (a job that ended FAILED, an artifact gone) are not inputs: the name stands for them.
            replaces |= {name_key if p in LIVE_FACTS else p for p in live.plan.replaces}
            in_place_moved = in_place_moved or live.plan.has_changes
        # Delete first only when the new job takes the old one's name; a renamed job is created first.
        keeps_name = fixed_name and desired.get(name_key) in (id_, UNKNOWN)
        return DiffResult(
            changes=bool(replaces) or in_place_moved,
            replaces=sorted(replaces),
            delete_before_replace=bool(replaces) and keeps_name,
        )


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
        verify: pulumi.Input[bool] | None = None,
        tuning_trials: pulumi.Input[int] | None = None,
        tuning: pulumi.Input[dict] | None = None,
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
            "verify": verify,
            "tuning_trials": tuning_trials,
            "tuning": tuning,
        }
        props = resource_props(args, resource_name, "compilation_job_name", COMPILATION_JOB.output_names())
        super().__init__(provider_config or CompilationJobProvider(), resource_name, props, opts)
        add_snake_case_attributes(self, props)
