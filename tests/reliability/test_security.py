"""Credentials never reach state, outputs, logs or error messages; secret inputs stay secret in outputs.

The credentials are real-looking (an ``AKIA`` key id, a 40-character secret, a long session
token), fresh per test, so any occurrence of one in a pickle, an output, a log line or a message
is a leak and not a coincidence.

How secrets travel (checked here, as far as the SDK's server can show it): the dynamic-provider
server answers ``Configure`` with ``acceptSecrets: false``, so the engine unwraps secret inputs
before it calls the provider and afterwards marks as secret every output whose key (recursively
through objects; an array as a whole) holds a secret input (``annotateSecrets`` in the engine's
``provider_plugin.go``). ``annotate_like_the_engine`` below is that rule; the tests check that
every input comes back under its own key, so the rule covers it, and that no secret input is
copied into another output. Two documented limits remain, because the name is the resource's
identity: the resource id is never secret in Pulumi, and ``arn`` (and a job's artifact URI,
which contains its ``s3OutputLocation``) are built from the name and location.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import string
import traceback
from dataclasses import dataclass
from typing import Any

import boto3
import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2 as pb

from sagemaker_reconciler import CompilationJobProvider, WorkteamProvider
from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import AwsError, ConfigError, ReconcilerError
from sagemaker_reconciler.pulumi_resources._common import ConfiguredProvider
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.engine.harness import EngineClient, ProviderError, without_provider
from tests.unit.test_compilation_job_spec import job
from tests.unit.workteam_samples import cognito_team

from .conftest import endpoint_env


@dataclass(frozen=True)
class Credentials:
    key_id: str
    secret: str
    token: str

    @classmethod
    def fresh(cls) -> Credentials:
        upper = string.ascii_uppercase + "234567"
        key_id = "AKIA" + "".join(secrets.choice(upper) for _ in range(16))
        secret = base64.b64encode(secrets.token_bytes(30)).decode()  # 40 characters, like a real one
        token = "IQoJb3JpZ2luX2VjE" + base64.b64encode(secrets.token_bytes(300)).decode()
        return cls(key_id, secret, token)

    @property
    def values(self) -> tuple[str, str, str]:
        return self.key_id, self.secret, self.token

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_SESSION_TOKEN": self.token}

    def leaked_into(self, *texts: str | bytes) -> list[str]:
        found = []
        for text in texts:
            data = text.encode() if isinstance(text, str) else text
            for name, value in zip(("key id", "secret key", "session token"), self.values):
                if value.encode() in data or value[:16].encode() in data:
                    found.append(name)
        return found


@pytest.fixture
def creds(monkeypatch, endpoint) -> Credentials:
    """Fresh credentials in the environment, which points at the embedded endpoint."""
    found = Credentials.fresh()
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_SAGEMAKER", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**found.env(), "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint.url}.items():
        monkeypatch.setenv(name, value)
    return found


@pytest.fixture
def profile_home(monkeypatch, tmp_path, endpoint) -> Credentials:
    """Credentials only in ``~/.aws/credentials`` of a temporary HOME, chosen by AWS_PROFILE."""
    found = Credentials.fresh()
    aws = tmp_path / ".aws"
    aws.mkdir()
    (aws / "credentials").write_text(
        f"[ci]\naws_access_key_id = {found.key_id}\naws_secret_access_key = {found.secret}\n"
        f"aws_session_token = {found.token}\n\n[half]\naws_access_key_id = {found.key_id}\n"
    )
    (aws / "config").write_text("[profile ci]\nregion = us-east-1\n\n[profile half]\nregion = us-east-1\n")
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_PROFILE", "ci")
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    return found


@pytest.fixture
def model_bucket(endpoint) -> None:
    endpoint.set_compilation_timing(starting_seconds=0, compiling_seconds=0)
    s3 = boto3.client(
        "s3", endpoint_url=endpoint.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"model")


def exercise(provider: ConfiguredProvider, props: dict[str, Any]) -> None:
    """What the engine makes a provider do in one process: check, create, diff, refresh, delete."""
    checked = provider.check({}, props)
    assert checked.failures == []
    created = provider.create(checked.inputs)
    assert provider.diff(created.id, created.outs, checked.inputs).changes is False
    provider.read(created.id, created.outs)
    provider.delete(created.id, created.outs)


def pickled(provider: ConfiguredProvider) -> tuple[str, bytes]:
    blob = serialize_provider(provider)
    return blob, base64.b64decode(blob)


CASES = [
    pytest.param(lambda url: WorkteamProvider(), cognito_team(), id="Workteam, no settings"),
    pytest.param(
        lambda url: WorkteamProvider(region="us-east-1", endpoint=url), cognito_team(), id="Workteam, settings"
    ),
    pytest.param(lambda url: CompilationJobProvider(region="us-east-1", endpoint=url), job(), id="CompilationJob"),
]


@pytest.mark.parametrize("make, props", CASES)
def test_the_serialized_provider_holds_no_credentials_or_clients_after_real_calls(
    creds, model_bucket, endpoint, make, props
):
    provider = make(endpoint.url)
    exercise(provider, props)
    assert endpoint.requests, "the provider really called the service with these credentials"
    blob, raw = pickled(provider)
    assert creds.leaked_into(blob, raw) == []
    for marker in (b"boto3", b"botocore", b"Session", b"urllib3", b"Credentials", b"_stack_config"):
        assert marker not in raw, marker
    restored = dill.loads(raw)
    assert type(restored) is type(provider)
    assert vars(restored) == {
        "region": provider.region,
        "profile": provider.profile,
        "endpoint": provider.endpoint,
        "_stack_config": {},
    }
    assert ConfiguredProvider.serialize_as_secret_always is True  # the blob is a secret in state anyway


def test_a_profile_from_a_credentials_file_leaves_only_its_name_in_state(profile_home, endpoint):
    provider = WorkteamProvider(profile="ci")
    exercise(provider, cognito_team())
    assert endpoint.requests
    blob, raw = pickled(provider)
    assert profile_home.leaked_into(blob, raw) == []
    assert dill.loads(raw).profile == "ci"
    for attribute_free in (WorkteamProvider(), CompilationJobProvider()):  # AWS_PROFILE only in the environment
        assert b"ci" not in pickled(attribute_free)[1].replace(b"CompilationJob", b"").replace(
            b"sagemaker_reconciler", b""
        )


def test_state_blobs_are_identical_whatever_credentials_the_environment_holds(creds, monkeypatch):
    with_creds = serialize_provider(WorkteamProvider(region="eu-west-1"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "other")
    assert serialize_provider(WorkteamProvider(region="eu-west-1")) == with_creds


def failures_with_credentials(endpoint) -> list[BaseException]:
    """Run calls that fail in every way a user can meet, collecting the project errors raised."""
    raised: list[BaseException] = []

    def attempt(action) -> None:
        try:
            action()
        except ReconcilerError as error:
            raised.append(error)

    reconciler = WorkteamReconciler(SageMakerGateway())
    for code, message in (
        ("UnrecognizedClientException", "The security token included in the request is invalid."),
        ("ExpiredTokenException", "The security token included in the request is expired"),
        (
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/r/s is not authorized to perform: sagemaker:DescribeWorkteam",
        ),
    ):
        endpoint.inject_fault("error", "DescribeWorkteam", count=1, code=code, status=400, message=message)
        attempt(lambda: reconciler.plan(parse_workteam(cognito_team())))
    endpoint.inject_fault("unavailable", "CreateWorkteam")
    attempt(lambda: reconciler.create(parse_workteam(cognito_team())))
    endpoint.clear_faults()
    attempt(lambda: SageMakerGateway().call("UpdateWorkteam", "ghost", WorkteamName="ghost", Description="x"))
    attempt(lambda: ObjectStore().read("s3://no-such-bucket/key"))
    attempt(lambda: SageMakerGateway(AwsConfig(endpoint_url="http://127.0.0.1:9")).call("ListWorkteams"))
    attempt(lambda: SageMakerGateway(AwsConfig(profile="missing")))
    return raised


def test_errors_and_logs_never_print_credentials(creds, endpoint, caplog, capsys, retry_delays):
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="provider")
    raised = failures_with_credentials(endpoint)
    codes = [getattr(error, "code", type(error).__name__) for error in raised]
    assert codes == [
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "AccessDeniedException",
        "ServiceUnavailable",
        "ValidationException",
        "NoSuchBucket",
        "EndpointConnectionError",
        "ConfigError",
    ]
    texts = [text for error in raised for text in (str(error), repr(error), *traceback.format_exception(error))]
    captured = capsys.readouterr()
    assert creds.leaked_into(*texts, caplog.text, captured.out, captured.err) == []
    assert all(isinstance(error, (AwsError, ConfigError)) for error in raised)


def test_incomplete_or_missing_credentials_are_config_errors_without_values(profile_home, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "half")  # a key id and no secret
    with pytest.raises(ConfigError) as half:
        SageMakerGateway().call("ListWorkteams")
    monkeypatch.setenv("AWS_PROFILE", "nobody")
    with pytest.raises(ConfigError) as unknown:
        SageMakerGateway()
    assert "nobody" in str(unknown.value)
    assert profile_home.leaked_into(str(half.value), str(unknown.value)) == []


# --- over the engine protocol ------------------------------------------------------------------


SERVER_CREDS = Credentials.fresh()


@pytest.fixture(scope="module")
def server(embedded_endpoint):
    """One provider server for this module's engine tests, with credentials in its environment."""
    client = EngineClient(env={**endpoint_env(embedded_endpoint.url), **SERVER_CREDS.env()})
    yield client
    client.close()


