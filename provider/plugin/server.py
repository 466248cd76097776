"""The ResourceProvider gRPC service: one thin method per RPC over check / diff / crud.

Launch: the engine runs ``pulumi-resource-sagemaker-reconciler [flags] <engine address>``
and reads one line, the port, from stdout; then Handshake (which pins secrets off,
resource references as ids and autonaming support), GetPluginInfo, CheckConfig,
Configure, and per resource Check / Diff / Create / Read / Update / Delete.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent import futures
from importlib import metadata
from types import SimpleNamespace
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    plugin_pb2,
    provider_pb2_grpc,
)
from pulumi.runtime.proto import provider_pb2 as pb

from sagemaker_reconciler.plugin.errors import Failure, PartialFailure, failure_for

__all__ = ["ProviderServicer", "plugin_version", "serve"]

R = TypeVar("R")
_KIND = {
    ("add", False): pb.PropertyDiff.ADD,
    ("add", True): pb.PropertyDiff.ADD_REPLACE,
    ("delete", False): pb.PropertyDiff.DELETE,
    ("delete", True): pb.PropertyDiff.DELETE_REPLACE,
    ("update", False): pb.PropertyDiff.UPDATE,
    ("update", True): pb.PropertyDiff.UPDATE_REPLACE,
}
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024)]


_CORE_LOCK = threading.Lock()
_CORE: SimpleNamespace | None = None


def core() -> SimpleNamespace:
    """check / diff / crud and what they import (pulumi.dynamic, boto3, the planners), loaded once.

    ``serve`` starts loading them right after the port line, beside the engine's Handshake and
    configuration; a request that needs them waits for that one load (never a second, concurrent
    import: CPython 3.11 can fail compiling modules from two threads at once).
    """
    global _CORE
    with _CORE_LOCK:
        if _CORE is None:
            from sagemaker_reconciler import registry, resource_types, schema
            from sagemaker_reconciler.plugin import check, config, crud, diff, wire
            from sagemaker_reconciler.reconcile.created import CreatedButFailed

            _CORE = SimpleNamespace(
                check=check,
                config=config,
                crud=crud,
                diff=diff,
                registry=registry,
                wire=wire,
                resource_types=resource_types,
                schema=schema,
                CreatedButFailed=CreatedButFailed,
            )
        return _CORE


def plugin_version() -> str:
    """The version the plugin was packed as (its install directory's), else the installed package's."""
    try:
        # written into the tarball by `plugin-pack`
        from sagemaker_reconciler.plugin._packed import VERSION  # type: ignore[import-not-found]

        return str(VERSION)
    except ImportError:
        pass
    try:
        return metadata.version("sagemaker-reconciler")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def decode(struct: Any) -> dict[str, Any]:
    return core().wire.decode(struct)


def encode(props: Any) -> Any:
    return core().wire.encode(props)


def resource_kind(urn: str, type_: str = "") -> Any:
    """The resource type a request is about (its ``type``, else its URN's), or an error listing the valid ones."""
    types = core().resource_types
    token = type_ or (urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else "")
    kind = types.resource_type_for(token)
    if kind is None:
        valid = ", ".join(t.token for t in types.all_types())
        raise Failure(grpc.StatusCode.INVALID_ARGUMENT, f"unknown resource type {token!r}; valid types: {valid}")
    return kind


class ProviderServicer(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(self, engine_address: str | None = None):
        self._engine_address = engine_address
        self._engine: engine_pb2_grpc.EngineStub | None = None
        self._settings: dict[str, Any] = {}

    # --- plumbing ---------------------------------------------------------------------------------

    def _answer(self, context: grpc.ServicerContext, what: str, body: Callable[[], R]) -> R:
        try:
            return body()
        except Exception as exc:
            failure: Failure = failure_for(exc, what)
            if _CORE is not None and isinstance(exc, _CORE.CreatedButFailed):
                failure = PartialFailure(str(exc), exc.name, exc.outputs, exc.outputs)
        context.abort_with_status(failure.status())
        raise AssertionError("abort_with_status returns only by raising")

    def _log(self, urn: str, lines: list[str]) -> None:
        """Say why a diff found changes (drift or program edit) in the engine's own output."""
        if not lines or not self._engine_address:
            return
        try:
            if self._engine is None:
                self._engine = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._engine_address))
            for line in lines:
                self._engine.Log(engine_pb2.LogRequest(severity=engine_pb2.INFO, message=line, urn=urn), timeout=5)
        except grpc.RpcError as exc:
            print(f"sagemaker-reconciler: engine log unavailable: {exc}", file=sys.stderr)

    def _sayer(self, urn: str) -> Callable[[str], None]:
        return lambda line: self._log(urn, [line])

    # --- plugin and configuration ----------------------------------------------------------------

    def Handshake(self, request: pb.ProviderHandshakeRequest, context: Any) -> pb.ProviderHandshakeResponse:
        self._engine_address = request.engine_address or self._engine_address
        return pb.ProviderHandshakeResponse(
            accept_secrets=False, accept_resources=False, accept_outputs=False, supports_autonaming_configuration=True
        )

    def Attach(self, request: Any, context: Any) -> empty_pb2.Empty:
        self._engine_address = request.address or self._engine_address
        return empty_pb2.Empty()

    def GetPluginInfo(self, request: Any, context: Any) -> plugin_pb2.PluginInfo:
        return plugin_pb2.PluginInfo(version=plugin_version())

    def GetSchema(self, request: pb.GetSchemaRequest, context: Any) -> pb.GetSchemaResponse:
        def body() -> pb.GetSchemaResponse:
            import json

            # Through the one load: importing the spec models here while `serve`'s loader thread imports
            # them too can meet a partially initialised module.
            schema = {**core().schema.package_schema(), "version": plugin_version()}
            return pb.GetSchemaResponse(schema=json.dumps(schema))

        return self._answer(context, "GetSchema", body)

    def CheckConfig(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        def body() -> pb.CheckResponse:
            news = decode(request.news)
            failures = [pb.CheckFailure(property=v.field, reason=v.rule) for v in core().config.check_config(news)]
            return pb.CheckResponse(inputs=request.news, failures=failures)

        return self._answer(context, "CheckConfig", body)

    def DiffConfig(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        def body() -> pb.DiffResponse:
            olds, news = decode(request.old_inputs or request.olds), decode(request.news)
            moved = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k) and k != "version")
            return pb.DiffResponse(
                changes=pb.DiffResponse.DIFF_SOME if moved else pb.DiffResponse.DIFF_NONE, diffs=moved
            )

        return self._answer(context, "DiffConfig", body)

    def Configure(self, request: pb.ConfigureRequest, context: Any) -> pb.ConfigureResponse:
        def body() -> pb.ConfigureResponse:
            config = core().config
            settings = {**config.from_variables(request.variables), **decode(request.args)}
            problems = config.check_config(settings)
            if problems:
                raise Failure(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "invalid sagemaker-reconciler configuration: " + "; ".join(map(str, problems)),
                )
            self._settings = settings
            return pb.ConfigureResponse(
                acceptSecrets=False,
                supportsPreview=True,
                acceptResources=False,
                acceptOutputs=False,
                supports_autonaming_configuration=True,
            )

        return self._answer(context, "Configure", body)

    def Cancel(self, request: Any, context: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()

    # --- resources --------------------------------------------------------------------------------

    def Check(self, request: pb.CheckRequest, context: Any) -> pb.CheckResponse:
        def body() -> pb.CheckResponse:
            kind = resource_kind(request.urn, request.type)
            proposal = None
            if request.HasField("autonaming"):
                proposal = (request.autonaming.mode, request.autonaming.proposed_name)
            checking = core().check
            checked = checking.check(
                kind,
                decode(request.olds),
                decode(request.news),
                name=checking.logical_name(request.urn, request.name),
                seed=bytes(request.randomSeed),
                proposal=proposal,
            )
            failures = [pb.CheckFailure(property=v.field, reason=v.rule) for v in checked.failures]
            return pb.CheckResponse(inputs=encode(checked.inputs), failures=failures)

        return self._answer(context, "Check", body)

    def Diff(self, request: pb.DiffRequest, context: Any) -> pb.DiffResponse:
        def body() -> pb.DiffResponse:
            kind = resource_kind(request.urn, request.type)
            olds, news, ignore = decode(request.olds), decode(request.news), list(request.ignoreChanges)
            backend = core().crud.provider_for(kind, self._settings).backend(news, olds)
            outcome = core().registry.entry_for(kind).plugin_diff()(backend, request.id, olds, news, ignore)
            self._log(request.urn, outcome.explanations)
            return _diff_response(outcome)

        return self._answer(context, "Diff", body)

    def Create(self, request: pb.CreateRequest, context: Any) -> pb.CreateResponse:
        def body() -> pb.CreateResponse:
            kind = resource_kind(request.urn, request.type)
            done = core().crud.create(
                kind,
                self._settings,
                decode(request.properties),
                timeout=request.timeout,
                preview=request.preview,
                say=self._sayer(request.urn),
            )
            return pb.CreateResponse(id=done.id, properties=encode(done.properties))

        return self._answer(context, "Create", body)

    def Read(self, request: pb.ReadRequest, context: Any) -> pb.ReadResponse:
        def body() -> pb.ReadResponse:
            kind = resource_kind(request.urn, request.type)
            done = core().crud.read(
                kind, self._settings, request.id, decode(request.properties), decode(request.inputs)
            )
            if not done.id:
                # Gone: no properties at all. The engine takes only that as "does not exist"; an empty
                # map would be imported (or refreshed) as a resource with no properties.
                return pb.ReadResponse()
            return pb.ReadResponse(id=done.id, properties=encode(done.properties), inputs=encode(done.inputs or {}))

        return self._answer(context, "Read", body)

    def Update(self, request: pb.UpdateRequest, context: Any) -> pb.UpdateResponse:
        def body() -> pb.UpdateResponse:
            kind = resource_kind(request.urn, request.type)
            done = core().crud.update(
                kind,
                self._settings,
                request.id,
                decode(request.olds),
                decode(request.news),
                ignore=list(request.ignoreChanges),
                timeout=request.timeout,
                preview=request.preview,
                say=self._sayer(request.urn),
            )
            return pb.UpdateResponse(properties=encode(done.properties))

        return self._answer(context, "Update", body)

    def Delete(self, request: pb.DeleteRequest, context: Any) -> empty_pb2.Empty:
        def body() -> empty_pb2.Empty:
            kind = resource_kind(request.urn, request.type)
            core().crud.delete(kind, self._settings, request.id, decode(request.properties), timeout=request.timeout)
            return empty_pb2.Empty()

        return self._answer(context, "Delete", body)


def _diff_response(outcome: Any) -> pb.DiffResponse:
    detailed = {
        path: pb.PropertyDiff(kind=_KIND[(entry.kind, entry.replace)], inputDiff=entry.input_diff)
        for path, entry in outcome.detailed.items()
    }
    return pb.DiffResponse(
        changes=pb.DiffResponse.DIFF_SOME if outcome.changes else pb.DiffResponse.DIFF_NONE,
        replaces=outcome.replaces,
        diffs=outcome.diffs,
        detailedDiff=detailed,
        hasDetailedDiff=True,
        deleteBeforeReplace=outcome.delete_before_replace,
    )


def serve(argv: list[str], out: Any = sys.stdout) -> None:
    """Listen on a free local port, print it (the engine reads that line), serve until stopped."""
    engine_address = argv[-1] if argv and not argv[-1].startswith("-") else None
    servicer = ProviderServicer(engine_address)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16), options=_GRPC_OPTIONS)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    out.write(f"{port}\n")
    out.flush()
    threading.Thread(target=core, name="load-core", daemon=True).start()
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:  # the engine's SIGINT at shutdown
        server.stop(grace=1)
