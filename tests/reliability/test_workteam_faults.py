"""A Workteam's life under injected faults: retried with backoff, or a clear error the next run repairs.

The reconciler runs unchanged (botocore standard retries, 9 attempts); only botocore's
sleep is recorded instead of slept (``retry_delays``). What went over the wire is read
back from the endpoint's request log, one entry per attempt.
"""

from __future__ import annotations

import time

import boto3
import pytest

from sagemaker_reconciler.aws import SageMakerGateway
from sagemaker_reconciler.errors import AwsError, Conflict, ReconcilerError
from sagemaker_reconciler.plan import Action
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.unit.workteam_samples import cognito_team

from .conftest import MAX_ATTEMPTS, WRITES, attempts

KINDS = ("throttling", "internal", "unavailable", "drop")
SPEC = parse_workteam(cognito_team())
EDITED = parse_workteam(cognito_team(description="Labels street scenes at night", tags={"team": "vision", "x": "1"}))


def reconciler() -> WorkteamReconciler:
    return WorkteamReconciler(SageMakerGateway())


def live_teams() -> list[str]:
    return [t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"]]


def lifecycle() -> None:
    """What a stack's life does to one team: create, no-op plan, in-place update (+ tags), delete."""
    r = reconciler()
    r.create(SPEC)
    assert r.plan(SPEC)[0].action is Action.NOOP
    r.update(EDITED)
    assert r.plan(EDITED)[0].action is Action.NOOP
    r.delete(SPEC.workteam_name)
    assert r.observe(SPEC.workteam_name) is None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "operation",
    [
        "CreateWorkteam",
        "DescribeWorkteam",
        "UpdateWorkteam",
        "DeleteWorkteam",
        "ListTags",
        "AddTags",
        "ListLabelingJobsForWorkteam",
    ],
)
def test_transient_faults_on_any_call_are_retried_with_backoff_and_the_run_completes(
    env, retry_delays, operation, kind
):
    env.inject_fault(kind, operation, count=2)
    lifecycle()
    tried = attempts(env, operation)
    assert tried[:3] == [kind, kind, None], tried
    assert [attempt for attempt, _ in retry_delays] == [1, 2], "botocore backed off before each retry"
    assert all(seconds > 0 for _, seconds in retry_delays)
    assert live_teams() == []


def test_a_persistent_fault_on_create_is_a_clear_error_and_the_next_run_creates_once(env):
    env.inject_fault("unavailable", "CreateWorkteam")
    with pytest.raises(AwsError) as raised:
        reconciler().create(SPEC)
    error = raised.value
    assert isinstance(error, ReconcilerError)
    assert (error.operation, error.code, error.resource) == ("CreateWorkteam", "ServiceUnavailable", "team-a")
    assert str(error).startswith("CreateWorkteam team-a failed (ServiceUnavailable):")
    assert attempts(env, "CreateWorkteam") == ["unavailable"] * MAX_ATTEMPTS
    assert live_teams() == []

    env.clear_faults()
    plan, _ = reconciler().plan(SPEC)
    assert plan.action is Action.CREATE
    reconciler().create(SPEC)
    assert live_teams() == ["team-a"]


@pytest.mark.parametrize("kind", ["drop", "internal", "unavailable"])
def test_a_create_whose_answer_was_lost_is_adopted_not_duplicated(env, kind):
    # The first attempt creates the team but its answer never arrives; botocore's retry gets ResourceInUse.
    env.inject_fault(kind, "CreateWorkteam", count=1, phase="after")
    outputs = reconciler().create(SPEC)
    assert outputs["arn"].endswith(":workteam/private-crowd/team-a") and outputs["subdomain"]
    assert attempts(env, "CreateWorkteam") == [kind, None]
    assert live_teams() == ["team-a"]
    assert reconciler().plan(SPEC)[0].action is Action.NOOP


