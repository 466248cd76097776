"""Plans as people and programs read them: text for terminals, dicts for --json. Pure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from provider.plan.model import UNKNOWN, Action, ChangeKind, Plan, contains_unknown

__all__ = ["plan_text", "plans_text", "value_text"]

_SYMBOL = {Action.NOOP: " ", Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "+-", Action.DELETE: "-"}


def value_text(value: Any) -> str:
    if value is None:
        return "(none)"
    if value is UNKNOWN or contains_unknown(value):
        return "(known after apply)"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def plan_text(plan: Plan) -> str:
    """One resource: a header line, then each property with how it changes and old -> new."""
    head = f"{_SYMBOL[plan.action]} {plan.resource_type} {plan.name}: {plan.action.value}"
    if plan.action is Action.NOOP:
        return head + " (in sync)"
    lines = [head]
    for change in plan.changes:
        how = "forces replacement" if change.kind is ChangeKind.REPLACE else (
            "set" if plan.action is Action.CREATE else "update in place"
        )
        if plan.action is Action.CREATE:
            lines.append(f"    {change.property} = {value_text(change.new)}")
        else:
            lines.append(f"    {change.property}: {value_text(change.old)} -> {value_text(change.new)}  [{how}]")
    for call in plan.calls:
        lines.append(f"    call {call.operation} {json.dumps(call.params, sort_keys=True, ensure_ascii=False)}")
    return "\n".join(lines)


def plans_text(plans: Iterable[Plan]) -> str:
    plans = list(plans)
    changed = sum(p.has_changes for p in plans)
    body = "\n".join(plan_text(p) for p in plans)
    return f"{body}\n{changed} of {len(plans)} resource(s) to change"
