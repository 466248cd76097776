"""Tuning through TVM's RPC tracker: trials per minute with 1 vs 2 devices, and tuned/untuned latency on a device.

Starts ``python -m tvm.exec.rpc_tracker`` and ``python -m tvm.exec.rpc_server``
processes on 127.0.0.1 (x86 servers stand in for boards), tunes the
ResNet-style model of ``bench/local_compile.py`` through them with a fresh
database per run, and times the untuned and tuned artifacts on a device
through an RPC session (interleaved rounds, medians).

    python bench/rpc_tuning.py --trials 24
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_compile import _archive, resnet_style

KEY = "bench-board"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Pool:
    """A tracker plus N servers, each in its own process group, killed by id on close."""

    def __init__(self, servers: int, threads: int, logs: Path):
        from sagemaker_reconciler.local_compile.remote import RemoteDevices, check_devices

        self.processes: list[subprocess.Popen] = []
        self.port = _free_port()
        env = {**os.environ, "TVM_NUM_THREADS": str(threads)}
        self._start(
            ["tvm.exec.rpc_tracker", "--host", "127.0.0.1", "--port", str(self.port), "--port-end", str(self.port + 1)],
            env,
            logs / f"tracker-{self.port}.log",
        )
        time.sleep(3)
        for _ in range(servers):
            port = _free_port()
            self._start(
                [
                    "tvm.exec.rpc_server",
                    "--tracker",
                    f"127.0.0.1:{self.port}",
                    "--key",
                    KEY,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--port-end",
                    str(port + 1),
                ],
                env,
                logs / f"server-{port}.log",
            )
        self.devices = RemoteDevices("127.0.0.1", self.port, KEY, 120)
        deadline = time.monotonic() + 180
        while True:
            try:
                if check_devices(self.devices) == servers:
                    break
            except Exception:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("RPC servers did not register")
            time.sleep(1)

    def _start(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", *args],
                env=env,
                start_new_session=True,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
        )

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _remote_runner(session, name: str, artifact: Path, x: np.ndarray, workdir: Path):
    """Time ``main`` of an artifact on the session's device: upload model.so, run the Relax VM there."""
    import tvm

    target_dir = workdir / name
    with tarfile.open(artifact) as tar:
        tar.extractall(target_dir, filter="data")
    session.upload(str(target_dir / "model.so"), f"{name}.so")
    device = session.cpu()
    vm = tvm.relax.VirtualMachine(session.load_module(f"{name}.so"), device)
    arg = tvm.runtime.tensor(x, device)
    timer = vm.time_evaluator("main", device, number=10, repeat=3)
    return lambda: float(timer(arg).median)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--target", default="ml_c5")
    parser.add_argument("--threads", type=int, default=1, help="TVM threads per RPC server (this host has 2 cores)")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--servers", default="2,1,1,2", help="device counts to compare, run in this order")
    args = parser.parse_args(argv)

    from sagemaker_reconciler.local_compile import CompileRequest, TuningOptions, compile_model

    model = resnet_style()
    x = np.random.default_rng(1).standard_normal((1, 3, 224, 224)).astype(np.float32)
    with tempfile.TemporaryDirectory(prefix="bench-rpc-tuning-") as tmp:
        workdir = Path(tmp)
        archive = _archive(model, workdir / "model.tar.gz")

        def request(trials: int, devices, db: Path) -> CompileRequest:
            tuning = TuningOptions(
                trials=trials, database_dir=db, remote=devices if trials else None, apply_database=trials > 0
            )
            return CompileRequest(
                archive, "ONNX", {"input": [1, 3, 224, 224]}, target_device=args.target, tuning=tuning
            )

        print(
            f"ResNet-style model, target {args.target}, {args.trials} trials, {args.threads} TVM thread(s) per server"
        )
        tuned = None
        pool = None
        counts = [int(n) for n in args.servers.split(",")]
        rates: dict[int, list[float]] = {}
        for index, count in enumerate(counts):  # interleaved, each run with a fresh database
            pool = Pool(count, args.threads, workdir)
            try:
                result = compile_model(
                    request(args.trials, pool.devices, workdir / f"db-{index}"), cache_dir=workdir / f"cache-{index}"
                )
            finally:
                if index != len(counts) - 1:
                    pool.close()
            per_minute = 60 * result.trials_done / max(result.tuning_seconds, 1e-9)
            rates.setdefault(count, []).append(per_minute)
            print(
                f"run {index + 1}, {count} device(s): {result.trials_done} trials in {result.tuning_seconds:.1f} s "
                f"= {per_minute:.1f} trials/min; schedules {result.manifest['tuning'].get('schedules')}",
                flush=True,
            )
            tuned = result
        for count, values in sorted(rates.items()):
            print(f"{count} device(s): median {float(np.median(values)):.1f} trials/min over {len(values)} run(s)")
        assert pool is not None and tuned is not None
        try:
            untuned = compile_model(request(0, None, workdir / "db-none"), cache_dir=workdir / "cache-untuned")
            from sagemaker_reconciler.local_compile.remote import request_session

            session, where = request_session(pool.devices)
            run_untuned = _remote_runner(session, "untuned", untuned.artifact, x, workdir)
            run_tuned = _remote_runner(session, "tuned", tuned.artifact, x, workdir)
            pairs = []
            for _ in range(args.rounds):
                pairs.append((run_untuned(), run_tuned()))
            u = float(np.median([p[0] for p in pairs]))
            t = float(np.median([p[1] for p in pairs]))
            ratio = float(np.median([p[1] / p[0] for p in pairs]))
            print(
                f"latency on {where} through the tracker: untuned {u * 1e3:.2f} ms, tuned {t * 1e3:.2f} ms, "
                f"tuned/untuned {ratio:.2f}x ({args.rounds} interleaved rounds, medians)"
            )
        finally:
            pool.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
