"""``sagemaker-reconciler:index:Workteam``: a SageMaker labeling work team, served by the plugin."""

from __future__ import annotations

import pulumi

from sagemaker_reconciler.resource_types import WORKTEAM
from sagemaker_reconciler.sdk._resource import register

__all__ = ["Workteam"]


class Workteam(pulumi.CustomResource):
    """Omit ``workteam_name`` to get ``<resource_name>-<7 hex>`` (kept for the resource's life)."""

    workteam_name: pulumi.Output[str]
    arn: pulumi.Output[str]
    subdomain: pulumi.Output[str]
    create_date: pulumi.Output[str]
    last_updated_date: pulumi.Output[str]
    product_listing_ids: pulumi.Output[list]
    workforce_arn: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        description: pulumi.Input[str] | None = None,
        member_definitions: pulumi.Input[list] | None = None,
        workteam_name: pulumi.Input[str] | None = None,
        workforce_name: pulumi.Input[str] | None = None,
        notification_configuration: pulumi.Input[dict] | None = None,
        worker_access_configuration: pulumi.Input[dict] | None = None,
        tags: pulumi.Input[dict] | None = None,
        force_delete: pulumi.Input[bool] | None = None,
        __id: str | None = None,
    ) -> None:
        args = {
            "workteam_name": workteam_name,
            "workforce_name": workforce_name,
            "description": description,
            "member_definitions": member_definitions,
            "notification_configuration": notification_configuration,
            "worker_access_configuration": worker_access_configuration,
            "tags": tags,
            "force_delete": force_delete,
        }
        register(self, WORKTEAM, resource_name, args, opts, __id)

    @staticmethod
    def get(resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> Workteam:
        """An existing work team's state, read by its name."""
        return Workteam(resource_name, opts, _Workteam__id=id)  # type: ignore[call-arg]
