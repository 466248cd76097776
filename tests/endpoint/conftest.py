"""Raw boto3 clients for the endpoint tests: one attempt, so an endpoint bug fails fast instead of retrying."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config

Client = Any
ClientFactory = Callable[..., Client]


@pytest.fixture
def client(endpoint: Any) -> ClientFactory:
    """Build boto3 clients for the freshly reset endpoint."""

    def build(service: str = "sagemaker", region: str = "us-east-1", validate: bool = True) -> Client:
        return boto3.client(
            service,
            endpoint_url=endpoint.url,
            region_name=region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"mode": "standard", "max_attempts": 1}, parameter_validation=validate),
        )

    return build


@pytest.fixture
def sagemaker(client: ClientFactory) -> Client:
    return client()
