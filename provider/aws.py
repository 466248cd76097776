"""The gateway: the only module that imports boto3.

Clients are built per call from plain configuration (region, profile,
endpoint) and never stored on anything that gets pickled into Pulumi state.
Botocore's own resolution still applies when a setting is left out: AWS_PROFILE,
AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_SAGEMAKER work. Botocore reads only
AWS_DEFAULT_REGION, so AWS_REGION (what the other AWS SDKs read first) is
honoured here, ahead of AWS_DEFAULT_REGION and the profile's region.
ClientErrors become the project's error types with messages a user can act on.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session

from sagemaker_reconciler.errors import AwsError, ConfigError, Conflict, LimitExceeded, NotFound, ReconcilerError

__all__ = [
    "AwsConfig",
    "SageMakerGateway",
    "ObjectStore",
    "split_s3_uri",
    "USER_AGENT",
    "NotFoundRule",
    "resource_not_found",
    "object_not_found",
]

USER_AGENT = "sagemaker-reconciler/0.1"
_RETRIES = {"mode": "standard", "max_attempts": 8}


_LOADER_LOCK = threading.Lock()
_LOADER: botocore.loaders.Loader | None = None


class _SearchPaths(list):  # type: ignore[type-arg]
    """boto3 appends its data directory to the loader's search paths for every new session; once is enough."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


def _shared_loader() -> botocore.loaders.Loader:
    """One botocore data loader for the process: it caches the parsed service models (SageMaker's is
    megabytes of JSON), so a session built per call or per worker thread costs ~40 ms, not ~200 ms.
    It only reads and caches model files; sessions and clients stay per call / per thread."""
    global _LOADER
    with _LOADER_LOCK:
        if _LOADER is None:
            extra = os.environ.get("AWS_DATA_PATH")
            paths = [os.path.expanduser(os.path.expandvars(p)) for p in extra.split(os.pathsep)] if extra else []
            _LOADER = botocore.loaders.Loader(extra_search_paths=_SearchPaths(paths))
        return _LOADER


@dataclass(frozen=True)
class AwsConfig:
    """Where to talk to. Plain strings only: this may end up pickled in state."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None

    def session(self) -> boto3.Session:
        core = botocore.session.get_session()
        core.register_component("data_loader", _shared_loader())
        try:
            session = boto3.Session(
                botocore_session=core, profile_name=self.profile or None, region_name=self.resolved_region()
            )
            core.get_scoped_config()  # reads the profile: an unknown one fails here, not at the first call
            region = session.region_name
        except botocore.exceptions.ProfileNotFound as exc:
            raise ConfigError(f"AWS profile {exc.kwargs.get('profile', self.profile)!r} is not configured") from None
        if not region:
            raise ConfigError(_NO_REGION)
        return session

    def resolved_region(self) -> str | None:
        """The configured region, else AWS_REGION; None leaves AWS_DEFAULT_REGION and the profile to botocore."""
        return self.region or os.environ.get("AWS_REGION") or None

    def client(self, service: str) -> Any:
        endpoint = self.endpoint_url or None
        if endpoint and not endpoint.startswith(("http://", "https://")):
            raise ConfigError(f"endpoint {endpoint!r} must be an http:// or https:// URL")
        session = self.session()
        try:
            return session.client(
                service,
                endpoint_url=endpoint,
                config=botocore.config.Config(retries=dict(_RETRIES), user_agent_extra=USER_AGENT),
            )
        except botocore.exceptions.BotoCoreError as exc:  # botocore loads credentials here: a partial set fails
            error = _failure(exc, f"creating a {service} client", None)
            raise error from None


NotFoundRule = Callable[[str, str], bool]
"""(error code, message) -> whether the service said the resource is not there. Decided per resource
(``sagemaker_reconciler.registry``): SageMaker answers a missing work team with a ValidationException,
a missing compilation job with ResourceNotFound, S3 a missing object with NoSuchKey / 404."""


def resource_not_found(code: str, message: str) -> bool:
    """The service's own code for a missing resource (what SageMaker answers for a compilation job)."""
    return code in ("ResourceNotFound", "ResourceNotFoundException")


def object_not_found(code: str, message: str) -> bool:
    """S3: GetObject / DeleteObject answer NoSuchKey; HeadObject, which has no body, a bare 404."""
    return code in ("NoSuchKey", "404")


def _translate(
    exc: botocore.exceptions.ClientError, operation: str, resource: str | None, missing: NotFoundRule
) -> AwsError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", exc))
    if missing(code, message):
        return NotFound(operation, code, message, resource)
    if code == "ResourceInUse":
        return Conflict(operation, code, message, resource)
    if code == "ResourceLimitExceeded":
        hint = (
            " An account can have at most 25 work teams per region: delete unused ones or request a quota increase."
            if "Workteam" in operation
            else ""
        )
        return LimitExceeded(operation, code, message + hint, resource)
    return AwsError(operation, code, message, resource)


_NO_REGION = (
    "no AWS region: none of the provider's `region`, the stack config `sagemaker-reconciler:region`, "
    "--region, AWS_REGION, AWS_DEFAULT_REGION or the profile's `region` is set; set one of them"
)
_NO_CREDENTIALS = "no AWS credentials found: configure a profile, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"


def _credentials_summary(exc: botocore.exceptions.BotoCoreError) -> str:
    """What went wrong loading credentials, without the provider's own text: a failing credential_process
    may print its secret on stderr, and botocore puts that stderr into the message."""
    source = str(getattr(exc, "kwargs", {}).get("provider") or "the credential chain")
    if isinstance(exc, botocore.exceptions.PartialCredentialsError):
        missing = str(exc.kwargs.get("cred_var") or "a value")
        return f"AWS credentials from {source} are incomplete: {missing} is missing"
    return (
        f"AWS credentials could not be loaded from {source} (its error output is not shown: "
        "it may contain secrets); run the credential source by hand to see why"
    )


