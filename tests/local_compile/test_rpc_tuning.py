"""Tuning measured on devices behind TVM's RPC tracker (issue 15), and honest tuning budgets (issue 14).

The devices are TVM's own ``python -m tvm.exec.rpc_server`` processes on
127.0.0.1 registered with a real ``python -m tvm.exec.rpc_tracker``; x86 servers
stand in for boards.  Each server logs ``load_module`` for every library a
client loads on it, which is how the tests see where measurements ran.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.local_compile import CompileRequest, TuningOptions, compile_model, verify_artifact
from sagemaker_reconciler.local_compile import tuning as tuning_module
from sagemaker_reconciler.local_compile.remote import RemoteDevices, RemoteTuningFailed
from sagemaker_reconciler.local_compile.tuning import TuningFailed
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job

SHAPES = '{"image": [1, 3, 32, 32]}'
BUDGET = 8
pytest.importorskip("tornado", reason="TVM's RPC tracker needs tornado (the test extra installs it)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Devices:
    """A tracker and RPC servers on 127.0.0.1, each its own process group (killed by id at the end)."""

    def __init__(self, directory: Path, key: str):
        self.directory = directory
        self.key = key
        self.port = _free_port()
        self.processes: list[subprocess.Popen] = []
        self.servers: dict[str, tuple[subprocess.Popen, Path]] = {}
        self.tracker = self._start(
            "tracker",
            ["tvm.exec.rpc_tracker", "--host", "127.0.0.1", "--port", str(self.port), "--port-end", str(self.port + 1)],
        )
        self._wait(lambda: self._summary() is not None, "the tracker to listen")

    def _start(self, name: str, args: list[str], python: str = sys.executable) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "w")
        process = subprocess.Popen(
            [python, "-m", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "TVM_NUM_THREADS": "1"},
        )
        self.processes.append(process)
        return process

    def _summary(self) -> dict | None:
        from tvm import rpc

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                pass
            return rpc.connect_tracker("127.0.0.1", self.port).summary()
        except (OSError, RuntimeError):
            return None

    def registered(self) -> list[str]:
        summary = self._summary() or {}
        return [
            f"{s['addr'][0]}:{s['addr'][1]}" for s in summary.get("server_info", []) if s["key"] == f"server:{self.key}"
        ]

    @staticmethod
    def _wait(condition, what: str, seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.5)

    def start_server(self, python: str = sys.executable, wait: float = 180) -> str:
        port = _free_port()
        address = f"127.0.0.1:{port}"
        process = self._start(
            f"server-{port}",
            [
                "tvm.exec.rpc_server",
                "--tracker",
                f"127.0.0.1:{self.port}",
                "--key",
                self.key,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--port-end",
                str(port + 1),
            ],
            python,
        )
        self.servers[address] = (process, self.directory / f"server-{port}.log")
        self._wait(lambda: address in self.registered(), f"server {address} to register", wait)
        return address

    def measurements(self, address: str) -> int:
        return self.servers[address][1].read_text().count("load_module")

    def kill(self, address: str) -> None:
        process = self.servers[address][0]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        self._wait(lambda: address not in self.registered(), f"the tracker to drop {address}", 60)

    def remote(self, session_timeout: int = 20) -> RemoteDevices:
        return RemoteDevices("127.0.0.1", self.port, self.key, session_timeout)

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def devices(tmp_path):
    pool = Devices(tmp_path, "x86-stand-in")
    yield pool
    pool.close()


def _request(archive: Path, remote: RemoteDevices | None, db: Path, trials: int = BUDGET) -> CompileRequest:
    return CompileRequest(
        archive,
        "ONNX",
        SHAPES,
        target_device="ml_c5",
        tuning=TuningOptions(trials=trials, database_dir=db, remote=remote),
    )


def _records(db: Path) -> int:
    files = list(db.glob("*/database_tuning_record.json"))
    return sum(len(f.read_text().splitlines()) for f in files)


# --- through the tracker ------------------------------------------------------------------------


@pytest.mark.slow
def test_two_devices_share_the_trials_the_artifact_verifies_and_a_second_compile_reuses_the_database(
    devices, convnet_archive, tmp_path
):
    first, second = devices.start_server(), devices.start_server()
    reports = []
    request = _request(convnet_archive, devices.remote(), tmp_path / "db")
    result = compile_model(request, cache_dir=tmp_path / "cache-a", progress=reports.append)

    assert devices.measurements(first) > 0 and devices.measurements(second) > 0
    assert 0 < result.trials_done <= BUDGET  # the budget holds (issue 14: "64 asked, 67 ran")
    assert result.manifest["tuning"]["measured_on"] == {
        "tracker": f"127.0.0.1:{devices.port}",
        "device_key": "x86-stand-in",
    }
    per_device = [r.detail for r in reports if r.stage == "tune" and "measured on" in r.detail]
    assert any(first in d for d in per_device) and any(second in d for d in per_device)
    assert verify_artifact(result.artifact, convnet_archive, result.target).max_abs_error < 1e-4

    before = devices.measurements(first) + devices.measurements(second)
    again = compile_model(request, cache_dir=tmp_path / "cache-b")  # cold artifact cache, warm database
    assert not again.cache_hit and again.trials_done == 0
    assert devices.measurements(first) + devices.measurements(second) == before
    assert verify_artifact(again.artifact, convnet_archive, again.target).max_abs_error < 1e-4


@pytest.mark.slow
def test_a_device_killed_mid_run_leaves_the_run_to_the_other(devices, convnet_archive, tmp_path):
    doomed, survivor = devices.start_server(), devices.start_server()
    killed_at = {}

    def progress(event):  # after the first measurement, with the template search and MetaSchedule to come
        if not killed_at and event.stage == "tune" and event.trials_done >= 1:
            devices.kill(doomed)
            killed_at["survivor"] = devices.measurements(survivor)

    result = compile_model(
        _request(convnet_archive, devices.remote(), tmp_path / "db"), cache_dir=tmp_path / "cache", progress=progress
    )
    assert killed_at, "the run measured nothing"
    assert devices.measurements(survivor) > killed_at["survivor"]
    assert 0 < result.trials_done <= BUDGET
    assert verify_artifact(result.artifact, convnet_archive, result.target).max_abs_error < 1e-4


@pytest.mark.slow
def test_losing_every_device_fails_naming_tracker_and_key_and_the_next_run_continues(
    devices, convnet_archive, tmp_path
):
    only = devices.start_server()
    db = tmp_path / "db"
    request = _request(convnet_archive, devices.remote(session_timeout=10), db)

    def progress(event):
        if event.stage == "tune" and event.trials_done >= 2 and devices.servers[only][0].poll() is None:
            devices.kill(only)

    with pytest.raises(RemoteTuningFailed) as failed:
        compile_model(request, cache_dir=tmp_path / "cache", progress=progress)
    message = str(failed.value)
    assert f"127.0.0.1:{devices.port}" in message and "'x86-stand-in'" in message
    spent = max(v["trials"] for p in db.glob("*/progress.json") for v in json.loads(p.read_text()).values())
    assert spent >= 2  # what was measured before the loss is on disk

    devices.start_server()
    resumed = compile_model(request, cache_dir=tmp_path / "cache")
    assert resumed.trials_done <= BUDGET - spent  # continued, not started over
    assert verify_artifact(resumed.artifact, convnet_archive, resumed.target).max_abs_error < 1e-4
    assert not any(json.loads(p.read_text()) for p in db.glob("*/progress.json"))  # the run is finished


@pytest.mark.slow
def test_a_tracker_that_is_down_fails_fast_naming_tracker_and_key(convnet_archive, tmp_path):
    port = _free_port()
    started = time.monotonic()
    with pytest.raises(RemoteTuningFailed, match=rf"127\.0\.0\.1:{port}.*'boards'.*cannot be reached"):
        compile_model(
            _request(convnet_archive, RemoteDevices("127.0.0.1", port, "boards", 30), tmp_path / "db"),
            cache_dir=tmp_path / "cache",
        )
    assert time.monotonic() - started < 60
    assert _records(tmp_path / "db") == 0


@pytest.mark.slow
def test_a_key_with_no_device_says_how_to_register_one(devices, convnet_archive, tmp_path):
    with pytest.raises(RemoteTuningFailed, match=r"no device is registered under that key.*rpc_server --tracker"):
        compile_model(_request(convnet_archive, devices.remote(), tmp_path / "db"), cache_dir=tmp_path / "cache")


AARCH64_VARIABLE = "SAGEMAKER_RECONCILER_AARCH64_RPC_PYTHON"
REQUIRE_AARCH64_VARIABLE = "SAGEMAKER_RECONCILER_REQUIRE_AARCH64_BOARD"


def _aarch64_python() -> str:
    """The board's Python; without one the test skips, except where CI requires the board (then it fails)."""
    python = os.environ.get(AARCH64_VARIABLE, "")
    if python and os.access(python, os.X_OK):
        return python
    reason = (
        f"no aarch64 RPC server here: {AARCH64_VARIABLE} "
        + (f"names {python!r}, which is not an executable file" if python else "is unset")
        + "; `./dev aarch64-board` provisions an aarch64 Python that imports apache-tvm (qemu-user on a Debian "
        "arm64 root) and `./dev test` exports it, see README"
    )
    if os.environ.get(REQUIRE_AARCH64_VARIABLE):
        pytest.fail(f"{REQUIRE_AARCH64_VARIABLE} is set but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.mark.slow
def test_an_aarch64_board_is_tuned_through_the_tracker(tmp_path, convnet_archive):
    import tarfile

    python = _aarch64_python()
    pool = Devices(tmp_path, "rasp4b-qemu")
    try:
        board = pool.start_server(python=python, wait=600)  # tvm imports slowly under emulation
        request = CompileRequest(
            convnet_archive,
            "ONNX",
            SHAPES,
            target_device="rasp4b",
            tuning=TuningOptions(trials=4, database_dir=tmp_path / "db", remote=pool.remote(session_timeout=300)),
        )
        result = compile_model(request, cache_dir=tmp_path / "cache")
        assert pool.measurements(board) > 0 and 0 < result.trials_done <= 4
        with tarfile.open(result.artifact) as tar:
            library = tar.extractfile("model.so").read()
        assert library[:4] == b"\x7fELF" and int.from_bytes(library[18:20], "little") == 183  # EM_AARCH64
    finally:
        pool.close()


# --- failed candidates are counted, not silently skipped (issue 14) --------------------------------


@pytest.mark.slow
def test_a_run_whose_candidates_all_fail_says_so_with_the_count_and_the_first_error(
    convnet_archive, tmp_path, monkeypatch
):
    def broken(self, func, min_repeat_ms=40):
        raise RuntimeError("candidate crashed: illegal instruction")

    monkeypatch.setattr(tuning_module.Measurer, "seconds", broken)
    monkeypatch.setattr(tuning_module, "_metaschedule", lambda *args, **kwargs: 0)
    with pytest.raises(TuningFailed, match=r"all \d+ candidates failed.*illegal instruction"):
        compile_model(_request(convnet_archive, None, tmp_path / "db", trials=4), cache_dir=tmp_path / "cache")


@pytest.mark.slow
def test_some_failed_candidates_are_reported_in_the_progress_and_the_manifest(convnet_archive, tmp_path, monkeypatch):
    real = tuning_module.Measurer.seconds
    calls = []

    def flaky(self, func, min_repeat_ms=40):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("measure timed out")
        return real(self, func, min_repeat_ms)

    monkeypatch.setattr(tuning_module.Measurer, "seconds", flaky)
    monkeypatch.setattr(tuning_module, "_metaschedule", lambda *args, **kwargs: 0)
    reports = []
    result = compile_model(
        _request(convnet_archive, None, tmp_path / "db", trials=4),
        cache_dir=tmp_path / "cache",
        progress=reports.append,
    )
    assert result.manifest["tuning"]["failed_trials"] == 1
    assert "measure timed out" in result.manifest["tuning"]["first_failure"]
    assert any("1 of" in r.detail and "failed to build or measure" in r.detail for r in reports)


# --- the `tuning` input and its check rules (no tvm) -----------------------------------------------


def _job(target: str = "ml_c5", **props) -> dict:
    return {
        "compilationJobName": "tuned",
        "roleArn": "arn:aws:iam::123456789012:role/neo",
        "mode": "local",
        "inputConfig": {"s3Uri": "file:///m/model.tar.gz", "framework": "ONNX", "dataInputConfig": SHAPES},
        "outputConfig": {"s3OutputLocation": "file:///out", "targetDevice": target},
        **props,
    }


def _violations(props: dict) -> dict[str, str]:
    with pytest.raises(SpecError) as failed:
        parse_compilation_job(props)
    return {v.field: v.rule for v in failed.value.violations}


def test_a_tracker_and_key_are_accepted_for_an_arm_board_and_tuning_trials_stays_the_short_form():
    spec = parse_compilation_job(
        _job("rasp4b", tuning={"trials": 64, "tracker": "10.0.0.5:9190", "deviceKey": "rasp4b"})
    )
    assert spec.tuning.tracker == "10.0.0.5:9190" and spec.tuning.session_timeout == 60
    assert parse_compilation_job(_job(tuningTrials=16)).tuning_trials == 16
    assert "tuning" not in json.dumps(spec.to_create_request())


def test_a_budget_for_a_board_with_no_tracker_names_both_ways_out():
    rule = _violations(_job("rasp4b", tuning={"trials": 64}))["tuning.trials"]
    assert "tuning.tracker" in rule and "budget to 0" in rule
    assert "tuning.tracker" in _violations(_job("rk3399", tuningTrials=8))["tuningTrials"]


def test_a_tracker_for_a_cuda_target_is_refused():
    rule = _violations(_job("jetson_nano", tuning={"trials": 8, "tracker": "h:9190", "deviceKey": "nano"}))
    assert "CUDA" in rule["tuning.tracker"] and "remove tuning.tracker" in rule["tuning.tracker"]


def test_a_tracker_for_a_target_whose_cross_linker_is_missing_is_refused(monkeypatch):
    import sagemaker_reconciler.specs.tuning as spec_tuning

    monkeypatch.setattr(spec_tuning.shutil, "which", lambda name: None)
    rule = _violations(_job("rasp4b", tuning={"trials": 8, "tracker": "h:9190", "deviceKey": "pi"}))["tuning.tracker"]
    assert "aarch64-linux-gnu-g++" in rule and "apt-get install g++-aarch64-linux-gnu" in rule


@pytest.mark.parametrize(
    "tuning, field, words",
    [
        ({"trials": 8, "tracker": "h:9190"}, "tuning", "deviceKey go together"),
        ({"trials": 8, "deviceKey": "pi"}, "tuning", "deviceKey go together"),
        ({"trials": 8, "tracker": "no-port", "deviceKey": "pi"}, "tuning.tracker", "host:port"),
        ({"trials": 8, "tracker": "h:70000", "deviceKey": "pi"}, "tuning.tracker", "1-65535"),
        ({"trials": 8, "tracker": "h:9190", "deviceKey": "pi 4"}, "tuning.deviceKey", "letters, digits"),
        ({"trials": -1}, "tuning.trials", "at least 0"),
        ({"trials": 8, "sessionTimeout": 0}, "tuning.sessionTimeout", "at least 1"),
    ],
)
def test_bad_tuning_inputs_name_the_field_and_the_rule(tuning, field, words):
    rules = _violations(_job(tuning=tuning))
    assert words in rules[field], rules


def test_one_budget_in_one_place_and_none_in_cloud_mode():
    assert "one place" in _violations(_job(tuningTrials=8, tuning={"trials": 8}))["tuningTrials"]
    cloud = {
        **_job(tuning={"trials": 8}),
        "mode": "cloud",
        "inputConfig": {"s3Uri": "s3://m/model.tar.gz", "framework": "ONNX", "dataInputConfig": SHAPES},
        "outputConfig": {"s3OutputLocation": "s3://out", "targetDevice": "ml_c5"},
    }
    assert "mode: local" in _violations(cloud)["tuning"]


def test_a_plan_replaces_an_artifact_tuned_on_another_kind_of_device(tmp_path, convnet_archive):
    from sagemaker_reconciler.plan.model import Action
    from sagemaker_reconciler.reconcile.local_compile import LocalCompiler
    from tests.local_compile.models import publish_manifest_only

    def job(key: str) -> dict:
        return {
            **_job(tuning={"trials": 8, "tracker": "127.0.0.1:9190", "deviceKey": key}),
            "inputConfig": {"s3Uri": f"file://{convnet_archive}", "framework": "ONNX", "dataInputConfig": SHAPES},
            "outputConfig": {"s3OutputLocation": f"file://{tmp_path}", "targetDevice": "ml_c5"},
        }

    publish_manifest_only(
        parse_compilation_job(job("pi4")),
        convnet_archive,
        {"trials_requested": 8, "measured_on": {"tracker": "127.0.0.1:9190", "device_key": "pi4"}},
    )
    assert LocalCompiler().plan(parse_compilation_job(job("pi4"))).action is Action.NOOP
    plan = LocalCompiler().plan(parse_compilation_job(job("jetson-cpu")))
    assert plan.replaces == ["tuning"]
    assert plan.changes[0].old == "pi4" and plan.changes[0].new == "jetson-cpu"
