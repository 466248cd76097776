"""What a plan, apply or drift run found, as plain data: the renderers' input and the exit code. Pure.

Exit codes follow ``terraform plan -detailed-exitcode``: 0 in sync, 2 changes
(plan) or drift (drift: a resource differs, is missing, or an unmanaged one
exists), 1 an error (manifest, configuration, or any resource). ``apply``
returns 0 when every resource was brought in sync, else 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sagemaker_reconciler.errors import ManifestProblem
from sagemaker_reconciler.plan.model import Action, Plan

__all__ = ["Command", "ResourceReport", "Unmanaged", "Report", "EXIT_IN_SYNC", "EXIT_ERROR", "EXIT_CHANGES"]

EXIT_IN_SYNC, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
Command = str  # "plan" | "apply" | "drift"
ACTIONS = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE, Action.NOOP)


@dataclass(frozen=True)
class ResourceReport:
    """One declared resource: its plan, and after an apply its outputs, or the error that stopped it."""

    logical_name: str
    type: str
    """The short type token, ``sagemaker-reconciler:Workteam``."""
    name: str
    plan: Plan | None = None
    outputs: Mapping[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def kind(self) -> str:
        return self.type.rsplit(":", 1)[-1]

    @property
    def action(self) -> str:
        """What the plan decided (noop, create, update, replace); ``error`` when it could not be planned."""
        return self.plan.action.value if self.plan else "error"

    @property
    def has_changes(self) -> bool:
        return bool(self.plan and self.plan.has_changes)

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan.to_dict() if self.plan else {}
        return {
            "logical_name": self.logical_name,
            "type": self.type,
            "name": self.name,
            "action": self.action,
            "changes": plan.get("changes", []),
            "replaces": plan.get("replaces", []),
            "calls": plan.get("calls", []),
            "notes": plan.get("notes", []),
            "outputs": dict(self.outputs) if self.outputs is not None else None,
            "error": self.error,
        }


@dataclass(frozen=True)
class Unmanaged:
    """A resource in the account and region that the manifest does not declare (drift only)."""

    type: str
    name: str
    arn: str
    status: str = ""
    created: str = ""

    @property
    def kind(self) -> str:
        return self.type.rsplit(":", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "arn": self.arn, "status": self.status, "created": self.created}


@dataclass(frozen=True)
class Report:
    command: Command
    source: str
    resources: tuple[ResourceReport, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    problems: tuple[ManifestProblem, ...] = ()
    """Manifest problems: nothing was planned."""
    errors: tuple[str, ...] = ()
    """Run-wide errors (configuration, listing unmanaged resources)."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """The program's outputs, resolved after an apply."""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.problems or self.errors or any(r.error for r in self.resources))

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_ERROR
        if self.command == "apply":
            return EXIT_IN_SYNC
        if any(r.has_changes for r in self.resources) or self.unmanaged:
            return EXIT_CHANGES
        return EXIT_IN_SYNC

    def counts(self) -> dict[str, int]:
        counts = {a.value: 0 for a in ACTIONS}
        counts["error"] = 0
        for r in self.resources:
            counts[r.action if r.error is None else "error"] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts()
        return {
            "command": self.command,
            "manifest": self.source,
            "exit_code": self.exit_code,
            "summary": {
                "resources": len(self.resources),
                "in_sync": counts["noop"],
                "create": counts["create"],
                "update": counts["update"],
                "replace": counts["replace"],
                "error": counts["error"],
                "unmanaged": len(self.unmanaged),
            },
            "resources": [r.to_dict() for r in self.resources],
            "unmanaged": [u.to_dict() for u in self.unmanaged],
            "outputs": dict(self.outputs),
            "errors": [{"path": p.path, "line": p.line, "message": p.message} for p in self.problems]
            + [{"path": None, "line": None, "message": e} for e in self.errors],
            "seconds": round(self.seconds, 3),
        }
