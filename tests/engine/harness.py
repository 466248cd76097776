"""Play the Pulumi engine against the SDK's real dynamic-provider gRPC server.

Faster than a run of the real engine (tests/engine_real drives the Pulumi CLI and checks the
facts this relies on), this does what the engine does: start
``python -u -m pulumi.dynamic`` (the command Pulumi's own
``pulumi-resource-pulumi-python`` shim runs), read the port it prints, call
``Configure`` once, then send Check/Diff/Create/Read/Update/Delete with Structs
built by the SDK's own serializer. Providers are thereby tested through the
real dill round-trip and the real wire values (floats, dropped ``None`` keys,
preview Unknowns) instead of by calling their methods directly.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import provider_pb2_grpc

__all__ = [
    "PROVIDER_KEY",
    "Diff",
    "EngineClient",
    "ProviderError",
    "decoded_provider_bytes",
    "make_urn",
    "serialized_provider",
    "without_provider",
]

PROVIDER_KEY = "__provider"
REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"

Provider = ResourceProvider | str
"""A provider instance, or a blob as stored in state (``serialize_provider`` output)."""

T = TypeVar("T")


class ProviderError(Exception):
    """A failed RPC. For provider exceptions ``details`` is the server's traceback."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str, stderr: str = ""):
        self.method = method
        self.code = code
        self.details = details
        lines = [line for line in details.strip().splitlines() if line.strip()]
        self.reason = lines[-1].strip() if lines else ""
        """Last traceback line, e.g. ``ValueError: boom``."""
        message = f"{method} failed: {self.reason}\n{details}"
        if code != grpc.StatusCode.UNKNOWN:  # not a provider exception: the server itself is in trouble
            message = f"{method} failed with gRPC {code.name}: {details}\n--- server stderr ---\n{stderr[-4000:]}"
        super().__init__(message)


@dataclass(frozen=True)
class Diff:
    """What the engine gets back from Diff: the SDK forwards only these three fields."""

    changes: str  # "DIFF_NONE" | "DIFF_SOME" | "DIFF_UNKNOWN"
    replaces: list[str]
    delete_before_replace: bool


def serialized_provider(provider: Provider) -> str:
    """The ``__provider`` string exactly as ``pulumi.dynamic.Resource`` stores it."""
    return provider if isinstance(provider, str) else serialize_provider(provider)


def decoded_provider_bytes(blob: str) -> bytes:
    """The dill pickle inside a blob; pickled ``str`` values appear in it as UTF-8."""
    return base64.b64decode(blob)


