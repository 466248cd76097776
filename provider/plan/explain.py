"""Why a Pulumi preview shows a change, one log line per property. Pure.

The engine forwards no detailed diff from dynamic providers, so the provider
logs the reasons. A property is "changed in the program" when the stored
inputs and the program's inputs differ (both normalised as the planner
normalises them); a live difference the program did not make is drift. Live
facts that are not inputs (a job that ended FAILED, an artifact gone from S3)
are told as what they are, not as a property moving from a value to itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from sagemaker_reconciler.plan.model import ChangeKind, Plan, PropertyChange
from sagemaker_reconciler.render import value_text

__all__ = ["LIVE_FACTS", "explain_lines"]

LIVE_FACTS = ("status", "compiledArtifactUri")
"""Plan changes that are facts about the live resource, explained by the plan's notes."""

_REMOVED = {
    "stoppingCondition": "removed: a new job runs with the service's default limits, and a job cannot change",
}


def _how(change: PropertyChange) -> str:
    return "forces replacement" if change.kind is ChangeKind.REPLACE else "update in place"


def _line(resource_type: str, name: str, change: PropertyChange, why: str) -> str:
    return (
        f"{resource_type} {name}: {change.property}: {value_text(change.old)} -> {value_text(change.new)} "
        f"[{_how(change)}; {why}]"
    )


def explain_lines(resource_type: str, name: str, live: Plan | None, edits: Sequence[PropertyChange]) -> list[str]:
    """`live`: the desired inputs planned against the live resource; `edits`: stored inputs vs desired."""
    lines: list[str] = []
    edited = {edit.property: edit for edit in edits}
    for change in live.changes if live else ():
        if change.property in LIVE_FACTS:
            continue
        edit = edited.pop(change.property, None)
        if edit is None:
            why = "drift: changed outside Pulumi"
        elif edit.old is not None and edit.old != change.old:  # None: undeclared before, the service's value
            why = "changed in the program; the live value had also drifted from the last deployment"
        else:
            why = "changed in the program"
        lines.append(_line(resource_type, name, change, why))
    for edit in edited.values():
        removed = _REMOVED.get(edit.property) if edit.new is None else None
        why = f"changed in the program: {removed}" if removed else "changed in the program"
        lines.append(_line(resource_type, name, edit, why))
    facts = [c for c in (live.changes if live else ()) if c.property in LIVE_FACTS]
    tag = f" [{_how(facts[0])}; drift: changed outside Pulumi]" if facts else ""
    lines.extend(f"{resource_type} {name}: {note}{tag}" for note in (live.notes if live else ()))
    return lines
