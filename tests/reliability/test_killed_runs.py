"""A provider process killed in the middle of a create: the next run finishes the job, it does not duplicate it.

The provider runs in the SDK's real dynamic-provider server (``tests/engine/harness.py``),
as the engine runs it. The first server is killed (SIGKILL) while its Create is
in flight: the engine then has no record of the resource, so the next ``pulumi up``
checks and creates it again, from empty olds. With a fixed name that second
Create meets the first one's resource and adopts it.

(With an auto-generated name the second run draws a new name, so a resource the
killed run created stays behind: dynamic providers cannot report a partial
create to the engine. See the reliability notes in the report.)
"""

from __future__ import annotations

import os
import signal
import threading
import time

import boto3

from sagemaker_reconciler import CompilationJobProvider, WorkteamProvider
from tests.engine.harness import ProviderError, without_provider
from tests.unit.test_compilation_job_spec import job
from tests.unit.workteam_samples import cognito_team

from .conftest import attempts, endpoint_env


def create_in_background(server, provider, props) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.create(provider, props)
        except ProviderError as error:
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def wait_until(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def kill(server) -> None:
    os.kill(server.pid, signal.SIGKILL)
    wait_until(lambda: not server.running, "the provider server to die")


def test_a_workteam_create_killed_after_the_call_went_through_is_adopted_by_the_next_run(env, engine_factory):
    # The service creates the team, then its answer is held back until the provider is dead.
    env.inject_fault("slow", "CreateWorkteam", count=1, phase="after", delay_seconds=60)
    first = engine_factory(env=endpoint_env(env.url))
    inputs, failures = first.check(WorkteamProvider(), {}, cognito_team())
    assert failures == []
    thread, errors = create_in_background(first, WorkteamProvider(), inputs)
    sagemaker = boto3.client("sagemaker")
    wait_until(lambda: sagemaker.list_workteams()["Workteams"], "the first run's team")
    kill(first)
    thread.join(10)
    assert errors and not thread.is_alive(), "the killed run's Create never returned a result"
    env.clear_faults()

    second = engine_factory(env=endpoint_env(env.url))
    inputs, failures = second.check(WorkteamProvider(), {}, cognito_team())  # not in state: empty olds
    team_id, outs = second.create(WorkteamProvider(), inputs)
    assert team_id == "team-a" and without_provider(outs)["arn"].endswith("/team-a")
    assert attempts(env, "CreateWorkteam") == ["slow", None]  # the second answered ResourceInUse: adopted
    assert [t["WorkteamName"] for t in sagemaker.list_workteams()["Workteams"]] == ["team-a"]
    assert second.diff(WorkteamProvider(), team_id, outs, inputs).changes == "DIFF_NONE"


def test_a_compilation_job_create_killed_while_waiting_is_adopted_by_the_next_run(env, model, engine_factory):
    env.set_compilation_timing(starting_seconds=0, compiling_seconds=600)  # the spec allows 900 s
    first = engine_factory(env=endpoint_env(env.url))
    inputs, failures = first.check(CompilationJobProvider(), {}, job())
    assert failures == []
    thread, errors = create_in_background(first, CompilationJobProvider(), inputs)
    wait_until(lambda: any(r.operation == "DescribeCompilationJob" for r in env.requests), "the first run's wait")
    kill(first)
    thread.join(10)
    assert errors
    env.advance_clock(600)

    second = engine_factory(env=endpoint_env(env.url))
    inputs, _ = second.check(CompilationJobProvider(), {}, job())
    job_id, outs = second.create(CompilationJobProvider(), inputs)
    assert job_id == "resnet-ml-c5" and outs["status"] == "COMPLETED"
    s3 = boto3.client("s3")
    s3.head_object(Bucket="models", Key="compiled/resnet-ml_c5.tar.gz")  # the artifact is there
    summaries = boto3.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]
    assert [j["CompilationJobName"] for j in summaries] == ["resnet-ml-c5"]
    assert attempts(env, "CreateCompilationJob") == [None, None]
