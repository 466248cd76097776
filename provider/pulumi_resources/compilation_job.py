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

from sagemaker_reconciler.aws import ObjectStore, SageMakerGateway
from sagemaker_reconciler.plan.compilation_job import PROVIDER_ONLY_DEFAULTS, plan_compilation_job, program_changes
from sagemaker_reconciler.plan.explain import LIVE_FACTS, explain_lines
from sagemaker_reconciler.plan.model import UNKNOWN, ChangeKind, Plan, contains_unknown
from sagemaker_reconciler.pulumi_resources._common import (
    AUTONAME_KEY,
    ConfiguredProvider,
    add_snake_case_attributes,
    checked_inputs,
    explain,
    from_wire,
    log_line,
    refreshed,
    remove_created,
    resource_props,
    spec_props,
    with_autoname,
)
from sagemaker_reconciler.reconcile.compilation_job import JOB_OUTPUT_KEYS, CompilationJobReconciler
from sagemaker_reconciler.reconcile.created import CreatedButFailed, create_compilation_job
from sagemaker_reconciler.reconcile.local_compile import LocalCompiler
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec, parse_compilation_job

__all__ = ["CompilationJob", "CompilationJobProvider"]

_NAME = "compilationJobName"


class CompilationJobProvider(ConfiguredProvider):
    """CRUD for a SageMaker Neo compilation job. Constructible with no arguments."""

    def _reconciler(self) -> CompilationJobReconciler:
        config = self.aws_config()
        return CompilationJobReconciler(SageMakerGateway(config), ObjectStore(config), log=pulumi.log.info)

    def _local(self) -> LocalCompiler:
        # S3 clients are only built if a location is s3://; file:// needs no region or credentials.
        return LocalCompiler(self.aws_config(), progress=log_line)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return checked_inputs(olds, news, _NAME, parse_compilation_job)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        fixed_name = AUTONAME_KEY not in news
        desired = spec_props(news, JOB_OUTPUT_KEYS)
        known = not contains_unknown(desired)
        desired = parse_compilation_job(desired).to_props() if known else {**PROVIDER_ONLY_DEFAULTS, **desired}
        stored = {**PROVIDER_ONLY_DEFAULTS, **spec_props(olds, JOB_OUTPUT_KEYS)}
        # What the program changed, normalised as the live comparison is: JSON whitespace, set order and
        # provider-only defaults are no change. Every input but the in-place ones forces a new job.
        edits = program_changes(stored, desired)
        replaces = {c.property for c in edits if c.kind is ChangeKind.REPLACE}
        in_place_moved = any(c.kind is ChangeKind.UPDATE for c in edits)
        live: Plan | None = None
        if "local" in (desired.get("mode"), stored.get("mode")):
            drifted = self._local_drift(id_, from_wire(olds), desired) if not replaces and known else []
            explain(explain_lines("CompilationJob", id_, None, edits) + drifted)
            replaces |= {_NAME} if drifted else set()
        else:
            observed = self._reconciler().observe(id_, tags="tags" in desired)
            if observed is None:
                explain([f"{id_}: the compilation job no longer exists (deleted outside Pulumi): it will be recreated"])
                return DiffResult(changes=True, replaces=[_NAME], delete_before_replace=fixed_name)
            live = plan_compilation_job(
                desired,
                observed.props,
                status=observed.status,
                artifact_exists=observed.artifact_exists,
                failure_reason=observed.job.get("FailureReason"),
            )
            explain(explain_lines("CompilationJob", id_, live, edits))
            # Live facts (a job that ended FAILED, an artifact gone) are not inputs: the name stands for them.
            replaces |= {_NAME if p in LIVE_FACTS else p for p in live.replaces}
            in_place_moved = in_place_moved or live.has_changes
        # Delete first only when the new job takes the old one's name; a renamed job is created first.
        keeps_name = fixed_name and desired.get(_NAME) in (id_, UNKNOWN)
        return DiffResult(
            changes=bool(replaces) or in_place_moved,
            replaces=sorted(replaces),
            delete_before_replace=bool(replaces) and keeps_name,
        )

    def _local_drift(self, id_: str, outs: dict[str, Any], desired: dict[str, Any]) -> list[str]:
        """A local job has no service to describe: its live state is the published artifact, judged by the
        same rule the CLI uses (its manifest vs the spec: model digest, inputs, tuning), plus the digest
        state recorded (an artifact changed on disk)."""
        uri = outs.get("compiledArtifactUri")
        if not uri:
            return []
        compiler = self._local()
        if not compiler.digest_matches(uri, outs.get("artifactDigest") or None):
            if not compiler.exists(uri):
                return [f"{id_}: the compiled artifact {uri} no longer exists: it will be compiled again"]
            return [f"{id_}: the compiled artifact {uri} was changed outside Pulumi: it will be compiled again"]
        plan = compiler.plan(parse_compilation_job(desired), uri=uri)
        return [f"{id_}: {line}: it will be compiled again" for line in compiler.reasons(plan)]

    def create(self, props: dict[str, Any]) -> CreateResult:
        spec = parse_compilation_job(spec_props(props, JOB_OUTPUT_KEYS))
        if spec.mode == "local":
            return CreateResult(spec.compilation_job_name, with_autoname(self._local().create(spec), props))
        reconciler = self._reconciler()
        try:
            outs = create_compilation_job(reconciler, spec)
        except CreatedButFailed as exc:
            # A failed create must leave nothing behind: an auto-named job would be orphaned by the next name.
            if AUTONAME_KEY not in props:
                raise
            remove_created(exc, lambda: reconciler.delete(spec.compilation_job_name))
        return CreateResult(spec.compilation_job_name, with_autoname(outs, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        spec = parse_compilation_job(spec_props(news, JOB_OUTPUT_KEYS))
        if spec.mode == "local":  # only state-only inputs change in place: the artifact stays
            previous = from_wire(olds)
            outs = {**spec.to_props(), **{k: previous.get(k, "") for k in JOB_OUTPUT_KEYS}}
        else:
            outs = self._reconciler().update_tags(spec)
        return UpdateResult(with_autoname(outs, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        stored = from_wire(props)
        if stored.get("mode") == "local":
            uri = stored.get("compiledArtifactUri")
            if not uri or not self._local().exists(uri):
                return ReadResult("", {})
            outs = {k: v for k, v in stored.items() if not k.startswith("__")}
            return ReadResult(id_, outs, {k: v for k, v in stored.items() if k not in JOB_OUTPUT_KEYS})
        observed = self._reconciler().observe(id_, check_artifact=False)
        if observed is None:
            return ReadResult("", {})
        return refreshed(
            id_,
            observed.spec_props(),
            observed.outputs(),
            props,
            "deleteArtifacts",
            kept=CompilationJobSpec.prop_defaults(),
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        stored = from_wire(props)
        delete_artifacts = bool(stored.get("deleteArtifacts", False))
        if stored.get("mode") == "local":
            if delete_artifacts and stored.get("compiledArtifactUri"):
                self._local().delete_own(stored["compiledArtifactUri"], stored.get("artifactDigest") or None)
            return
        self._reconciler().delete(id_, delete_artifacts=delete_artifacts)


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
        props = resource_props(args, resource_name, "compilation_job_name", JOB_OUTPUT_KEYS)
        super().__init__(provider_config or CompilationJobProvider(), resource_name, props, opts)
        add_snake_case_attributes(self, props)
