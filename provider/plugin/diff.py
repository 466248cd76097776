"""Diff against the live resource, per property path, with drift told apart from program edits.

The plan is the core's, made by the resource's backend (``plan_workteam`` /
``plan_compilation_job`` over one Describe, plus ListTags only where tags are
declared; a local job's published artifact). Each changed leaf becomes
a detailedDiff entry: add / delete / update, ``*_REPLACE`` where the property
forces a new resource, and ``inputDiff`` true when the program changed it, false
when the live resource drifted from an unchanged program. Paths the program
ignores (``ignoreChanges``) take the live value before planning, so their drift
is left alone, here and in Update.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sagemaker_reconciler.plan import compilation_job as job_plans
from sagemaker_reconciler.plan import workteam as team_plans
from sagemaker_reconciler.plan.explain import explain_lines
from sagemaker_reconciler.plan.model import ChangeKind, Plan, contains_unknown
from sagemaker_reconciler.plan.workteam import comparable_workteam
from sagemaker_reconciler.plugin.check import drawn_names
from sagemaker_reconciler.plugin.paths import UPDATE, format_path, leaf_changes, overlay
from sagemaker_reconciler.pulumi_resources._common import spec_props
from sagemaker_reconciler.reconcile.backend import Adjust, Backend
from sagemaker_reconciler.resource_types import COMPILATION_JOB, WORKTEAM
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec, parse_compilation_job
from sagemaker_reconciler.specs.workteam import parse_workteam

__all__ = ["DiffOutcome", "Entry", "diff_compilation_job", "diff_workteam"]


@dataclass(frozen=True)
class Entry:
    """One detailedDiff entry: `kind` is add / delete / update."""

    kind: str
    replace: bool
    input_diff: bool


@dataclass
class DiffOutcome:
    replaces: list[str] = field(default_factory=list)
    detailed: dict[str, Entry] = field(default_factory=dict)
    delete_before_replace: bool = False
    explanations: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return bool(self.detailed or self.replaces)

    @property
    def diffs(self) -> list[str]:
        """The top-level properties that change."""
        return sorted({path.split(".")[0].split("[")[0] for path in self.detailed} | set(self.replaces))


def _add(outcome: DiffOutcome, old: Any, new: Any, prop: str, *, replace: bool, input_diff: bool) -> None:
    leaves = list(leaf_changes(old, new, [prop])) or [([prop], UPDATE)]
    for parts, kind in leaves:
        outcome.detailed.setdefault(format_path(parts), Entry(kind, replace, input_diff))


def _gone(name_key: str, what: str, id_: str) -> DiffOutcome:
    """Deleted out of band: recreate it (deleting the old one is then a no-op)."""
    outcome = DiffOutcome(replaces=[name_key], delete_before_replace=True)
    outcome.detailed[name_key] = Entry(UPDATE, True, False)
    outcome.explanations.append(f"{id_}: the {what} no longer exists (deleted outside Pulumi): it will be recreated")
    return outcome


def _from_plan(outcome: DiffOutcome, plan: Plan, program_changed: Callable[[str], bool]) -> None:
    for change in plan.changes:
        _add(
            outcome,
            change.old,
            change.new,
            change.property,
            replace=change.kind is ChangeKind.REPLACE,
            input_diff=program_changed(change.property),
        )
        if change.kind is ChangeKind.REPLACE and change.property not in outcome.replaces:
            outcome.replaces.append(change.property)


def _flag(outcome: DiffOutcome, stored: Mapping[str, Any], desired: Mapping[str, Any], flag: str) -> None:
    """A provider-only input (forceDelete, deleteArtifacts): state only, compared with the stored inputs."""
    if bool(stored.get(flag, False)) != bool(desired.get(flag, False)):
        _add(outcome, stored.get(flag), desired.get(flag), flag, replace=False, input_diff=True)


def _ignoring(ignore: list[str]) -> Adjust:
    return lambda desired, live: overlay(desired, live, ignore)


def diff_workteam(
    backend: Backend, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], ignore: list[str]
) -> DiffOutcome:
    """`olds` are the stored outputs (the last spec written plus outputs), `news` the checked inputs."""
    outputs, name_key = WORKTEAM.output_names(), WORKTEAM.name_property
    desired = spec_props(news, outputs)
    stored = spec_props(olds, outputs)
    if not contains_unknown(desired):
        desired = parse_workteam(desired).to_props()
    # The engine already put the stored value in place of an ignored input; the live value stands in
    # for it when planning, so its drift is left alone.
    live = backend.live(id_, desired, dict(olds), adjust=_ignoring(ignore))
    if live.gone or live.plan is None or live.props is None:
        return _gone(name_key, "work team", id_)
    edits = team_plans.program_changes(stored, desired)
    desired = overlay(desired, live.props, ignore)
    plan = live.plan
    outcome = DiffOutcome(explanations=explain_lines(WORKTEAM.name, id_, plan, edits))
    before, after = comparable_workteam(stored), comparable_workteam(desired)
    _from_plan(outcome, plan, lambda prop: before.get(prop) != after.get(prop))
    _flag(outcome, stored, desired, "forceDelete")
    outcome.delete_before_replace = bool(outcome.replaces) and name_key not in drawn_names(news)
    return outcome


def diff_compilation_job(
    backend: Backend, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], ignore: list[str]
) -> DiffOutcome:
    """As the dynamic resource decides it (every input but tags and the provider's own flags forces a
    new job, including members the service does not echo), with per-path entries; cloud or local is
    the backend's business (a local job's live state is its published artifact)."""
    kind = COMPILATION_JOB
    outputs, name_key = kind.output_names(), kind.name_property
    desired = spec_props(news, outputs)
    known = not contains_unknown(desired)
    if known:
        desired = parse_compilation_job(desired).to_props()
    else:
        desired = {**CompilationJobSpec.prop_defaults(), **desired}
    stored = spec_props(olds, outputs)
    outcome = DiffOutcome()
    # What the program changed, normalised as the dynamic resource and the CLI do (JSON whitespace, set
    # order, provider-only defaults are no change).
    edits = job_plans.program_changes(stored, desired)
    edited = sorted({edit.property for edit in edits})
    for key in edited:
        replace = key in kind.replace_on_changes
        _add(outcome, stored.get(key), desired.get(key), key, replace=replace, input_diff=True)
    outcome.replaces = [k for k in edited if k in kind.replace_on_changes]
    live = backend.live(id_, desired, dict(olds), adjust=_ignoring(ignore), program_replaces=bool(outcome.replaces))
    if live.gone:
        return _gone(name_key, "compilation job", id_)
    if live.redo:
        outcome.replaces.append(name_key)
        outcome.detailed[name_key] = Entry(UPDATE, True, False)
    outcome.explanations = explain_lines(kind.name, id_, live.plan, edits) + list(live.redo)
    if live.plan is not None:
        _from_plan(outcome, live.plan, lambda prop: prop in edited)
    outcome.replaces = sorted(set(outcome.replaces))
    outcome.delete_before_replace = bool(outcome.replaces) and name_key not in drawn_names(news)
    return outcome
