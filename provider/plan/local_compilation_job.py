"""Plan a local-mode CompilationJob: the published artifact's manifest.json is its live state. Pure.

A local job has no service to describe; what it was compiled from is recorded in
the artifact (the model's digest, framework, input shapes, tuning budget and the
devices it was tuned on). Any of those differing from the spec compiles the job
again (REPLACE); nothing published is a CREATE. The CLI (stateless) and the
Pulumi providers' diff (artifact location from state) both plan with this rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sagemaker_reconciler.plan.model import Action, ChangeKind, Plan, PropertyChange
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec
from sagemaker_reconciler.specs.tuning import tuning_settings

__all__ = ["plan_local_job", "recompile_reasons"]

_TYPE = "CompilationJob"


def plan_local_job(
    spec: CompilationJobSpec, uri: str, manifest: Mapping[str, Any] | None, model_digest: str | None
) -> Plan:
    """`manifest`: the one inside the artifact published at `uri` (None: nothing there); `model_digest`:
    the spec's file:// model's digest now (None for an s3:// model, which is not re-read)."""
    name = spec.compilation_job_name
    if manifest is None:
        return Plan(_TYPE, name, Action.CREATE, (PropertyChange("compiledArtifactUri", ChangeKind.UPDATE, None, uri),))
    changes, notes = [], []
    source = spec.input_config.s3_uri if spec.input_config else ""
    if model_digest is not None:
        built = manifest.get("source_model_digest")
        if built not in (model_digest, model_digest.removeprefix("sha256:")):
            changes.append(
                PropertyChange("inputConfig", ChangeKind.REPLACE, built, model_digest, ("inputConfig.s3Uri",))
            )
            notes.append(
                f"the model at {source} is not the one {uri} was compiled from (model digest {built} -> {model_digest})"
            )
    if spec.input_config and manifest.get("framework") != spec.input_config.framework:
        changes.append(
            PropertyChange(
                "inputConfig",
                ChangeKind.REPLACE,
                manifest.get("framework"),
                spec.input_config.framework,
                ("inputConfig.framework",),
            )
        )
        notes.append(f"{uri} was compiled from a {manifest.get('framework')} model")
    if spec.input_config and spec.input_config.data_input_config:
        wanted_inputs = json.loads(spec.input_config.data_input_config)
        built_inputs = {i.get("name"): i.get("shape") for i in manifest.get("inputs", [])}
        if isinstance(wanted_inputs, dict) and built_inputs != wanted_inputs:
            changes.append(
                PropertyChange(
                    "inputConfig", ChangeKind.REPLACE, built_inputs, wanted_inputs, ("inputConfig.dataInputConfig",)
                )
            )
            notes.append(f"{uri} was compiled for inputs {json.dumps(built_inputs)}")
    built_tuning = manifest.get("tuning") or {}
    tuning = tuning_settings(spec.tuning, spec.tuning_trials)
    built_trials = built_tuning.get("trials_requested", 0)
    if built_trials != tuning.trials:
        field = "tuning" if spec.tuning is not None else "tuningTrials"
        changes.append(
            PropertyChange(
                field,
                ChangeKind.REPLACE,
                built_trials,
                tuning.trials,
                ("tuning.trials",) if spec.tuning is not None else (),
            )
        )
        notes.append(f"{uri} was compiled with a tuning budget of {built_trials} trials")
    built_minutes = built_tuning.get("max_minutes")
    if built_minutes != tuning.max_minutes:
        changes.append(
            PropertyChange("tuning", ChangeKind.REPLACE, built_minutes, tuning.max_minutes, ("tuning.maxMinutes",))
        )
        notes.append(f"{uri} was compiled with a tuning time budget of {built_minutes or 'no'} minutes")
    built_key = (built_tuning.get("measured_on") or {}).get("device_key")
    if tuning.tuned and built_key != tuning.device_key:
        changes.append(
            PropertyChange("tuning", ChangeKind.REPLACE, built_key, tuning.device_key, ("tuning.deviceKey",))
        )
        notes.append(
            f"{uri} was tuned on {built_key or 'this host'}, not on devices {tuning.device_key or 'of this host'}"
        )
    if not changes:
        return Plan(_TYPE, name, Action.NOOP)
    return Plan(_TYPE, name, Action.REPLACE, tuple(changes), notes=tuple(notes))


def recompile_reasons(plan: Plan) -> list[str]:
    """Why a local job must be compiled again, one sentence each."""
    if plan.action is Action.CREATE:
        return [f"nothing is published at {plan.changes[0].new}"]
    return list(plan.notes)
