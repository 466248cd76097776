"""The project's one error tree.

Every failure a user can meet is one of these, and each message says what to do:
spec errors name the property (camelCase, dotted path) and the rule it broke;
AWS errors name the operation, the resource and the service's own code.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ReconcilerError",
    "Violation",
    "SpecError",
    "ManifestProblem",
    "ManifestError",
    "ConfigError",
    "MissingExtra",
    "AwsError",
    "NotFound",
    "Conflict",
    "LimitExceeded",
    "DeleteRefused",
    "TerminalState",
    "WaitTimeout",
]


class ReconcilerError(Exception):
    """Base of every error this project raises on purpose."""


@dataclass(frozen=True)
class Violation:
    """One broken rule: `field` is the camelCase path (``memberDefinitions[0].oidcMemberDefinition.groups``)."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}" if self.field else self.rule


class SpecError(ReconcilerError):
    """Desired state breaks a rule of the API reference; raised before any API call."""

    def __init__(self, resource: str, violations: list[Violation]):
        self.resource = resource
        self.violations = list(violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        super().__init__(f"invalid {resource}:\n{lines}")

    @property
    def fields(self) -> list[str]:
        return [v.field for v in self.violations]


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong in a manifest: `path` from its root (``resources.team.properties.description``),
    `line` (1-based) where the YAML says it, when known."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path}: {self.message}" if self.path else f"{where}{self.message}"


class ManifestError(ReconcilerError):
    """A manifest (a Pulumi YAML program's ``resources:``) that cannot be planned; raised before any API call."""

    def __init__(self, source: str, problems: list[ManifestProblem]):
        self.source = source
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid manifest {source}:\n{lines}")


class ConfigError(ReconcilerError):
    """Provider configuration is missing or contradictory (no region, bad endpoint URL...)."""


class MissingExtra(ReconcilerError):
    """An optional feature was used without its optional dependencies installed."""

    def __init__(self, feature: str, extra: str, missing: str):
        self.extra = extra
        super().__init__(
            f"{feature} needs the '{extra}' extra ({missing} is not installed): "
            f"pip install 'sagemaker-reconciler[{extra}]'"
        )


class AwsError(ReconcilerError):
    """A call to the service failed; `code` is the service's error code."""

    def __init__(self, operation: str, code: str, message: str, resource: str | None = None):
        self.operation = operation
        self.code = code
        self.resource = resource
        where = f" {resource}" if resource else ""
        super().__init__(f"{operation}{where} failed ({code}): {message}")


class NotFound(AwsError):
    """The resource does not exist (any more)."""


class Conflict(AwsError):
    """ResourceInUse: the name is taken, or the resource is busy."""


class LimitExceeded(AwsError):
    """ResourceLimitExceeded: an account quota such as the 25 work teams per region."""


class DeleteRefused(ReconcilerError):
    """Deleting would interrupt work in progress; the user must opt in."""


class TerminalState(ReconcilerError):
    """A job ended in a state other than the one we waited for (FAILED, STOPPED)."""

    def __init__(self, name: str, status: str, reason: str | None = None):
        self.name = name
        self.status = status
        self.reason = reason
        tail = f": {reason}" if reason else ""
        super().__init__(f"{name} ended {status}{tail}")


class WaitTimeout(ReconcilerError):
    """A wait ran past its bound without reaching a terminal state."""
