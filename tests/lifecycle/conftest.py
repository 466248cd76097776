"""The engine tier's server fixture, and a model in the endpoint's S3 that compiles at once."""

from __future__ import annotations

import boto3
import pytest

from tests.engine.conftest import _CLIENTS, engine_factory, pytest_runtest_makereport  # noqa: F401

ENGINE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": None,
    "AWS_PROFILE": None,
}


@pytest.fixture
def model(endpoint, aws_env):
    """s3://models/resnet.tar.gz; jobs finish as soon as they are looked at."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="resnet.tar.gz", Body=b"model bytes")
    endpoint.set_compilation_timing(starting_seconds=0, compiling_seconds=0, stopping_seconds=0)
    return "s3://models/resnet.tar.gz"


@pytest.fixture
def server(engine_factory, endpoint, model):  # noqa: F811
    """The SDK's dynamic-provider server, pointed at the embedded endpoint."""
    return engine_factory(env={**ENGINE_ENV, "AWS_ENDPOINT_URL": endpoint.url})
