"""moto's server app, and moto's S3 as the endpoint's object store: everything the endpoint does not answer itself.

The only module that imports moto. Its state is process-wide (moto keeps
backends in module globals), so two endpoints in one process share it.
"""

from __future__ import annotations

from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.s3.exceptions import MissingBucket
from moto.s3.models import S3Backend, s3_backends
from werkzeug.test import Client

__all__ = ["MotoObjectStore", "create_moto_app", "reset_moto"]


def create_moto_app() -> Any:
    """moto's own host/SigV4-scope dispatcher over one Flask app per service, as ``moto_server`` builds it."""
    return DomainDispatcherApplication(create_backend_app)


def reset_moto(moto_app: Any) -> None:
    """Forget every moto resource via its documented ``POST /moto-api/reset``."""
    response = Client(moto_app).post("/moto-api/reset")
    if response.status_code != 200:
        raise RuntimeError(f"moto reset failed: HTTP {response.status_code} {response.get_data(as_text=True)}")


class MotoObjectStore:
    """The buckets boto3 sees through the endpoint, read and written in process (``state.ObjectStore``).

    moto's server files unsigned-for-a-known-account requests (``testing`` keys) under
    its default account, so that is the account read here; buckets are global per
    partition, as in S3.
    """

    def __init__(self, account_id: str = DEFAULT_ACCOUNT_ID, partition: str = "aws"):
        self._account_id = account_id
        self._partition = partition

    @property
    def _backend(self) -> S3Backend:
        backend: S3Backend = s3_backends[self._account_id][self._partition]
        return backend

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self._backend.get_bucket(bucket)
        except MissingBucket:
            return False
        return True

    def get(self, bucket: str, key: str) -> bytes | None:
        try:
            found = self._backend.get_object(bucket, key)
        except MissingBucket:
            return None
        return None if found is None else bytes(found.value)

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self._backend.put_object(bucket, key, body)
