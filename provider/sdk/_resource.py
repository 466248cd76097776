"""What the typed classes share: camelCase properties on the wire, outputs as attributes, the plugin version."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import pulumi

from sagemaker_reconciler.pulumi_resources._common import add_snake_case_attributes, camel_props
from sagemaker_reconciler.resource_types import ResourceType

__all__ = ["options", "plugin_version", "register"]


def plugin_version() -> str:
    from sagemaker_reconciler.plugin.server import plugin_version as version

    return version()


def options(opts: pulumi.ResourceOptions | None, **extra: Any) -> pulumi.ResourceOptions:
    """The caller's options plus the plugin version, so the engine launches the matching plugin."""
    return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(version=plugin_version(), **extra), opts)


def register(
    resource: pulumi.CustomResource,
    kind: ResourceType,
    resource_name: str,
    args: Mapping[str, Any],
    opts: pulumi.ResourceOptions | None,
    id_: str | None = None,
) -> None:
    """Register `args` (snake_case keyword arguments) under the schema token; outputs become attributes."""
    if id_ is None and not (opts and opts.urn):
        missing = [name for name in required_inputs(kind.token) if args.get(_snake(name)) is None]
        if missing:
            raise TypeError(f"{kind.name} {resource_name!r}: missing required property {', '.join(missing)}")
    props: dict[str, Any] = camel_props({k: v for k, v in args.items() if v is not None})
    for key in (*kind.input_names(), *kind.output_names()):
        props.setdefault(key, None)
    pulumi.CustomResource.__init__(resource, kind.token, resource_name, props, options(opts, id=id_))
    add_snake_case_attributes(resource, props)


@functools.cache
def required_inputs(token: str) -> tuple[str, ...]:
    """The schema's requiredInputs of `token` (the name input is not one: it is auto-named)."""
    from sagemaker_reconciler.schema import package_schema

    return tuple(package_schema()["resources"][token].get("requiredInputs", ()))


def _snake(name: str) -> str:
    from sagemaker_reconciler.pulumi_resources._common import snake

    return snake(name)
