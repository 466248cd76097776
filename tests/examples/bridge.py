"""Run a Pulumi program the way ``pulumi preview`` / ``pulumi up`` would, without the Pulumi CLI.

The program runs in-process under the SDK's mock monitor (``pulumi.runtime.set_mocks``)
and through ``run_in_stack``, the SDK's own entry point for the language host. Each
resource registration reaches ``_Engine.new_resource``, which plays the engine's part
against the REAL dynamic provider: it takes ``__provider`` from the registered inputs,
loads it as the SDK's dynamic-provider server does (base64 + ``dill.loads``, then
``configure`` with the stack config, cached per blob) and calls its ``check``, then
``create`` (up) or nothing more (preview), or ``diff`` against stored state (later runs).
Values cross a serialize/deserialize round trip wherever the engine puts a wire between
two steps, so the provider sees doubles for ints, no ``None`` keys, and Unknowns in previews.

Stack exports are what the program's root stack registers with ``RegisterResourceOutputs``,
captured by a MockMonitor subclass. State (id, checked inputs, outputs per resource) lives
on the ``BridgedStack`` between runs, like a backend's checkpoint; a failed ``up`` keeps
what it created before the error, and waits for steps already under way, as the engine does.

tests/engine_real runs the same programs through the real engine (the Pulumi CLI); what this
bridge assumes was checked there: the engine hands a dynamic provider the whole stack config with
namespaced keys, Check gets the old inputs ({} for a new resource, and again {} when a replacement is
re-checked), Diff the old outputs, ``changes=None`` makes the engine diff inputs itself, a preview
makes no provider call beyond Check/Diff, and a preview's outputs are the checked inputs (computed
outputs Unknown) for creates and updates alike.

Limits, compared with the engine:
- providers run in this process: the gRPC hop and the provider server's own process
  (it must import the provider) are covered by tests/engine, not here;
- only dynamic and component resources; invokes, reads/imports, provider resources and
  ``ResourceOptions`` semantics (protect, aliases, ignore_changes, replace_on_changes,
  custom timeouts, depends_on ordering beyond what outputs impose) are not modelled;
- an ``up`` that finds changes raises ``BridgeError`` instead of updating or replacing
  (a preview reports them as update/replace): the bridge creates, confirms "no changes",
  and deletes (resources dropped from the program, and ``destroy``);
- no refresh (the engine's refresh calls Read, then Diff with the refreshed outputs as olds and the
  program's old inputs as news, and reports an update unless that diff says none), no secret
  re-marking of outputs, deletes in reverse creation order rather
  than by dependencies, no parallelism limit; state keys are type + logical name.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import runpy
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dill
import pulumi
import yaml
from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime._serialization import _deserialize
from pulumi.runtime.stack import run_in_stack

__all__ = ["BridgeError", "BridgedStack", "ResourceState", "Run"]

PROVIDER_KEY = "__provider"
STACK_TYPE = "pulumi:pulumi:Stack"


class BridgeError(Exception):
    """Check failures, unsupported registrations, or an up that would change existing resources."""


@dataclass
class ResourceState:
    """One resource in the checkpoint: both bags keep ``__provider``, as the engine stores them."""

    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class Run:
    """One preview or up: the stack's exports (Unknowns in a preview), the step and checked inputs per resource."""

    exports: dict[str, Any]
    steps: dict[str, str]  # "type::name" -> create | same | update | replace | delete
    inputs: dict[str, dict[str, Any]]  # "type::name" -> the inputs check returned (what a preview would show)

    @property
    def changes(self) -> dict[str, str]:
        return {key: step for key, step in self.steps.items() if step != "same"}


def _wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """What the other side of a gRPC call sees: serialize as the SDK does, deserialize keeping Unknowns."""
    loop = asyncio.new_event_loop()
    try:
        struct = loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()
    return rpc.deserialize_properties(struct, keep_unknowns=True)


def _unsecret(props: Mapping[str, Any]) -> dict[str, Any]:
    """The engine strips secret markers before calling the provider; deserialization pushes them to the top level."""
    return {key: rpc.unwrap_rpc_secret(value) for key, value in props.items()}


