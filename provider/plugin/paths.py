"""Pulumi property paths (``tags["team:owner"]``, ``memberDefinitions[0].oidcMemberDefinition``, ``a[*].b``).

Diff reports each changed leaf under its path, and ignoreChanges arrives as
paths; this is the small part of Pulumi's path grammar both need.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["ADD", "DELETE", "UPDATE", "format_path", "leaf_changes", "overlay", "parse_path"]

ADD, DELETE, UPDATE = "add", "delete", "update"
_MISSING = object()
_TOKEN = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(\d+|\*)\]|\["((?:[^"\\]|\\.)*)"\]|\.?(\*)')
_NAME = re.compile(r"[A-Za-z_$][\w$]*$")


def parse_path(path: str) -> list[str | int]:
    """``a.b[0]["c.d"]`` -> ``["a", "b", 0, "c.d"]``; ``*`` stays ``"*"``. A malformed path raises ValueError."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot parse property path {path!r} at {pos}")
        name, index, quoted, star = match.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append("*" if index == "*" else int(index))
        elif quoted is not None:
            parts.append(json.loads(f'"{quoted}"'))
        else:
            parts.append(star)
        pos = match.end()
    return parts


def format_path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def leaf_changes(old: Any, new: Any, prefix: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    """Every path under ``prefix`` where ``new`` differs from ``old``, with add / delete / update."""
    if old is _MISSING or old is None:
        if new is not _MISSING and new is not None:
            yield prefix, ADD
        return
    if new is _MISSING or new is None:
        yield prefix, DELETE
        return
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in sorted(set(old) | set(new), key=str):
            yield from leaf_changes(old.get(key, _MISSING), new.get(key, _MISSING), [*prefix, key])
        return
    if isinstance(old, list) and isinstance(new, list):
        for i in range(max(len(old), len(new))):
            yield from leaf_changes(
                old[i] if i < len(old) else _MISSING, new[i] if i < len(new) else _MISSING, [*prefix, i]
            )
        return
    if old != new:
        yield prefix, UPDATE


def _overlay(target: Any, source: Any, parts: list[str | int]) -> Any:
    """`target` with the value at `parts` taken from `source` (removed where `source` has none)."""
    if not parts:
        return copy.deepcopy(source)
    head, rest = parts[0], parts[1:]
    if head == "*":
        keys = range(len(target)) if isinstance(target, list) else list(target) if isinstance(target, dict) else []
        for key in keys:
            target = _overlay(target, source, [key, *rest])
        return target
    if isinstance(target, dict) and isinstance(head, str):
        value = source.get(head, _MISSING) if isinstance(source, Mapping) else _MISSING
        if rest:
            if head in target and value is not _MISSING:
                target[head] = _overlay(target[head], value, rest)
        elif value is _MISSING:
            target.pop(head, None)
        else:
            target[head] = copy.deepcopy(value)
    elif isinstance(target, list) and isinstance(head, int) and head < len(target):
        value = source[head] if isinstance(source, list) and head < len(source) else _MISSING
        if value is not _MISSING:
            target[head] = _overlay(target[head], value, rest) if rest else copy.deepcopy(value)
    return target


def overlay(desired: Mapping[str, Any], live: Mapping[str, Any], paths: list[str]) -> dict[str, Any]:
    """`desired` with every ignored path set to what `live` has there: an ignored property's drift stays."""
    out = copy.deepcopy(dict(desired))
    for path in paths:
        out = _overlay(out, live, parse_path(path))
    return out
