"""The endpoint's fault injection, through unmodified boto3 over real HTTP.

Each kind fails the way botocore expects the service to fail, so botocore's own
retry logic (not a test double) decides what to retry; the request log shows
every attempt and which fault answered it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from .conftest import attempts

MEMBERS = [{"OidcMemberDefinition": {"Groups": ["g"]}}]


def client(endpoint, service: str = "sagemaker", attempts: int = 9, **config: Any):
    """A boto3 client for the endpoint making at most ``attempts`` attempts per call (the gateway's: 9)."""
    return boto3.client(
        service,
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}, **config),
    )


def create_team(sagemaker, name: str = "team-a") -> str:
    return sagemaker.create_workteam(WorkteamName=name, Description="d", MemberDefinitions=MEMBERS)["WorkteamArn"]


@pytest.mark.parametrize(
    "kind, status, code",
    [
        ("throttling", 400, "ThrottlingException"),
        ("internal", 500, "InternalFailure"),
        ("unavailable", 503, "ServiceUnavailable"),
        ("error", 403, "UnrecognizedClientException"),
    ],
)
def test_error_kinds_answer_in_the_services_shape(endpoint, kind, status, code):
    extra = {"code": code, "status": status} if kind == "error" else {}
    endpoint.inject_fault(kind, "ListWorkteams", **extra)
    with pytest.raises(ClientError) as raised:
        client(endpoint, attempts=1).list_workteams()
    error = raised.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)


def test_the_next_n_matching_requests_fail_and_botocore_retries_them(env, retry_delays):
    endpoint = env
    endpoint.inject_fault("throttling", "ListWorkteams", count=2)
    endpoint.inject_fault("unavailable", "DescribeWorkteam", count=3)
    sagemaker = client(endpoint)
    create_team(sagemaker)
    assert sagemaker.list_workteams()["Workteams"][0]["WorkteamName"] == "team-a"
    assert sagemaker.describe_workteam(WorkteamName="team-a")["Workteam"]["WorkteamName"] == "team-a"
    assert attempts(endpoint, "ListWorkteams") == ["throttling", "throttling", None]
    assert attempts(endpoint, "DescribeWorkteam") == ["unavailable"] * 3 + [None]
    assert attempts(endpoint, "CreateWorkteam") == [None], "faults hit only their operation"
    # botocore backed off before each retry: attempts 1, 2 of the first call, then 1, 2, 3 of the second
    assert [attempt for attempt, _ in retry_delays] == [1, 2, 1, 2, 3]
    assert [(f["injected"], f["exhausted"]) for f in endpoint.faults] == [(2, True), (3, True)]


def test_a_persistent_fault_exhausts_botocores_attempts(env):
    endpoint = env
    endpoint.inject_fault("internal", "ListWorkteams")
    with pytest.raises(ClientError, match="InternalFailure.*reached max retries"):
        client(endpoint).list_workteams()
    assert attempts(endpoint, "ListWorkteams") == ["internal"] * 9


def test_a_dropped_connection_is_connection_closed_and_retried(env):
    endpoint = env
    endpoint.inject_fault("drop", "ListWorkteams", count=2)
    assert client(endpoint).list_workteams()["Workteams"] == []
    assert attempts(endpoint, "ListWorkteams") == ["drop", "drop", None]
    endpoint.inject_fault("drop", "ListWorkteams")
    with pytest.raises(ConnectionClosedError):
        client(endpoint, attempts=2).list_workteams()


def test_phase_after_applies_the_request_and_loses_the_answer(env):
    endpoint = env
    endpoint.inject_fault("drop", "CreateWorkteam", count=1, phase="after")
    with pytest.raises(ClientError, match="ResourceInUse"):
        create_team(client(endpoint))  # the retry finds the team the first attempt created
    assert attempts(endpoint, "CreateWorkteam") == ["drop", None]
    assert [t["WorkteamName"] for t in client(endpoint).list_workteams()["Workteams"]] == ["team-a"]

    endpoint.inject_fault("internal", "DeleteWorkteam", count=1, phase="after")
    with pytest.raises(ClientError, match="does not exist"):
        client(endpoint).delete_workteam(WorkteamName="team-a")
    assert client(endpoint).list_workteams()["Workteams"] == []


def test_slow_responses_arrive_late_and_trip_a_read_timeout(env):
    endpoint = env
    endpoint.inject_fault("slow", "ListWorkteams", count=1, delay_seconds=0.3)
    started = time.monotonic()
    client(endpoint).list_workteams()
    assert time.monotonic() - started >= 0.3
    endpoint.inject_fault("slow", "ListWorkteams", count=1, delay_seconds=1.0)
    impatient = client(endpoint, read_timeout=0.2)
    assert impatient.list_workteams()["Workteams"] == []  # timed out once, retried
    assert attempts(endpoint, "ListWorkteams") == ["slow", "slow", None]
    endpoint.inject_fault("slow", "ListWorkteams", delay_seconds=1.0)
    with pytest.raises(ReadTimeoutError):
        client(endpoint, attempts=1, read_timeout=0.2).list_workteams()


def test_probability_is_drawn_from_a_seeded_rng_so_runs_repeat(env):
    endpoint = env

    def run() -> list[str | None]:
        endpoint.reset()
        endpoint.inject_fault("throttling", "ListWorkteams", probability=0.4, seed=42)
        sagemaker = client(endpoint, attempts=1)
        for _ in range(40):
            try:
                sagemaker.list_workteams()
            except ClientError:
                pass
        return attempts(endpoint, "ListWorkteams")

    first, second = run(), run()
    assert first == second
    assert 8 <= first.count("throttling") <= 24
    assert endpoint.faults[0]["seen"] == 40


