"""AddTags / DeleteTags / ListTags, routed by the resource type in the ARN.

Resource types whose models live here (work teams, compilation jobs) are
answered here; every other ARN, a model's say, goes to moto unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast

from .pagination import paginate
from .protocol import SageMakerRequest
from .registry import PASS_THROUGH, Handler, PassThrough
from .state import EndpointState, RegionalBackend

__all__ = ["TaggingBackend", "tag_operations"]

Json = dict[str, Any]

DEFAULT_TAG_PAGE_SIZE = 50
"""ListTags' MaxResults minimum. SageMaker caps a resource at 50 tags (``tag_rules``), so one page holds them all."""


class TaggingBackend(Protocol):
    def tags(self, arn: str) -> list[Json]: ...

    def add_tags(self, arn: str, tags: list[Json]) -> list[Json]: ...

    def delete_tags(self, arn: str, keys: list[str]) -> None: ...


def tag_operations(backends: Mapping[str, type[RegionalBackend]]) -> dict[str, Handler]:
    """Tag handlers for ARNs of the given resource types (``"workteam"`` -> WorkteamBackend, ...)."""

    def tagging_backend(request: SageMakerRequest, state: EndpointState) -> TaggingBackend | None:
        backend_type = backends.get(_resource_type(request.params["ResourceArn"]))
        if backend_type is None:
            return None
        return cast(TaggingBackend, state.backend(backend_type, request.region))

    def add_tags(request: SageMakerRequest, state: EndpointState) -> Json | PassThrough:
        backend = tagging_backend(request, state)
        if backend is None:
            return PASS_THROUGH
        return {"Tags": backend.add_tags(request.params["ResourceArn"], request.params["Tags"])}

    def delete_tags(request: SageMakerRequest, state: EndpointState) -> Json | PassThrough:
        backend = tagging_backend(request, state)
        if backend is None:
            return PASS_THROUGH
        backend.delete_tags(request.params["ResourceArn"], request.params["TagKeys"])
        return {}

    def list_tags(request: SageMakerRequest, state: EndpointState) -> Json | PassThrough:
        backend = tagging_backend(request, state)
        if backend is None:
            return PASS_THROUGH
        params = request.params
        tags = backend.tags(params["ResourceArn"])
        page, next_token = paginate(tags, params.get("MaxResults") or DEFAULT_TAG_PAGE_SIZE, params.get("NextToken"))
        body: Json = {"Tags": page}
        if next_token:
            body["NextToken"] = next_token
        return body

    return {"AddTags": add_tags, "DeleteTags": delete_tags, "ListTags": list_tags}


def _resource_type(arn: str) -> str:
    """``workteam`` for ``arn:aws:sagemaker:us-east-1:123456789012:workteam/private-crowd/x``."""
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[0]
