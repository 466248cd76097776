"""The plugin's gRPC service, in this process, driven through a real channel as the engine drives it.

In-process so that the reliability fixtures' zero-length botocore backoff applies to
the plugin's calls too (a fault that outlasts botocore's retries would otherwise
cost ~35 s of sleep). tests/plugin_real runs the same plugin as a process under the
real Pulumi engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import provider_pb2_grpc

from sagemaker_reconciler.plugin.server import ProviderServicer
from sagemaker_reconciler.plugin.wire import decode, encode
from tests.reliability.conftest import retry_delays  # noqa: F401  (fixture)

WORKTEAM = "sagemaker-reconciler:index:Workteam"
JOB = "sagemaker-reconciler:index:CompilationJob"


def urn(name: str, token: str = WORKTEAM) -> str:
    return f"urn:pulumi:dev::proj::{token}::{name}"


def cognito_team(**overrides: Any) -> dict[str, Any]:
    return {
        "description": "Labels street scenes",
        "memberDefinitions": [
            {
                "cognitoMemberDefinition": {
                    "userPool": "us-east-1_AbCdEf123",
                    "userGroup": "labelers",
                    "clientId": "client1",
                }
            }
        ],
        **overrides,
    }


class Plugin:
    """A stub over a channel to the servicer, with the engine's request shapes as short helpers."""

    def __init__(self, stub: provider_pb2_grpc.ResourceProviderStub):
        self.stub = stub

    def configure(self, **settings: str) -> None:
        self.stub.Configure(
            pb.ConfigureRequest(
                variables={f"sagemaker-reconciler:config:{k}": v for k, v in settings.items()},
                acceptSecrets=True,
                acceptResources=True,
            )
        )

    def check(
        self,
        name: str,
        news: Mapping[str, Any],
        olds: Mapping[str, Any] | None = None,
        seed: bytes = b"seed",
        token: str = WORKTEAM,
        **extra: Any,
    ) -> pb.CheckResponse:
        return self.stub.Check(
            pb.CheckRequest(
                urn=urn(name, token), name=name, olds=encode(olds or {}), news=encode(news), randomSeed=seed, **extra
            )
        )

    def inputs(self, name: str, news: Mapping[str, Any], **kwargs: Any) -> dict[str, Any]:
        response = self.check(name, news, **kwargs)
        assert not response.failures, response.failures
        return decode(response.inputs)

    def create(self, name: str, inputs: Mapping[str, Any], token: str = WORKTEAM, **extra: Any) -> tuple[str, dict]:
        response = self.stub.Create(pb.CreateRequest(urn=urn(name, token), properties=encode(inputs), **extra))
        return response.id, decode(response.properties)

    def diff(
        self,
        name: str,
        id_: str,
        olds: Mapping[str, Any],
        old_inputs: Mapping[str, Any],
        news: Mapping[str, Any],
        token: str = WORKTEAM,
        ignore: list[str] | None = None,
    ) -> pb.DiffResponse:
        return self.stub.Diff(
            pb.DiffRequest(
                urn=urn(name, token),
                id=id_,
                olds=encode(olds),
                old_inputs=encode(old_inputs),
                news=encode(news),
                ignoreChanges=ignore or [],
            )
        )


@pytest.fixture
def plugin(endpoint, aws_env, retry_delays) -> Iterator[Plugin]:  # noqa: F811
    """The servicer on a local port, configured for the embedded endpoint (reset for the test)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(ProviderServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    client = Plugin(provider_pb2_grpc.ResourceProviderStub(channel))
    client.stub.GetPluginInfo(empty_pb2.Empty())
    client.configure(endpoint=endpoint.url, region="us-east-1")
    yield client
    channel.close()
    server.stop(grace=None)
