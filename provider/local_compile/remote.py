"""Measuring tuning candidates on devices registered with TVM's RPC tracker.

A board runs TVM's own ``python -m tvm.exec.rpc_server --tracker HOST:PORT
--key KEY``; the tracker hands each measurement session a free server under
the key.  What goes to a board: one compiled candidate library (a ``.so``,
cross-linked here with the target's Debian toolchain, so the board needs no
compiler), inputs filled with random numbers on the board, and TVM's time
evaluator.  Never the model archive, never the artifact.

MetaSchedule's own ``RPCRunner`` spreads the candidates over the devices.  This
module adds only what the project needs around it: a check that the tracker
answers and has devices under the key (errors name both), a session factory
that remembers which device served each measurement (progress per device) and
gives up when the queue never serves one, and a cross-linking export for the
builder.  tvm is imported lazily; worker processes import this module by name.
"""

from __future__ import annotations

import functools
import os
import socket
import struct
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagemaker_reconciler.errors import RemoteTuningFailed

__all__ = [
    "RemoteDevices",
    "RemoteTuningFailed",
    "DeviceLog",
    "check_devices",
    "request_session",
    "export_candidate",
    "make_rpc_runner",
    "measure_remote",
]

_CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class RemoteDevices:
    """The devices registered under ``key`` with the tracker at ``host:port``."""

    host: str
    port: int
    key: str
    session_timeout: int = 60

    @property
    def tracker(self) -> str:
        return f"{self.host}:{self.port}"

    def describe(self) -> str:
        return f"RPC tracker {self.tracker}, device key {self.key!r}"


def _tracker_socket(devices: RemoteDevices, timeout: float) -> socket.socket:
    from tvm.rpc import base

    try:
        sock = socket.create_connection((devices.host, devices.port), timeout=_CONNECT_TIMEOUT)
    except OSError as exc:
        raise RemoteTuningFailed(
            devices,
            f"the tracker cannot be reached ({exc.strerror or exc})",
            f"start it with `python -m tvm.exec.rpc_tracker --host 0.0.0.0 --port {devices.port}` "
            "(pip install 'apache-tvm[rpc]'), or remove tuning.tracker to measure on this host",
        ) from None
    try:
        sock.sendall(struct.pack("<i", base.RPC_TRACKER_MAGIC))
        magic = struct.unpack("<i", base.recvall(sock, 4))[0]
    except OSError as exc:
        sock.close()
        raise RemoteTuningFailed(devices, f"the tracker did not answer ({exc})") from None
    if magic != base.RPC_TRACKER_MAGIC:
        sock.close()
        raise RemoteTuningFailed(devices, "that address is not a TVM RPC tracker")
    sock.settimeout(timeout)
    return sock


def check_devices(devices: RemoteDevices) -> int:
    """The number of servers registered under the key; raises when the tracker is down or has none."""
    from tvm.rpc import base

    sock = _tracker_socket(devices, _CONNECT_TIMEOUT)
    try:
        base.sendjson(sock, [base.TrackerCode.SUMMARY])
        reply = base.recvjson(sock)
    except OSError as exc:
        raise RemoteTuningFailed(devices, f"the tracker did not answer ({exc})") from None
    finally:
        sock.close()
    servers = [s for s in reply[1].get("server_info", []) if s.get("key") == f"server:{devices.key}"]
    if not servers:
        raise RemoteTuningFailed(
            devices,
            "no device is registered under that key",
            f"start one on each board with `python -m tvm.exec.rpc_server --tracker {devices.tracker} "
            f"--key {devices.key}`",
        )
    return len(servers)


def request_session(devices: RemoteDevices, attempts: int = 3) -> tuple[Any, str]:
    """A session on a free device under the key, and that device's ``host:port``.

    Asks the tracker as ``TrackerSession.request`` does, but keeps the address
    it answers with and waits at most ``session_timeout`` for a free device.
    A device that dropped out but is still listed is skipped by asking again.
    """
    from tvm import rpc
    from tvm.rpc import base

    last_error = ""
    for _ in range(attempts):
        sock = _tracker_socket(devices, devices.session_timeout)
        try:
            base.sendjson(sock, [base.TrackerCode.REQUEST, devices.key, "", 1])
            reply = base.recvjson(sock)
        except TimeoutError:
            check_devices(devices)  # gone altogether says so; else they are all busy
            raise RemoteTuningFailed(
                devices,
                f"no device under the key became free within {devices.session_timeout} s",
                "free a device, start another, or raise tuning.sessionTimeout",
            ) from None
        except OSError as exc:
            last_error = f"the tracker dropped the request ({exc})"
            continue
        finally:
            sock.close()
        if reply[0] != base.TrackerCode.SUCCESS:
            last_error = f"the tracker refused the request ({reply})"
            continue
        host, port, match_key = reply[1]
        try:
            return rpc.connect(host, port, match_key, devices.session_timeout), f"{host}:{port}"
        except Exception as exc:  # a device that dropped out: the tracker hands out another one
            last_error = f"device {host}:{port} did not accept the session ({str(exc).splitlines()[0]})"
    raise RemoteTuningFailed(devices, last_error)


