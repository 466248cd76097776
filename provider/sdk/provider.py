"""``pulumi:providers:sagemaker-reconciler``: an explicit provider (another region, profile or endpoint)."""

from __future__ import annotations

import pulumi

from sagemaker_reconciler.sdk._resource import options

__all__ = ["Provider"]

PACKAGE = "sagemaker-reconciler"


class Provider(pulumi.ProviderResource):
    """Plain settings only; credentials come from the standard AWS chain where the plugin runs."""

    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        region: pulumi.Input[str] | None = None,
        profile: pulumi.Input[str] | None = None,
        endpoint: pulumi.Input[str] | None = None,
    ) -> None:
        props = {"region": region, "profile": profile, "endpoint": endpoint}
        super().__init__(PACKAGE, resource_name, props, options(opts))