def test_a_different_team_under_the_name_is_still_a_conflict(env):
    boto3.client("sagemaker").create_workteam(
        WorkteamName="team-a",
        Description="someone else's",
        MemberDefinitions=SPEC.to_create_request()["MemberDefinitions"],
    )
    env.clear_requests()
    differs = r"already exists; import it .*differs in description, notificationConfiguration"
    with pytest.raises(Conflict, match=differs):
        reconciler().create(SPEC)
    assert not [r for r in env.requests if r.operation in WRITES - {"CreateWorkteam"}], "the other team is untouched"
    live = boto3.client("sagemaker").describe_workteam(WorkteamName="team-a")["Workteam"]
    assert live["Description"] == "someone else's"


def test_describe_failing_after_the_create_leaves_a_team_the_next_run_adopts(env):
    # The create went through, then every Describe failed: the run errors, Pulumi records nothing.
    env.inject_fault("throttling", "DescribeWorkteam")
    with pytest.raises(AwsError, match=r"DescribeWorkteam team-a failed \(ThrottlingException\)"):
        reconciler().create(SPEC)
    assert attempts(env, "DescribeWorkteam") == ["throttling"] * MAX_ATTEMPTS

    env.clear_faults()
    outputs = reconciler().create(SPEC)  # the next run creates again: adopted
    assert outputs["arn"].endswith("/team-a")
    assert attempts(env, "CreateWorkteam") == [None, None]
    assert live_teams() == ["team-a"]


def test_a_persistent_fault_on_update_leaves_the_old_team_and_the_next_run_updates(env):
    reconciler().create(SPEC)
    env.inject_fault("throttling", "UpdateWorkteam")
    with pytest.raises(AwsError, match=r"UpdateWorkteam team-a failed \(ThrottlingException\)"):
        reconciler().update(EDITED)
    plan, _ = reconciler().plan(EDITED)
    assert plan.action is Action.UPDATE  # nothing half-done is hidden: the whole change is still planned
    env.clear_faults()
    reconciler().update(EDITED)
    assert reconciler().plan(EDITED)[0].action is Action.NOOP


def test_a_persistent_fault_on_delete_leaves_the_team_for_the_next_run(env):
    reconciler().create(SPEC)
    env.inject_fault("internal", "DeleteWorkteam")
    with pytest.raises(AwsError, match=r"DeleteWorkteam team-a failed \(InternalFailure\)"):
        reconciler().delete("team-a")
    assert live_teams() == ["team-a"]
    env.clear_faults()
    reconciler().delete("team-a")
    assert live_teams() == []


def test_a_delete_whose_answer_was_lost_is_still_a_success(env):
    reconciler().create(SPEC)
    env.inject_fault("drop", "DeleteWorkteam", count=1, phase="after")
    reconciler().delete("team-a")  # the retry says it does not exist: that is success
    assert live_teams() == []
    assert attempts(env, "DeleteWorkteam") == ["drop", None]


def test_dropped_connections_that_persist_are_a_project_error_not_a_botocore_one(env):
    env.inject_fault("drop", "DescribeWorkteam")
    with pytest.raises(AwsError) as raised:
        reconciler().plan(SPEC)
    assert (raised.value.operation, raised.value.code) == ("DescribeWorkteam", "ConnectionClosedError")


def test_slow_responses_only_slow_the_run_down(env):
    env.inject_fault("slow", "DescribeWorkteam", count=2, delay_seconds=0.2)
    started = time.monotonic()
    lifecycle()
    assert time.monotonic() - started >= 0.4
    assert attempts(env, "DescribeWorkteam")[:2] == ["slow", "slow"]


def test_a_flaky_service_with_seeded_faults_on_every_call_still_converges(env):
    for kind, seed in (("throttling", 1), ("unavailable", 2), ("drop", 3)):
        env.inject_fault(kind, "*", probability=0.1, seed=seed)
    names = [f"team-{i}" for i in range(6)]
    r = reconciler()
    for name in names:
        r.create(parse_workteam(cognito_team(workteamName=name)))
    for name in names:
        spec = parse_workteam(cognito_team(workteamName=name, description="edited"))
        r.update(spec)
        assert r.plan(spec)[0].action is Action.NOOP
    env.clear_faults()
    assert sorted(live_teams()) == names
    env.inject_fault("throttling", "*", probability=0.1, seed=4)
    for name in names:
        r.delete(name)
    env.clear_faults()
    assert live_teams() == []
    assert sum(r.fault is not None for r in env.requests) >= 5
