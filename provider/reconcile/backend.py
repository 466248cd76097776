"""The one interface every front end drives a resource through (gitops, the dynamic providers, the plugin).

A backend is built once per resource and request from its spec (a CompilationJob's
``mode`` picks the cloud or the local backend there, in ``sagemaker_reconciler.registry``),
so no caller branches on the kind or the mode, as httpx's client never branches on
its transport. Decisions stay in ``plan/``; a backend only observes and acts.

``Clients`` builds a gateway on first use, one per thread; ``BackendOptions`` carries
what the caller decides about waiting and telling (backoff, a bound on any wait,
a sink for progress lines) instead of each front end patching the reconcilers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.plan.model import Plan
from sagemaker_reconciler.waiters import Backoff

__all__ = ["Backend", "BackendOptions", "Clients", "Live", "Refreshed", "Adjust"]

Adjust = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
"""(desired, live props) -> the desired props to plan with (the plugin puts live values where the
program ignores changes)."""


@dataclass(frozen=True)
class BackendOptions:
    config: AwsConfig = field(default_factory=AwsConfig)
    backoff: Backoff = field(default_factory=Backoff)
    """How a create waits for a compilation job (tests and the demo shorten it)."""
    timeout: float | None = None
    """The caller's own bound on any one wait, in seconds (the plugin's request timeout); None: none."""
    progress: Callable[[str], None] | None = None
    """Told what the backend decided on its own (a FAILED job recreated, an artifact kept, compile stages)."""


class Clients(threading.local):
    """One SageMaker gateway and one object store per thread, built on first use."""

    def __init__(self, config: AwsConfig):
        self.config = config
        self._sagemaker: SageMakerGateway | None = None
        self._objects: ObjectStore | None = None

    @property
    def sagemaker(self) -> SageMakerGateway:
        if self._sagemaker is None:
            self._sagemaker = SageMakerGateway(self.config)
        return self._sagemaker

    @property
    def objects(self) -> ObjectStore:
        if self._objects is None:
            self._objects = ObjectStore(self.config)
        return self._objects


@dataclass(frozen=True)
class Live:
    """What the live resource says against the desired inputs, at diff time."""

    gone: bool = False
    """Deleted out of band: it is recreated (deleting the old one is then a no-op)."""
    plan: Plan | None = None
    """The desired inputs planned against the live resource, when the backend can describe it."""
    props: dict[str, Any] | None = None
    """The live resource as properties (what an ignored input takes)."""
    redo: tuple[str, ...] = ()
    """Live facts no input expresses that make the resource be made again, one sentence each."""


@dataclass(frozen=True)
class Refreshed:
    """A read: the live inputs and outputs (refresh resets drift, import adopts it)."""

    spec_props: dict[str, Any]
    outputs: dict[str, Any]
    flag: str
    """The provider-only boolean input kept from state (forceDelete, deleteArtifacts)."""
    kept: Mapping[str, Any] | None = None
    """Other inputs the service does not echo, with the default an import takes."""
    inputs: dict[str, Any] | None = None
    """Set when the backend has no live resource to read inputs from: the stored inputs, as they are."""


class Backend(Protocol):
    """observe -> plan -> act for one resource; every method takes camelCase properties or the spec."""

    def plan(self, spec: Any) -> tuple[Plan, Any]:
        """Stateless: find the resource by its name, plan the spec against it (the CLI)."""
        ...

    def apply(self, spec: Any, plan: Plan, observed: Any) -> dict[str, Any]:
        """Carry out a stateless plan; the spec's props plus the outputs."""
        ...

    def live(
        self,
        name: str,
        desired: dict[str, Any],
        stored: Mapping[str, Any],
        *,
        adjust: Adjust | None = None,
        program_replaces: bool = False,
    ) -> Live:
        """Diff: the desired inputs (may hold UNKNOWN) against the live resource; `stored` the state."""
        ...

    def live_props(self, name: str, *, tags: bool) -> dict[str, Any] | None:
        """The live resource as properties, or None (gone, or nothing to describe)."""
        ...

    def create(self, spec: Any) -> dict[str, Any]:
        """Create and wait; a failure after the resource exists is a CreatedButFailed."""
        ...

    def discard(self, spec: Any) -> None:
        """Remove what a failed create left behind (an auto-named resource would be orphaned)."""
        ...

    def update(self, spec: Any, stored: Mapping[str, Any]) -> dict[str, Any]:
        """The in-place part of a change; refuses what only a replacement makes."""
        ...

    def read(self, name: str, stored: Mapping[str, Any]) -> Refreshed | None:
        """Refresh or import; None when it is gone."""
        ...

    def delete(self, name: str, stored: Mapping[str, Any]) -> None:
        """Delete; already gone is success."""
        ...