def without_provider(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` minus ``__provider``, for comparing outputs."""
    return {k: v for k, v in props.items() if k != PROVIDER_KEY}


def make_urn(name: str = "res", type_: str = DYNAMIC_TYPE, stack: str = "test", project: str = "test") -> str:
    """A URN shaped like the engine's; the dynamic server ignores it, but requests carry one."""
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


DEFAULT_URN = make_urn()


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run an SDK coroutine on a private loop, as the server itself does."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def _encode(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Serialize like the SDK: ints become doubles, ``None`` keys vanish, Unknown becomes ``rpc.UNKNOWN``."""
    return _run(rpc.serialize_properties(dict(props), {}))


def _decode(struct: struct_pb2.Struct, keep_unknowns: bool = False) -> dict[str, Any]:
    return rpc.deserialize_properties(struct, keep_unknowns)


def _with_old(props: Mapping[str, Any], blob: str) -> dict[str, Any]:
    """Old state carries the blob it was written with; keep one that is there, add ``blob`` otherwise.

    Empty bags stay empty: that is what Check sends as ``olds`` for a new resource.
    """
    if not props or PROVIDER_KEY in props:
        return dict(props)
    return {**props, PROVIDER_KEY: blob}


def _env(env: Mapping[str, str | None] | None, inherit: bool) -> dict[str, str]:
    """Child environment; a ``None`` value unsets a variable. Repo root and tests dir go on PYTHONPATH."""
    out = dict(os.environ) if inherit else {}
    for key, value in (env or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    paths = [str(REPO), str(TESTS)] + [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p]
    out["PYTHONPATH"] = os.pathsep.join(paths)
    return out


def _stop(proc: subprocess.Popen[bytes], channels: list[grpc.Channel], workdir: str) -> None:
    """Teardown, run once by ``weakref.finalize``: on close(), garbage collection or interpreter exit."""
    for channel in channels:
        channel.close()
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    shutil.rmtree(workdir, ignore_errors=True)


class EngineClient:
    """One provider server process plus the engine-side calls into it.

    Where a method takes ``provider`` it is put under ``__provider`` in the
    current bag (news / props), overriding any there, as the program's
    registration would. ``olds`` keep the ``__provider`` they carry, or get
    ``old_provider`` (default: ``provider``), because the engine's olds come
    from state. Returned bags still contain ``__provider``, as state does; use
    ``without_provider`` to compare them.
    """

    def __init__(
        self,
        env: Mapping[str, str | None] | None = None,
        config: Mapping[str, Any] | None = None,
        *,
        cwd: Path | str = REPO,
        inherit_env: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.timeout = timeout
        self._workdir = tempfile.mkdtemp(prefix="engine-")
        self._out = Path(self._workdir, "stdout")
        self._err = Path(self._workdir, "stderr")
        self._channels: list[grpc.Channel] = []
        started = time.perf_counter()
        # Files, not pipes: a chatty provider can never block on a full pipe.
        with open(self._out, "ab") as out, open(self._err, "ab") as err:
            self._proc = subprocess.Popen(
                [sys.executable, "-u", "-m", "pulumi.dynamic"],
                cwd=cwd,
                env=_env(env, inherit_env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._channels, self._workdir)
        try:
            self.port = self._read_port()
            self._channels.append(grpc.insecure_channel(f"127.0.0.1:{self.port}"))
            self._stub = provider_pb2_grpc.ResourceProviderStub(self._channels[0])
            self._configure(config or {})
        except BaseException:
            self.close()
            raise
        self.startup_seconds = time.perf_counter() - started

    # lifecycle

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel and end the server; safe to call twice."""
        self._finalizer()

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def stderr(self) -> str:
        """Everything the server wrote to stderr so far (provider logging, crashes)."""
        return self._err.read_text(errors="replace") if self._err.exists() else ""

    def stdout(self) -> str:
        """The port line plus anything the provider printed."""
        return self._out.read_text(errors="replace") if self._out.exists() else ""

    def _read_port(self) -> int:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            first, newline, _ = self._out.read_text().partition("\n")
            if newline:
                return int(first)
            if self._proc.poll() is not None:
                exited = f"server exited with {self._proc.returncode} before printing its port"
                raise ProviderError("start", grpc.StatusCode.UNAVAILABLE, exited, self.stderr())
            time.sleep(0.01)
        raise ProviderError("start", grpc.StatusCode.DEADLINE_EXCEEDED, "no port printed", self.stderr())

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self._stub, method)(request, timeout=self.timeout)
        except grpc.RpcError as e:
            details = e.details() or ""
            if self._proc.poll() is not None:
                details += f" (server exited with {self._proc.returncode})"
            raise ProviderError(method, e.code(), details, self.stderr()) from None

    # engine calls

    def _configure(self, config: Mapping[str, Any]) -> None:
        """Once per server, as the engine does. Keys are ``project:key``; the server reads only ``args``."""
        request = pb.ConfigureRequest(args=_encode(config), acceptSecrets=True, acceptResources=True)
        self._call("Configure", request)

    def check(
        self,
        provider: Provider,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_provider: Provider | None = None,
        urn: str = DEFAULT_URN,
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """``olds`` are the old inputs (``{}`` for a new resource); Unknowns in ``news`` survive."""
        blob = serialized_provider(provider)
        request = pb.CheckRequest(
            urn=urn,
            olds=_encode(_with_old(olds, serialized_provider(old_provider or blob))),
            news=_encode({**news, PROVIDER_KEY: blob}),
        )
        response = self._call("Check", request)
        return _decode(response.inputs, True), [(f.property, f.reason) for f in response.failures]

    def diff(
        self,
        provider: Provider,
        id: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_provider: Provider | None = None,
        urn: str = DEFAULT_URN,
    ) -> Diff:
        """``olds`` are the old OUTPUTS, as the engine sends them."""
        blob = serialized_provider(provider)
        request = pb.DiffRequest(
            id=id,
            urn=urn,
            olds=_encode(_with_old(olds, serialized_provider(old_provider or blob))),
            news=_encode({**news, PROVIDER_KEY: blob}),
        )
        response = self._call("Diff", request)
        return Diff(
            changes=pb.DiffResponse.DiffChanges.Name(response.changes),
            replaces=list(response.replaces),
            delete_before_replace=response.deleteBeforeReplace,
        )

    def create(
        self, provider: Provider, props: Mapping[str, Any], *, urn: str = DEFAULT_URN
    ) -> tuple[str, dict[str, Any]]:
        blob = serialized_provider(provider)
        request = pb.CreateRequest(urn=urn, properties=_encode({**props, PROVIDER_KEY: blob}))
        response = self._call("Create", request)
        return response.id, _decode(response.properties)

    def read(
        self,
        provider: Provider,
        id: str,
        props: Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        *,
        urn: str = DEFAULT_URN,
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Refresh: ``props`` are the old outputs, ``inputs`` the old inputs.

        The third item is ``None`` unless the provider returned inputs.
        """
        blob = serialized_provider(provider)
        request = pb.ReadRequest(id=id, urn=urn, properties=_encode({**props, PROVIDER_KEY: blob}))
        if inputs is not None:
            request.inputs.CopyFrom(_encode(_with_old(inputs, blob)))
        response = self._call("Read", request)
        new_inputs = _decode(response.inputs) if response.HasField("inputs") else None
        return response.id, _decode(response.properties), new_inputs

    def update(
        self,
        provider: Provider,
        id: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_provider: Provider | None = None,
        urn: str = DEFAULT_URN,
    ) -> dict[str, Any]:
        """Runs the NEW provider (``provider``); ``olds`` are the old outputs."""
        blob = serialized_provider(provider)
        request = pb.UpdateRequest(
            id=id,
            urn=urn,
            olds=_encode(_with_old(olds, serialized_provider(old_provider or blob))),
            news=_encode({**news, PROVIDER_KEY: blob}),
        )
        return _decode(self._call("Update", request).properties)

    def delete(self, provider: Provider, id: str, props: Mapping[str, Any], *, urn: str = DEFAULT_URN) -> None:
        """Runs the blob given, which in the engine is the OLD one from state."""
        properties = _encode({**props, PROVIDER_KEY: serialized_provider(provider)})
        self._call("Delete", pb.DeleteRequest(id=id, urn=urn, properties=properties))
