"""The project's one error tree.

Every failure a user can meet is one of these, and each message says what to do:
spec errors name the property (camelCase, dotted path) and the rule it broke;
AWS errors name the operation, the resource and the service's own code. Front
ends catch :class:`ReconcilerError` and show its message; anything else is a bug.

::

    ReconcilerError            raised on purpose; the message is for the user
    ├── SpecError              desired state breaks a rule, found before any API call (.violations)
    │   ├── UnsupportedTarget      local mode cannot build for this target
    │   └── UnsupportedFramework   local mode cannot load this framework
    ├── ManifestError          a manifest that cannot be planned (.problems, each with path and line)
    ├── ConfigError            configuration missing or contradictory
    │   └── ToolchainMissing       the target's cross linker is not installed
    ├── MissingExtra           an optional feature used without its extra installed
    ├── AwsError               the service refused a call (.operation, .code, .resource)
    │   ├── NotFound
    │   ├── Conflict               ResourceInUse: the name is taken, or the resource is busy
    │   └── LimitExceeded
    ├── RequiresReplacement    an in-place update was asked of a change only a replacement makes
    ├── Vanished               the resource was gone when looked at again, before any call changed it
    ├── DeleteRefused          deleting would interrupt work in progress (forceDelete opts in)
    ├── TerminalState          a job ended FAILED or STOPPED
    ├── CreatedButFailed       a create failed after the resource came to exist (.name, .cause, .outputs)
    ├── WaitTimeout            a wait ran past its bound
    ├── CompileFailed          local mode: TVM rejected the model or the target
    ├── VerificationFailed     local mode: the artifact's outputs differ from onnxruntime's
    ├── TuningFailed           local mode: every tuning candidate failed to build or measure
    ├── RemoteTuningFailed     local mode: the RPC tracker's devices could not measure (names tracker and key)
    └── UnsafeArchive          a model archive refused before anything was written

Only an :class:`AwsError` says the service was asked; every other class is the
project's own decision. Outside the tree on purpose: ``endpoint.exceptions.ServiceError``
and its subclasses are the *embedded service's* errors (sent as AWS error responses,
met by clients as botocore ``ClientError`` and mapped into ``AwsError`` by ``aws.py``),
``endpoint.faults.DropConnection`` is a planted fault, and ``cli._UsageError`` /
``local_compile.torch_convert._ConvertError`` never leave their modules; ``local_compile.tar_stream.TarFormatError``
always becomes an :class:`UnsafeArchive` naming the member; ``specs.java_patterns.UnsupportedPattern``
says the API model grew a pattern the translator cannot read (a test fails, never a user);
``plugin.errors.Failure`` is a gRPC status the plugin answers the engine with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagemaker_reconciler.local_compile.remote import RemoteDevices

__all__ = [
    "ReconcilerError",
    "Violation",
    "SpecError",
    "UnsupportedTarget",
    "UnsupportedFramework",
    "ManifestProblem",
    "ManifestError",
    "ConfigError",
    "ToolchainMissing",
    "MissingExtra",
    "AwsError",
    "NotFound",
    "Conflict",
    "LimitExceeded",
    "RequiresReplacement",
    "Vanished",
    "DeleteRefused",
    "TerminalState",
    "TuningFailed",
    "RemoteTuningFailed",
    "CreatedButFailed",
    "WaitTimeout",
    "CompileFailed",
    "VerificationFailed",
    "UnsafeArchive",
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


class UnsupportedTarget(SpecError):
    """The target exists in SageMaker but TVM cannot build for it on this machine."""

    def __init__(self, field_path: str, what: str, why: str):
        self.target = what
        rule = f"{what} cannot be compiled in local mode ({why}); use mode 'cloud' to compile it with SageMaker Neo"
        super().__init__("CompilationJob", [Violation(field_path, rule)])


class UnsupportedFramework(SpecError):
    """The framework is valid for SageMaker Neo but local mode cannot load it."""

    def __init__(self, framework: str, why: str):
        self.framework = framework
        rule = f"{framework} models cannot be compiled in local mode ({why}); use mode 'cloud' to compile them with SageMaker Neo"
        super().__init__("CompilationJob", [Violation("inputConfig.framework", rule)])


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


class ToolchainMissing(ConfigError):
    """The cross linker for the target is not installed."""


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


class RequiresReplacement(ReconcilerError):
    """An in-place update was asked of a change only a replacement can make; no call was sent.

    The engine and ``apply`` plan replacements themselves, so meeting this means the
    plan the caller acted on is stale (the live resource changed in between).
    """

    def __init__(self, resource: str, name: str, replaces: list[str] | tuple[str, ...]):
        self.resource = resource
        self.name = name
        self.replaces = list(replaces)
        what = ", ".join(self.replaces) or "the change"
        super().__init__(f"{resource} {name}: {what} cannot change in place; it needs a replacement")


class Vanished(ReconcilerError):
    """The resource was gone when the reconciler looked again (an update re-plans and finds nothing; a
    create's read-back finds nothing): the project's own finding, no service call was refused. The
    message keeps the form users already see (``<operation> <name> failed (NotFound): ...``)."""

    def __init__(self, operation: str, message: str, resource: str):
        self.operation = operation
        self.code = "NotFound"
        self.resource = resource
        super().__init__(f"{operation} {resource} failed (NotFound): {message}")


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


class CompileFailed(ReconcilerError):
    """Local mode: TVM rejected the model or the target; the message carries TVM's own error."""


class VerificationFailed(ReconcilerError):
    """Local mode: the artifact's outputs differ from onnxruntime's beyond the tolerance."""

    def __init__(
        self,
        max_abs_error: float,
        output_index: int,
        atol: float,
        rtol: float,
        *,
        max_rel_error: float = float("inf"),
        scale: float = 0.0,
        seed: int | None = None,
        why: str = "",
    ):
        self.max_abs_error = max_abs_error
        self.max_rel_error = max_rel_error
        self.output_index = output_index
        where = f" on the input of seed {seed}" if seed is not None else ""
        detail = why or (
            f"differs from onnxruntime by up to {max_abs_error:.3g} (relative to the output's magnitude "
            f"{scale:.3g}: {max_rel_error:.3g})"
        )
        super().__init__(
            f"verify failed: output {output_index} {detail}{where}; allowed: {atol:g} + {rtol:g} x magnitude"
        )


class UnsafeArchive(ReconcilerError):
    """A model archive was refused; nothing from it was left in the destination or written outside it."""


class CreatedButFailed(ReconcilerError):
    """The resource `name` exists although its create failed with `cause`; `outputs` describe it."""

    def __init__(self, name: str, cause: Exception, outputs: dict[str, Any]):
        self.name = name
        self.cause = cause
        self.outputs = outputs
        super().__init__(f"{cause} (the resource {name!r} was created nonetheless)")


class TuningFailed(ReconcilerError):
    """Every candidate of a tuning run failed to build or to measure: nothing was learned."""

    def __init__(self, failed: int, first_error: str):
        self.failed = failed
        self.first_error = first_error
        super().__init__(
            f"tuning failed: all {failed} candidates failed to build or measure; the first error: {first_error}"
        )


class RemoteTuningFailed(ReconcilerError):
    """Tuning could not measure on the tracker's devices; the message names the tracker and key."""

    def __init__(self, devices: RemoteDevices, problem: str, remedy: str = ""):
        self.devices = devices
        query = f"python -m tvm.exec.query_rpc_tracker --host {devices.host} --port {devices.port}"
        remedy = remedy or f"check the tracker and its devices with `{query}`"
        super().__init__(
            f"tuning through {devices.describe()}: {problem}; {remedy}. "
            "Trials already measured are kept: the next run continues from them"
        )
