"""Create / Read / Update / Delete through the same providers the dynamic resources use.

The dynamic providers (``sagemaker_reconciler.pulumi_resources``, named by each type's registry
entry) already drive each type's backend; the plugin builds one per request from its
plain settings and adds only what the plugin protocol asks for: preview
answers, the request's timeout as the bound on every wait, ignoreChanges in
Update, and the drawn-name marker kept through refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sagemaker_reconciler.plan.model import UNKNOWN
from sagemaker_reconciler.plugin.check import DEFAULTS_KEY
from sagemaker_reconciler.plugin.config import aws_config
from sagemaker_reconciler.plugin.paths import overlay
from sagemaker_reconciler.printable import escape
from sagemaker_reconciler.registry import entry_for
from sagemaker_reconciler.resource_types import ResourceType

__all__ = ["Outcome", "create", "delete", "provider_for", "read", "update"]


Say = Callable[[str], None]
"""One line to the engine's log against the request's resource (the plugin has no Pulumi runtime, so
``pulumi.log`` there would only reach its stderr)."""


@dataclass(frozen=True)
class Outcome:
    id: str
    properties: dict[str, Any]
    inputs: dict[str, Any] | None = None


def provider_for(kind: ResourceType, settings: Mapping[str, Any], timeout: float = 0, say: Say | None = None) -> Any:
    """The type's dynamic provider (its registry entry's), its waits bounded by the request's timeout and
    its progress lines (a local compile's verify result, a FAILED job recreated) sent to the engine's log."""
    config = aws_config(settings)
    provider = entry_for(kind).provider_class()(
        region=config.region, profile=config.profile, endpoint=config.endpoint_url
    )
    return provider.bounded(timeout or None, (lambda line: say(escape(line))) if say is not None else None)


def _stored(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k != DEFAULTS_KEY}


def create(
    kind: ResourceType,
    settings: Mapping[str, Any],
    props: Mapping[str, Any],
    *,
    timeout: float = 0,
    preview: bool = False,
    say: Say | None = None,
) -> Outcome:
    if preview:
        return Outcome("", {**_stored(props), **{k: UNKNOWN for k in kind.output_names()}})
    result = provider_for(kind, settings, timeout, say).create(dict(props))
    return Outcome(result.id, _stored(result.outs))


def update(
    kind: ResourceType,
    settings: Mapping[str, Any],
    id_: str,
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    *,
    ignore: list[str],
    timeout: float = 0,
    preview: bool = False,
    say: Say | None = None,
) -> Outcome:
    if preview:
        moving = {k: UNKNOWN for k in kind.changing_outputs}
        return Outcome(id_, {**dict(olds), **_stored(news), **moving})
    provider = provider_for(kind, settings, timeout, say)
    if ignore:  # the live value stays wherever the program ignores changes
        live = provider.backend(news).live_props(id_, tags="tags" in news)
        if live is not None:
            news = overlay(news, live, ignore)
    result = provider.update(id_, dict(olds), dict(news))
    return Outcome(id_, _stored(result.outs))


def read(
    kind: ResourceType, settings: Mapping[str, Any], id_: str, props: Mapping[str, Any], old_inputs: Mapping[str, Any]
) -> Outcome:
    """Refresh (stored outputs and inputs given) or import (only the id): the live resource, or id "" if gone."""
    result = provider_for(kind, settings).read(id_, dict(props))
    if not result.id:
        return Outcome("", {}, {})
    inputs = {k: v for k, v in (result.inputs or {}).items() if not k.startswith("__")}
    if DEFAULTS_KEY in old_inputs:
        inputs[DEFAULTS_KEY] = old_inputs[DEFAULTS_KEY]
    return Outcome(result.id, _stored(result.outs), inputs)


def delete(
    kind: ResourceType, settings: Mapping[str, Any], id_: str, props: Mapping[str, Any], *, timeout: float = 0
) -> None:
    provider_for(kind, settings, timeout).delete(id_, dict(props))
