"""The `tuning` input of a local-mode CompilationJob: the budget (trials, minutes), and where trials are measured.

Absent `tracker`, candidates are measured on this host (only x86 targets it can
run).  With `tracker` and `deviceKey`, they are measured on the boards that
TVM's RPC server registered under that key, which is how an ARM target gets
tuned at all.  `tuningTrials` stays as the short form of `tuning.trials`.
`maxMinutes` caps the tuning in wall-clock time (alone: as many trials as fit).

Pure: the check rules import no tvm (the target table and `shutil.which` only).
"""

from __future__ import annotations

import platform
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, StrictFloat, StrictInt, model_validator

from sagemaker_reconciler.errors import Violation
from sagemaker_reconciler.specs._base import Model, check_pattern

if TYPE_CHECKING:
    from sagemaker_reconciler.local_compile.targets import ResolvedTarget

__all__ = ["Tuning", "TuningSettings", "parse_tracker", "tuning_settings", "tuning_violations"]

DEFAULT_SESSION_TIMEOUT = 60
MAX_TUNING_MINUTES = 1440


def parse_tracker(value: str) -> tuple[str, int]:
    """`host:port` (`[v6]:port` for IPv6) -> (host, port); ValueError says what is wrong."""
    host, sep, port = value.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not sep or not host or not (port.isascii() and port.isdigit()):
        raise ValueError(f"must be host:port, e.g. 10.0.0.5:9190 (got {value!r})")
    if not 1 <= int(port) <= 65535:
        raise ValueError(f"port must be 1-65535 (got {port})")
    check_pattern(host, r"[A-Za-z0-9.\-:]{1,253}", "host must be a host name or an IP address")
    return host, int(port)


def _tracker(value: str) -> str:
    parse_tracker(value)
    return value


class Tuning(Model):
    """Local mode: the tuning budget and where candidates are measured (absent: this host)."""

    trials: Annotated[StrictInt, Field(ge=0, le=100_000)] = 0
    """The tuning budget in measured trials (0 = the default schedules, no tuning; with `maxMinutes`:
    as many as fit); the tuning database is reused across compiles, so a workload already tuned
    costs nothing."""
    max_minutes: Annotated[StrictFloat, Field(ge=0, le=MAX_TUNING_MINUTES)] = 0
    """The tuning budget in wall-clock minutes (0 = no time cap), checked between measurement
    batches: tuning stops at whichever of `trials` and `maxMinutes` comes first; alone, it tunes
    as many trials as fit. What a time-capped run finds depends on this machine's speed and load."""
    tracker: Annotated[str, Field(max_length=260), AfterValidator(_tracker)] | None = None
    """`host:port` of a TVM RPC tracker (`python -m tvm.exec.rpc_tracker`): candidates are
    measured on the devices registered with it under `deviceKey`. Absent: measured on this host."""
    device_key: (
        Annotated[
            str,
            Field(min_length=1, max_length=64),
            AfterValidator(
                lambda v: check_pattern(v, r"[A-Za-z0-9._\-]+", "may contain only letters, digits, '.', '_' and '-'")
            ),
        ]
        | None
    ) = None
    """The key the boards' RPC servers registered under (`--key`); needs `tracker`."""
    session_timeout: Annotated[StrictInt, Field(ge=1, le=3600)] = DEFAULT_SESSION_TIMEOUT
    """Seconds one measurement session on a device may take, and how long a measurement waits for
    a free device, before it counts as failed."""

    @model_validator(mode="after")
    def _tracker_and_key_together(self) -> Tuning:
        if (self.tracker is None) != (self.device_key is None):
            raise ValueError(
                "tracker and deviceKey go together: the tracker hands out the devices registered under the key"
            )
        return self


@dataclass(frozen=True)
class TuningSettings:
    """`tuning` and `tuningTrials` merged: what the compile needs."""

    trials: int = 0
    tracker: str | None = None
    device_key: str | None = None
    session_timeout: int = DEFAULT_SESSION_TIMEOUT
    max_minutes: float | None = None

    @property
    def tuned(self) -> bool:
        """A budget of either kind asks for tuning."""
        return self.trials > 0 or self.max_minutes is not None


def tuning_settings(tuning: Tuning | None, tuning_trials: int) -> TuningSettings:
    if tuning is None:
        return TuningSettings(trials=tuning_trials)
    return TuningSettings(
        tuning.trials or tuning_trials,
        tuning.tracker,
        tuning.device_key,
        tuning.session_timeout,
        float(tuning.max_minutes) if tuning.max_minutes else None,
    )


def _budget_field(tuning: Tuning | None) -> str:
    if tuning is not None and tuning.trials:
        return "tuning.trials"
    if tuning is not None and tuning.max_minutes:
        return "tuning.maxMinutes"
    return "tuningTrials"


def tuning_violations(tuning: Tuning | None, tuning_trials: int, target: ResolvedTarget) -> list[Violation]:
    """Local-mode rules: one budget, a tracker only for targets built here, a budget only where it can be measured."""
    found: list[Violation] = []
    if tuning is not None and tuning.trials and tuning_trials:
        found.append(Violation("tuningTrials", "is the short form of tuning.trials: set the budget in one place"))
    settings = tuning_settings(tuning, tuning_trials)
    if settings.tracker is not None:
        if target.is_cuda:
            found.append(
                Violation(
                    "tuning.tracker",
                    f"{target.label} is a CUDA target: local mode builds it with "
                    "DLight's GPU schedules and does not tune it; remove tuning.tracker, or use mode: cloud",
                )
            )
        elif target.cross_compiler is not None and shutil.which(target.cross_compiler) is None:
            found.append(
                Violation(
                    "tuning.tracker",
                    f"candidates for {target.label} are cross-linked on this host with "
                    f"{target.cross_compiler}, which is not installed: apt-get install "
                    f"{target.debian_package}, or remove tuning.tracker",
                )
            )
        return found
    if settings.tuned and target.is_cuda:
        found.append(
            Violation(
                _budget_field(tuning),
                f"{target.label} is a CUDA target, which local mode does not "
                "tune: set the budget to 0 (and maxMinutes to 0), or use mode: cloud",
            )
        )
    elif settings.tuned and not (target.runs_on_this_kind_of_machine and platform.machine() in ("x86_64", "AMD64")):
        found.append(
            Violation(
                _budget_field(tuning),
                f"{target.label} code cannot run on this host, so a tuning "
                "budget has nothing to measure on: set tuning.tracker and tuning.deviceKey to measure "
                f"on {target.label} devices registered with a TVM RPC tracker, or set the budget to 0 (and maxMinutes to 0)",
            )
        )
    return found