def test_the_provider_server_never_accepts_secrets_so_the_engine_re_marks_outputs(server, endpoint):
    response = server._stub.Configure(pb.ConfigureRequest(acceptSecrets=True, acceptResources=True))
    assert response.acceptSecrets is False


def test_a_failing_provider_server_prints_no_credentials(server, endpoint):
    inputs, _ = server.check(WorkteamProvider(), {}, cognito_team())
    team_id, outs = server.create(WorkteamProvider(), inputs)
    endpoint.inject_fault(
        "error",
        "*",
        code="UnrecognizedClientException",
        status=400,
        message="The security token included in the request is invalid.",
    )
    with pytest.raises(ProviderError) as raised:
        server.diff(WorkteamProvider(), team_id, outs, inputs)
    assert "UnrecognizedClientException" in raised.value.details
    assert SERVER_CREDS.leaked_into(raised.value.details, server.stderr(), server.stdout(), json.dumps(outs)) == []


class Secret:
    def __init__(self, value: Any):
        self.value = value


def reveal(value: Any) -> Any:
    """Inputs as the engine sends them to a provider that does not accept secrets: unwrapped."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def annotate_like_the_engine(outs: dict[str, Any], ins: dict[str, Any]) -> dict[str, Any]:
    """The engine's annotateSecrets: an output is secret where the input of the same key holds a secret."""
    outs = dict(outs)
    for key, in_value in ins.items():
        if key not in outs:
            continue
        out_value = outs[key]
        if isinstance(out_value, dict) and isinstance(in_value, dict):
            outs[key] = annotate_like_the_engine(out_value, in_value)
        elif not isinstance(out_value, Secret) and contains_secret(in_value):
            outs[key] = Secret(out_value)
    return outs


