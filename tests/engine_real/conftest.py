"""Fixtures for the real-engine tier: the Pulumi CLI, a session's offline Pulumi, stacks, engine events.

Every stack's provider process talks to the session's embedded endpoint with distinctive dummy
credentials (so a test can look for them in state). The tier skips, saying why, only when the CLI
has not been built and SAGEMAKER_RECONCILER_REQUIRE_ENGINE is unset; `.ci/run` sets it, so in CI a
missing CLI fails the tier instead.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from examples.test_examples import tiny_model_archive
from pulumi import automation as auto

from .pulumi_env import AWS_UNSET, PulumiEnv, aws_env, cli_root, missing_cli_reason

if TYPE_CHECKING:
    from sagemaker_reconciler.endpoint import EmbeddedEndpoint

ACCESS_KEY = "AKIAENGINETIERKEY7Q2"
SECRET_KEY = "engine-tier-secret/Zk4r9WqLx2"
REQUIRE_VARIABLE = "SAGEMAKER_RECONCILER_REQUIRE_ENGINE"

NewStack = Callable[..., auto.Stack]


@pytest.fixture(scope="session")
def pulumi_env(tmp_path_factory: pytest.TempPathFactory, embedded_endpoint: EmbeddedEndpoint) -> Iterator[PulumiEnv]:
    """The session's Pulumi: CLI, PULUMI_HOME, file backend, passphrase secrets, the endpoint as AWS."""
    reason = missing_cli_reason()
    if reason:
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(f"{REQUIRE_VARIABLE} is set but the Pulumi CLI is missing: {reason}", pytrace=False)
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("pulumi")
    env = {
        **aws_env(embedded_endpoint.url, ACCESS_KEY, SECRET_KEY),
        "SAGEMAKER_RECONCILER_CACHE": str(base / "compile-cache"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name in AWS_UNSET:
            patch.delenv(name, raising=False)
        yield PulumiEnv(root=cli_root(), base_dir=base, env=env)


@pytest.fixture
def new_stack(pulumi_env: PulumiEnv, endpoint: EmbeddedEndpoint) -> NewStack:
    """`new_stack(project, program, config=None)`: a fresh stack (the endpoint is reset for the test)."""
    return pulumi_env.stack


@pytest.fixture
def model(endpoint: EmbeddedEndpoint, aws_env: str) -> str:
    """s3://models/resnet.tar.gz in the endpoint's S3 (the compile examples' default); returns its sha256.

    Jobs compile in a fraction of a second. `aws_env` points this process's boto3 at the endpoint too.
    """
    body = tiny_model_archive()
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=body)
    endpoint.set_compilation_timing(starting_seconds=0.05, compiling_seconds=0.1)
    return hashlib.sha256(body).hexdigest()
