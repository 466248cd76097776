"""A stand-in `pulumi-language-python` that knows no packages, so `pulumi import` can run here.

`pulumi import` asks the project's language host which plugins the program needs before it imports
anything, even with --generate-code=false. The real Python host is a separate Go module the module
proxy here does not serve, and inline programs never need it, so the import tests put this on PATH
instead: it answers GetPluginInfo and GetRequiredPackages/GetRequiredPlugins with nothing (a
dynamic provider is bundled with the CLI), and nothing else. Started as the engine starts a
language plugin: it prints its port and serves until killed.
"""

from __future__ import annotations

import os
import stat
import sys
from concurrent import futures
from pathlib import Path
from threading import Event

import grpc
from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2

SCRIPT = """#!/bin/sh
exec "${{PULUMI_PYTHON_CMD:-python3}}" -u -m engine_real.import_language_host "$@"
"""


class _NoPackages(language_pb2_grpc.LanguageRuntimeServicer):
    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version="3.274.1")

    def GetRequiredPackages(self, request, context):
        return language_pb2.GetRequiredPackagesResponse()

    def GetRequiredPlugins(self, request, context):
        return language_pb2.GetRequiredPluginsResponse()


def install(directory: Path) -> Path:
    """Write the `pulumi-language-python` launcher into `directory` (put it first on PATH); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    launcher = directory / "pulumi-language-python"
    launcher.write_text(SCRIPT.format())
    launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return launcher


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(_NoPackages(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    try:
        Event().wait()
    except KeyboardInterrupt:  # the engine stops its plugins with SIGINT: end quietly, no traceback in its output
        server.stop(0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
