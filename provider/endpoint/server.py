"""Running the endpoint: a threaded werkzeug server on loopback, in a thread or in the foreground."""

from __future__ import annotations

import signal
import socket
import threading
import time
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EndpointApp, default_registry
from .control import EndpointControls
from .faults import DropConnection
from .moto_backend import MotoObjectStore, create_moto_app, reset_moto
from .state import Clock, EndpointState

__all__ = ["EmbeddedEndpoint", "serve_forever", "start_endpoint"]

LOOPBACK = "127.0.0.1"
_SHUTDOWN_POLL_SECONDS = 0.05
"""How often the serving loop checks for stop(); werkzeug's 0.5 s default slows every test session's end."""


class _QuietRequestHandler(WSGIRequestHandler):
    """No access line per request (tests make thousands); errors are still logged.

    An injected ``drop`` fault raises ``DropConnection`` from the app before anything is
    written; the socket is then shut down with no response at all, which botocore reports
    as ``ConnectionClosedError``.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        if isinstance(error, DropConnection):
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class EmbeddedEndpoint(EndpointControls):
    """The endpoint bound to its port: ``url`` for boto3's ``endpoint_url``, the test controls,
    ``start()``/``stop()``. ``start_endpoint()`` builds and starts one.

    ``clock`` (epoch seconds) is the time every resource sees, compilation jobs' life cycle
    included; ``advance_clock()`` moves it forward from there."""

    def __init__(self, port: int = 0, clock: Clock = time.time):
        state = EndpointState(clock=clock, object_store=MotoObjectStore())
        moto_app = create_moto_app()
        super().__init__(state, reset_moto=lambda: reset_moto(moto_app))
        app = EndpointApp(state, default_registry(), self, moto_app)
        self._server: BaseWSGIServer = make_server(
            LOOPBACK, port, app, threaded=True, request_handler=_QuietRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _SHUTDOWN_POLL_SECONDS},
            name=f"embedded-endpoint-{self.port}",
            daemon=True,
        )
        self._stopped = False

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> EmbeddedEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wait for requests in flight, release the port. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        self.clear_faults()  # cut slow faults short: shutdown waits for requests in flight
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()

    def __enter__(self) -> EmbeddedEndpoint:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


def start_endpoint(port: int = 0, clock: Clock = time.time) -> EmbeddedEndpoint:
    """Serve on 127.0.0.1:``port`` (0: any free port) from a daemon thread; returns once listening."""
    return EmbeddedEndpoint(port, clock=clock).start()


def serve_forever(port: int) -> None:
    """Serve in the foreground until SIGINT or SIGTERM; prints ``serving on <url>`` once listening."""
    stop_requested = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop_requested.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with start_endpoint(port) as endpoint:
            print(f"serving on {endpoint.url}", flush=True)
            stop_requested.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