class _Engine(pulumi.runtime.Mocks):
    """The engine's side of one run: registrations -> real provider calls -> new state."""

    def __init__(self, stack: BridgedStack, preview: bool):
        self.stack = stack
        self.preview = preview
        self.steps: dict[str, str] = {}
        self.inputs: dict[str, dict[str, Any]] = {}
        self.state: dict[str, ResourceState] = {}
        self._providers: dict[str, ResourceProvider] = {}
        self._lock = threading.Lock()  # registrations arrive on executor threads, concurrently

    def provider(self, blob: str) -> ResourceProvider:
        """Deserialize and configure once per distinct blob, as the dynamic provider server does."""
        with self._lock:
            if blob not in self._providers:
                provider = _deserialize(lambda: dill.loads(base64.b64decode(blob)))
                provider.configure(ConfigureRequest(Config(dict(self.stack.config), self.stack.project)))
                self._providers[blob] = provider
            return self._providers[blob]

    def call(self, args: mocks.MockCallArgs) -> tuple[dict, list | None]:
        raise BridgeError(f"invokes are not bridged: {args.token}")

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict]:
        key = f"{args.typ}::{args.name}"
        if args.resource_id:
            raise BridgeError(f"{key}: reads and imports (.get(), ResourceOptions.import_) are not bridged")
        if not args.custom:
            return "", {}  # a component: nothing to create
        news = _unsecret(args.inputs)
        if PROVIDER_KEY not in news:
            raise BridgeError(f"{key}: only dynamic resources are bridged")
        provider = self.provider(news[PROVIDER_KEY])
        old = self.stack.state.get(key)

        result = provider.check(dict(old.inputs) if old else {}, news)
        if result.failures:
            raise BridgeError(f"{key}: " + "; ".join(f"{f.property}: {f.reason}" for f in result.failures))
        checked = _wire({**result.inputs, PROVIDER_KEY: news[PROVIDER_KEY]})
        self.inputs[key] = checked

        if old is not None:
            diff = provider.diff(old.id, dict(old.outputs), checked)
            # changes=None: the engine compares old and new inputs itself, __provider included.
            changed = diff.changes if diff.changes is not None else old.inputs != checked
            if not changed:
                return self._record(key, "same", ResourceState(args.typ, old.id, checked, old.outputs))
            step = "replace" if diff.replaces else "update"
            if not self.preview:
                raise BridgeError(f"{key}: would {step} (replaces={diff.replaces}); the bridge does not apply changes")
            self.steps[key] = step
            return (old.id if step == "update" else ""), checked

        if self.preview:
            self.steps[key] = "create"
            return "", checked  # the engine's preview of a create: checked inputs, outputs unknown
        created = provider.create(_wire(checked))
        outputs = _wire({**(created.outs or {}), PROVIDER_KEY: news[PROVIDER_KEY]})
        return self._record(key, "create", ResourceState(args.typ, created.id, checked, outputs))

    def _record(self, key: str, step: str, resource: ResourceState) -> tuple[str, dict]:
        self.steps[key] = step
        self.state[key] = resource
        return resource.id, resource.outputs

    def delete(self, key: str, resource: ResourceState) -> None:
        """Delete runs the OLD blob, from state."""
        if not self.preview:
            self.provider(resource.outputs[PROVIDER_KEY]).delete(resource.id, dict(resource.outputs))
        self.steps[key] = "delete"


class _ExportsMonitor(mocks.MockMonitor):
    """The mock monitor, plus the root stack's outputs: what ``pulumi stack output`` would show."""

    exports: dict[str, Any] | None = None

    def RegisterResourceOutputs(self, request):
        if request.urn.split("::")[2] == STACK_TYPE:
            self.exports = _unsecret(rpc.deserialize_properties(request.outputs, keep_unknowns=True))
        return super().RegisterResourceOutputs(request)


class BridgedStack:
    """One stack of one Pulumi project directory; ``preview()``, ``up()`` and ``destroy()`` share its state.

    ``config`` keys without a namespace belong to the project, as with ``pulumi config set key value``.
    """

    def __init__(self, program_dir: Path | str, config: Mapping[str, str] | None = None, stack: str = "dev"):
        self.program_dir = Path(program_dir).resolve()
        self.project = yaml.safe_load((self.program_dir / "Pulumi.yaml").read_text())["name"]
        self.stack_name = stack
        self.config = {k if ":" in k else f"{self.project}:{k}": v for k, v in (config or {}).items()}
        self.state: dict[str, ResourceState] = {}

    def preview(self) -> Run:
        return self._run(preview=True)

    def up(self) -> Run:
        return self._run(preview=False)

    def destroy(self) -> dict[str, str]:
        """Delete every resource in state, last created first; returns the steps."""
        engine = _Engine(self, preview=False)
        with self._program_path():
            for key, resource in reversed(list(self.state.items())):
                engine.delete(key, resource)
                del self.state[key]
        return engine.steps

    def _run(self, preview: bool) -> Run:
        # A fresh context: the SDK keeps its settings, config and root stack in context variables.
        return contextvars.Context().run(self._run_in_context, preview)

    def _run_in_context(self, preview: bool) -> Run:
        engine = _Engine(self, preview)
        monitor = _ExportsMonitor(engine)
        # set_mocks would register a root stack of its own if none were set; run_in_stack makes the program's.
        settings.set_root_resource(object())
        pulumi.runtime.set_mocks(engine, project=self.project, stack=self.stack_name, preview=preview, monitor=monitor)
        settings.set_root_resource(None)
        pulumi.runtime.set_all_config(dict(self.config))

        main = str(self.program_dir / "__main__.py")
        loop = asyncio.new_event_loop()
        completed = False
        try:
            with self._program_path():
                try:
                    # The program as `__main__` in a fresh module namespace, as the language host runs it.
                    loop.run_until_complete(run_in_stack(lambda: runpy.run_path(main, run_name="__main__")))
                finally:  # as in the engine, steps already under way finish before the run ends
                    loop.run_until_complete(loop.shutdown_default_executor())
                for key in [k for k in self.state if k not in engine.steps]:
                    engine.delete(key, self.state[key])  # dropped from the program
            completed = True
        finally:
            loop.close()
            if not preview:  # the checkpoint: after a failure, what was created or deleted before it still counts
                kept = {} if completed else {k: v for k, v in self.state.items() if engine.steps.get(k) != "delete"}
                self.state = {**kept, **engine.state}
        return Run(exports=monitor.exports or {}, steps=engine.steps, inputs=engine.inputs)

    @contextlib.contextmanager
    def _program_path(self) -> Iterator[None]:
        """Like the language host: the program's directory is the cwd and first on sys.path.

        Modules imported from it are forgotten afterwards, so each run (and each example) imports afresh.
        """
        directory = str(self.program_dir)
        sys.path.insert(0, directory)
        try:
            with contextlib.chdir(directory):
                yield
        finally:
            sys.path.remove(directory)
            for name, module in list(sys.modules.items()):
                if str(getattr(module, "__file__", None) or "").startswith(directory + "/"):
                    del sys.modules[name]