def visible(value: Any) -> str:
    def masked(v: Any) -> Any:
        if isinstance(v, Secret):
            return "[secret]"
        if isinstance(v, dict):
            return {k: masked(x) for k, x in v.items()}
        if isinstance(v, list):
            return [masked(x) for x in v]
        return v

    return json.dumps(masked(value), default=str)


SECRET = "s3cr3t-" + secrets.token_hex(6)
SECRET_TEAM = cognito_team(
    description=Secret(f"Labels {SECRET}-description"),
    tags={"team": Secret(f"{SECRET}-tag"), "plain": "visible"},
    notificationConfiguration={"notificationTopicArn": Secret(f"arn:aws:sns:us-east-1:123456789012:{SECRET}-topic")},
    memberDefinitions=[
        {
            "cognitoMemberDefinition": {
                "userPool": "us-east-1_AbCdEf123",
                "userGroup": "labelers",
                "clientId": Secret(f"{SECRET}-client"),
            }
        }
    ],
)


def test_secret_workteam_inputs_stay_secret_in_outputs(server, endpoint):
    props = SECRET_TEAM
    inputs, _ = server.check(WorkteamProvider(), {}, reveal(props))
    team_id, outs = server.create(WorkteamProvider(), inputs)
    shown = visible(annotate_like_the_engine(without_provider(outs), props))
    assert SECRET not in shown and SECRET not in team_id
    assert '"plain": "visible"' in shown  # only what was secret is hidden

    _, refreshed, refreshed_inputs = server.read(WorkteamProvider(), team_id, outs, inputs)
    assert SECRET not in visible(annotate_like_the_engine(without_provider(refreshed), props))
    assert SECRET not in visible(annotate_like_the_engine(without_provider(refreshed_inputs or {}), props))

    edited = {**props, "description": Secret(f"Edited {SECRET}")}
    updated = server.update(WorkteamProvider(), team_id, outs, reveal(edited))
    assert SECRET not in visible(annotate_like_the_engine(without_provider(updated), edited))