@dataclass(frozen=True)
class DeviceLog:
    """One line per finished measurement naming its device; appended by runner worker processes."""

    path: Path

    @classmethod
    def create(cls, directory: Path) -> DeviceLog:
        directory.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix="devices-", suffix=".log", dir=directory)
        os.close(handle)
        return cls(Path(name))

    def record(self, address: str) -> None:
        with open(self.path, "a", encoding="utf-8") as handle:  # one short O_APPEND write per line
            handle.write(address + "\n")

    def counts(self) -> Counter[str]:
        try:
            return Counter(line for line in self.path.read_text().splitlines() if line)
        except OSError:
            return Counter()

    def summary(self) -> str:
        return ", ".join(f"{device} x{n}" for device, n in sorted(self.counts().items()))


def export_candidate(mod: Any, cross_compiler: str | None) -> str:
    """A candidate as a linked ``.so`` (cross-linked for ARM), so the device needs no compiler."""
    directory = tempfile.mkdtemp(prefix="candidate-")
    path = os.path.join(directory, "candidate.so")
    if cross_compiler:
        mod.export_library(path, cc=cross_compiler)
    else:
        mod.export_library(path)
    return path


def _create_session(devices: RemoteDevices, _rpc_config: Any) -> Any:
    session, address = request_session(devices)
    session.device_address = address
    return session


def _evaluate_and_record(log: DeviceLog, session: Any, rt_mod: Any, device: Any, config: Any, args: Any) -> list[float]:
    from tvm.s_tir.meta_schedule.runner.rpc_runner import default_run_evaluator

    costs = default_run_evaluator(session, rt_mod, device, config, args)
    log.record(getattr(session, "device_address", "?"))
    return costs


def make_rpc_runner(devices: RemoteDevices, evaluator_config: Any, log: DeviceLog, workers: int) -> Any:
    """MetaSchedule's RPCRunner over the key's devices, one session per device at a time."""
    from tvm.s_tir import meta_schedule as ms
    from tvm.support.popen_pool import PopenPoolExecutor

    runner = ms.runner.RPCRunner(
        rpc_config=ms.runner.RPCConfig(
            tracker_host=devices.host,
            tracker_port=devices.port,
            tracker_key=devices.key,
            session_timeout_sec=devices.session_timeout,
        ),
        evaluator_config=evaluator_config,
        f_create_session=functools.partial(_create_session, devices),
        f_run_evaluator=functools.partial(_evaluate_and_record, log),
        max_workers=workers,
    )
    # Backstop: a worker stuck past queue wait + session is killed and the candidate counts as failed.
    runner.pool = PopenPoolExecutor(max_workers=workers, timeout=3 * devices.session_timeout + 30)
    return runner


def measure_remote(
    library: Any,
    params: list[Any],
    devices: RemoteDevices,
    log: DeviceLog,
    cross_compiler: str | None,
    min_repeat_ms: int,
) -> float:
    """Median seconds of a compiled single-function library on one device (random inputs filled there)."""
    import numpy as np
    import tvm

    path = export_candidate(library, cross_compiler)
    session, address = request_session(devices)
    remote_name = f"template-{os.getpid()}-{time.monotonic_ns()}.so"
    session.upload(path, remote_name)
    remote_lib = session.load_module(remote_name)
    device = session.cpu()
    rng = np.random.default_rng(0)
    args = [
        tvm.runtime.tensor(rng.standard_normal([int(d) for d in p.shape]).astype(str(p.dtype)), device) for p in params
    ]
    timer = remote_lib.time_evaluator("main", device, number=3, repeat=3, min_repeat_ms=min_repeat_ms)
    seconds = float(timer(*args).median)
    log.record(address)
    return seconds
