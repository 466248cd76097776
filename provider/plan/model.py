"""What a plan is: a decision, the property changes behind it, and the API calls that carry it out.

Plans are plain frozen data so that renderers (text, Markdown, JSON, Pulumi
DiffResult) and the executor never need to know how they were computed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Action", "ChangeKind", "PropertyChange", "ApiCall", "Plan", "UNKNOWN", "contains_unknown"]


class _Unknown:
    """A value only known after apply (a Pulumi preview Unknown), in the core's own terms."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<known after apply>"

    def __reduce__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


class Action(str, enum.Enum):
    NOOP = "noop"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"


class ChangeKind(str, enum.Enum):
    UPDATE = "update"  # changed in place
    REPLACE = "replace"  # forces a new resource


@dataclass(frozen=True)
class PropertyChange:
    """One top-level property that differs; `details` are the nested paths that moved."""

    property: str
    kind: ChangeKind
    old: Any
    new: Any
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "property": self.property,
            "kind": self.kind.value,
            "old": self.old,
            "new": self.new,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class ApiCall:
    operation: str
    params: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "params": self.params}


@dataclass(frozen=True)
class Plan:
    resource_type: str
    name: str
    action: Action
    changes: tuple[PropertyChange, ...] = ()
    calls: tuple[ApiCall, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def has_changes(self) -> bool:
        return self.action is not Action.NOOP

    @property
    def replaces(self) -> list[str]:
        return [c.property for c in self.changes if c.kind is ChangeKind.REPLACE]

    def call(self, operation: str) -> ApiCall | None:
        """The plan's call of `operation` (the one request shown is the one sent), if it makes one."""
        return next((c for c in self.calls if c.operation == operation), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.resource_type,
            "name": self.name,
            "action": self.action.value,
            "changes": [c.to_dict() for c in self.changes],
            "replaces": self.replaces,
            "calls": [c.to_dict() for c in self.calls],
            "notes": list(self.notes),
        }
