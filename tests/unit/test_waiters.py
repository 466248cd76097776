"""The waiter with a fake clock: backoff shape, bounds, and throttling waited out."""

import pytest

from sagemaker_reconciler.errors import AwsError, WaitTimeout
from sagemaker_reconciler.waiters import Backoff, wait_for


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


def job_finishing_at(t, fake, statuses=None):
    polls = []

    def poll():
        polls.append(fake.now)
        if statuses:
            status = statuses.pop(0)
            if isinstance(status, Exception):
                raise status
            return status
        return "COMPLETED" if fake.now >= t else "INPROGRESS"

    return poll, polls


def test_backoff_grows_geometrically_to_its_cap():
    delays = Backoff(initial=1, factor=2, maximum=10).delays()
    assert [next(delays) for _ in range(6)] == [1, 2, 4, 8, 10, 10]


def test_short_job_is_noticed_within_a_second_and_long_job_costs_few_calls():
    fake = FakeTime()
    poll, polls = job_finishing_at(2.0, fake)
    wait_for(poll, lambda s: s == "COMPLETED", timeout=100, what="job", sleep=fake.sleep, clock=fake.clock)
    assert fake.now - 2.0 <= 1.5

    fake = FakeTime()
    poll, polls = job_finishing_at(600.0, fake)
    wait_for(poll, lambda s: s == "COMPLETED", timeout=1000, what="job", sleep=fake.sleep, clock=fake.clock)
    assert len(polls) < 600 / 5 / 2  # under half the calls of a fixed 5 s poll
    assert fake.now - 600.0 <= 15.0


def test_timeout_is_a_clear_error():
    fake = FakeTime()
    poll, _ = job_finishing_at(10_000, fake)
    with pytest.raises(WaitTimeout, match="job x: still not done after 60 s"):
        wait_for(poll, lambda s: s == "COMPLETED", timeout=60, what="job x", sleep=fake.sleep, clock=fake.clock)
    assert fake.now == 60


def test_throttling_is_waited_out_but_other_errors_are_not():
    fake = FakeTime()
    throttled = AwsError("DescribeCompilationJob", "ThrottlingException", "slow down")
    poll, polls = job_finishing_at(0, fake, statuses=[throttled, throttled, "COMPLETED"])
    assert (
        wait_for(poll, lambda s: s == "COMPLETED", timeout=100, what="j", sleep=fake.sleep, clock=fake.clock)
        == "COMPLETED"
    )
    assert len(polls) == 3

    denied = AwsError("DescribeCompilationJob", "AccessDeniedException", "no")
    poll, _ = job_finishing_at(0, FakeTime(), statuses=[denied])
    with pytest.raises(AwsError, match="AccessDenied"):
        wait_for(poll, lambda s: s == "COMPLETED", timeout=100, what="j", sleep=fake.sleep, clock=fake.clock)