def test_faults_match_region_and_parameters(env):
    endpoint = env
    sagemaker = client(endpoint, attempts=1)
    create_team(sagemaker, "team-a")
    create_team(sagemaker, "team-b")
    endpoint.inject_fault("unavailable", "DescribeWorkteam", match={"WorkteamName": "team-b"})
    endpoint.inject_fault("unavailable", "*", region="eu-west-1")
    sagemaker.describe_workteam(WorkteamName="team-a")
    with pytest.raises(ClientError, match="ServiceUnavailable"):
        sagemaker.describe_workteam(WorkteamName="team-b")
    other_region = boto3.client(
        "sagemaker",
        endpoint_url=endpoint.url,
        region_name="eu-west-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )
    with pytest.raises(ClientError, match="ServiceUnavailable"):
        other_region.list_workteams()


def test_s3_faults_answer_in_s3s_xml_and_are_logged_with_bucket_and_key(env):
    endpoint = env
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"x")
    endpoint.inject_fault("throttling", "HeadObject", service="s3", count=2)
    endpoint.inject_fault("internal", "GetObject", service="s3", count=1)
    assert s3.head_object(Bucket="models", Key="m.tar.gz")["ContentLength"] == 1
    assert s3.get_object(Bucket="models", Key="m.tar.gz")["Body"].read() == b"x"
    assert attempts(endpoint, "HeadObject", "s3") == ["throttling", "throttling", None]
    assert attempts(endpoint, "GetObject", "s3") == ["internal", None]
    endpoint.inject_fault("throttling", "GetObject", service="s3")
    with pytest.raises(ClientError, match="SlowDown"):
        client(endpoint, "s3", attempts=1).get_object(Bucket="models", Key="m.tar.gz")
    endpoint.clear_faults()
    endpoint.inject_fault("drop", "PutObject", service="s3", count=1, phase="after")
    s3.put_object(Bucket="models", Key="again.tar.gz", Body=b"y")  # stored, answer lost, sent again
    assert attempts(endpoint, "PutObject", "s3")[-2:] == ["drop", None]
    assert s3.get_object(Bucket="models", Key="again.tar.gz")["Body"].read() == b"y"
    put = next(r for r in endpoint.all_requests if r.operation == "PutObject")
    assert (put.service, put.params) == ("s3", {"Bucket": "models", "Key": "m.tar.gz"})
    assert endpoint.requests == [], "requests lists SageMaker calls only"


def control(endpoint, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{endpoint.url}/_reconciler/{route}", data=data, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_faults_over_http_and_reset_clears_them(env):
    endpoint = env
    fault = control(endpoint, "POST", "faults", {"kind": "throttling", "operation": "ListWorkteams", "count": 1})
    assert fault["fault"]["id"] >= 1 and fault["fault"]["injected"] == 0
    client(endpoint).list_workteams()
    assert control(endpoint, "GET", "faults")["faults"][0]["injected"] == 1
    logged = control(endpoint, "GET", "requests")["requests"]
    assert [entry.get("fault") for entry in logged] == ["throttling", None]

    second = control(endpoint, "POST", "faults", {"kind": "unavailable"})["fault"]
    control(endpoint, "DELETE", f"faults/{second['id']}")
    assert [f["kind"] for f in endpoint.faults] == ["throttling"]
    control(endpoint, "DELETE", "faults")
    assert endpoint.faults == []

    for bad in (
        {"kind": "meteor"},
        {"kind": "slow"},
        {"kind": "error", "code": "X"},
        {"kind": "drop", "count": 0},
        {"kind": "throttling", "probability": 1.5},
        {"kind": "throttling", "service": "iam"},
        {"kind": "throttling", "phase": "during"},
        {"kind": "throttling", "bogus": 1},
    ):
        with pytest.raises(urllib.error.HTTPError) as raised:
            control(endpoint, "POST", "faults", bad)
        assert raised.value.code == 400, bad

    endpoint.inject_fault("drop")
    control(endpoint, "POST", "reset")
    assert endpoint.faults == [] and client(endpoint, attempts=1).list_workteams()["Workteams"] == []
    s3 = client(endpoint, "s3")
    s3.create_bucket(Bucket="logged")
    assert [e["operation"] for e in control(endpoint, "GET", "requests?service=s3")["requests"]] == ["CreateBucket"]
    assert len(control(endpoint, "GET", "requests?service=all")["requests"]) == 2


def test_clearing_faults_cuts_a_slow_response_short(env):
    endpoint = env
    endpoint.inject_fault("slow", "ListWorkteams", delay_seconds=60)
    done = threading.Event()
    threading.Thread(target=lambda: (client(endpoint, attempts=1).list_workteams(), done.set()), daemon=True).start()
    deadline = time.monotonic() + 5
    while not endpoint.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    endpoint.clear_faults()
    assert done.wait(5) and time.monotonic() - started < 2


def test_the_workteam_limit_can_be_raised_for_load_tests_and_reset_restores_it(env):
    endpoint = env
    sagemaker = client(endpoint, attempts=1)
    for i in range(25):
        create_team(sagemaker, f"t{i}")
    with pytest.raises(ClientError, match="ResourceLimitExceeded"):
        create_team(sagemaker, "t25")
    assert control(endpoint, "POST", "workteams/limit", {"limit": 30}) == {"limit": 30}
    create_team(sagemaker, "t25")
    endpoint.reset()
    for i in range(25):
        create_team(sagemaker, f"t{i}")
    with pytest.raises(ClientError, match="limit of 25 work teams"):
        create_team(sagemaker, "t25")