def _failure(
    exc: botocore.exceptions.ClientError | botocore.exceptions.BotoCoreError,
    operation: str,
    resource: str | None,
    missing: NotFoundRule = resource_not_found,
) -> ReconcilerError:
    """Any boto3 failure -> the project's error tree; the service's messages and botocore's never carry keys.
    `missing` decides which service answers mean "not found" for the resource the call is about."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return _translate(exc, operation, resource, missing)
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return ConfigError(_NO_CREDENTIALS)
    if isinstance(exc, (botocore.exceptions.PartialCredentialsError, botocore.exceptions.CredentialRetrievalError)):
        return ConfigError(_credentials_summary(exc))
    if isinstance(exc, botocore.exceptions.NoRegionError):
        return ConfigError(_NO_REGION)
    # No response at all, after botocore's own retries (ConnectionClosedError, ReadTimeoutError,
    # EndpointConnectionError...): the class name is the code, so waiters can tell transient ones apart.
    return AwsError(operation, type(exc).__name__, str(exc), resource)


class SageMakerGateway:
    """Thin, typed access to the SageMaker (and S3) operations this project uses."""

    def __init__(self, config: AwsConfig | None = None):
        self._config = config or AwsConfig()
        self._sagemaker = self._config.client("sagemaker")

    def call(
        self,
        operation: str,
        resource: str | None = None,
        /,
        *,
        missing: NotFoundRule = resource_not_found,
        **params: Any,
    ) -> dict[str, Any]:
        """Invoke `operation` (PascalCase API name) and map failures to project errors; `missing` is the
        resource's rule for "not found" (a NotFound), every other refusal an AwsError."""
        method = getattr(self._sagemaker, _snake(operation))
        try:
            response: dict[str, Any] = method(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise _failure(exc, operation, resource, missing) from None
        response.pop("ResponseMetadata", None)
        return response

    def paginate(
        self, operation: str, result_key: str, /, *, missing: NotFoundRule = resource_not_found, **params: Any
    ) -> Iterator[dict[str, Any]]:
        paginator = self._sagemaker.get_paginator(_snake(operation))
        try:
            for page in paginator.paginate(**params):
                yield from page.get(result_key, [])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            resource = params.get("WorkteamArn") or params.get("ResourceArn")
            raise _failure(exc, operation, resource, missing) from None

    # --- Workteam -------------------------------------------------------------------------

    def list_tags(self, arn: str, missing: NotFoundRule = resource_not_found) -> list[dict[str, str]]:
        return list(self.paginate("ListTags", "Tags", missing=missing, ResourceArn=arn))

    def labeling_jobs_for_workteam(self, arn: str) -> list[dict[str, Any]]:
        return list(self.paginate("ListLabelingJobsForWorkteam", "LabelingJobSummaryList", WorkteamArn=arn))

    def list_workteams(self, name_contains: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"NameContains": name_contains} if name_contains else {}
        return list(self.paginate("ListWorkteams", "Workteams", **params))

    # --- CompilationJob -------------------------------------------------------------------

    def list_compilation_jobs(self, name_contains: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"NameContains": name_contains} if name_contains else {}
        return list(self.paginate("ListCompilationJobs", "CompilationJobSummaries", **params))


def split_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/key -> (bucket, key)."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise ConfigError(f"{uri!r} is not an s3://bucket/key URI")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


class ObjectStore:
    """The S3 objects this project reads and writes (model archives, compiled artifacts)."""

    def __init__(self, config: AwsConfig | None = None):
        self._s3 = (config or AwsConfig()).client("s3")

    def _call(self, operation: str, uri: str, **params: Any) -> dict[str, Any]:
        bucket, key = split_s3_uri(uri)
        try:
            response: dict[str, Any] = getattr(self._s3, _snake(operation))(Bucket=bucket, Key=key, **params)
            return response
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise _failure(exc, operation, uri, object_not_found) from None

    def exists(self, uri: str) -> bool:
        try:
            self._call("HeadObject", uri)
        except NotFound:
            return False
        return True

    def last_modified(self, uri: str) -> Any:
        """When the object was last written (a datetime), or None when it does not exist."""
        try:
            return self._call("HeadObject", uri).get("LastModified")
        except NotFound:
            return None

    def delete(self, uri: str) -> None:
        self._call("DeleteObject", uri)

    def read(self, uri: str) -> bytes:
        body: bytes = self._call("GetObject", uri)["Body"].read()
        return body

    def download(self, uri: str, path: str | os.PathLike[str], limit: int) -> None:
        """Stream an object into a new file, refusing one over `limit` bytes: a model can be gigabytes."""
        response = self._call("GetObject", uri)
        if int(response.get("ContentLength") or 0) > limit:
            raise ConfigError(f"{uri}: {response['ContentLength']} bytes is over the limit of {limit} bytes")
        written = 0
        try:
            with open(path, "xb") as out:
                for chunk in response["Body"].iter_chunks(1 << 20):
                    written += len(chunk)
                    if written > limit:
                        raise ConfigError(f"{uri}: more than {limit} bytes")
                    out.write(chunk)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
            raise _failure(exc, "GetObject", uri, object_not_found) from None

    def write(self, uri: str, data: bytes) -> None:
        self._call("PutObject", uri, Body=data)


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
