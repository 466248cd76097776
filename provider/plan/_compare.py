"""Structural comparison shared by every resource's planner (DeepDiff underneath)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from sagemaker_reconciler.plan.model import ApiCall
from sagemaker_reconciler.specs._tags import tag_list

__all__ = ["changed_paths", "sort_set_like", "dotted", "tag_calls"]


def dotted(parts: Iterable[Any]) -> str:
    """['memberDefinitions', 0, 'oidcMemberDefinition'] -> 'memberDefinitions[0].oidcMemberDefinition'."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def changed_paths(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[str]]:
    """Top-level property -> the nested paths where `new` differs from `old`."""
    from deepdiff import DeepDiff  # ~130 ms with its numpy import: paid by the first plan, not by start-up

    diff = DeepDiff(dict(old), dict(new), view="tree", ignore_order=False, verbose_level=2)
    by_property: dict[str, list[str]] = {}
    for changes in diff.values():
        for change in changes:
            parts = change.path(output_format="list")
            if not parts:
                continue
            by_property.setdefault(str(parts[0]), []).append(dotted(parts))
    return {k: sorted(set(v)) for k, v in sorted(by_property.items())}


def sort_set_like(items: Iterable[Any]) -> list[Any]:
    """Order the members of a set-like list canonically, so listing order never shows as a change."""
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, default=repr))


def tag_calls(arn: str, old: Mapping[str, str], new: Mapping[str, str]) -> list[ApiCall]:
    """The minimal AddTags (new or changed values) and DeleteTags (removed keys) for one resource."""
    calls = []
    upserts = {k: v for k, v in new.items() if old.get(k) != v}
    removed = sorted(set(old) - set(new))
    if upserts:
        calls.append(ApiCall("AddTags", {"ResourceArn": arn, "Tags": tag_list(upserts)}))
    if removed:
        calls.append(ApiCall("DeleteTags", {"ResourceArn": arn, "TagKeys": removed}))
    return calls