def test_secret_compilation_job_inputs_stay_secret_in_outputs(server, endpoint, model_bucket):
    props = job(
        roleArn=Secret(f"arn:aws:iam::123456789012:role/{SECRET}"),
        tags={"k": Secret(SECRET)},
        inputConfig={
            "s3Uri": Secret("s3://models/resnet.tar.gz"),
            "framework": "ONNX",
            "dataInputConfig": Secret(json.dumps({SECRET: [1, 3, 224, 224]})),
        },
    )
    inputs, _ = server.check(CompilationJobProvider(), {}, reveal(props))
    job_id, outs = server.create(CompilationJobProvider(), inputs)
    assert outs["status"] == "COMPLETED"
    assert SECRET not in visible(annotate_like_the_engine(without_provider(outs), props)) + job_id


def test_known_limit_a_secret_name_or_output_location_shows_in_id_arn_and_artifact_uri(server, endpoint, model_bucket):
    """Documented limit: names and locations are identities. Pulumi never hides a resource id, and the
    outputs derived from them (arn, compiledArtifactUri) are not inputs, so the engine cannot mark them."""
    name = f"team-{secrets.token_hex(4)}"
    props = cognito_team(workteamName=Secret(name))
    team_id, outs = server.create(WorkteamProvider(), server.check(WorkteamProvider(), {}, reveal(props))[0])
    annotated = annotate_like_the_engine(without_provider(outs), props)
    assert isinstance(annotated["workteamName"], Secret)
    assert team_id == name and name in visible(annotated["arn"])

    location = f"s3://models/{SECRET}"
    props = job(outputConfig={"s3OutputLocation": Secret(location), "targetDevice": "ml_c5"})
    job_id, outs = server.create(CompilationJobProvider(), server.check(CompilationJobProvider(), {}, reveal(props))[0])
    annotated = annotate_like_the_engine(without_provider(outs), props)
    assert isinstance(annotated["outputConfig"]["s3OutputLocation"], Secret)
    assert SECRET in visible(annotated["compiledArtifactUri"])
