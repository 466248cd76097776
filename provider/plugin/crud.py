"""Create / Read / Update / Delete through the same providers the dynamic resources use.

The dynamic providers (``sagemaker_reconciler.pulumi_resources``) already drive the
reconcilers for each type and mode; the plugin builds one per request from its
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
from sagemaker_reconciler.pulumi_resources.compilation_job import CompilationJobProvider
from sagemaker_reconciler.pulumi_resources.workteam import WorkteamProvider
from sagemaker_reconciler.reconcile.compilation_job import JOB_OUTPUT_KEYS, CompilationJobReconciler
from sagemaker_reconciler.reconcile.local_compile import LocalCompiler
from sagemaker_reconciler.reconcile.workteam import OUTPUT_KEYS
from sagemaker_reconciler.resource_types import WORKTEAM, ResourceType

__all__ = ["Outcome", "create", "delete", "output_keys", "provider_for", "read", "update"]


Say = Callable[[str], None]
"""One line to the engine's log against the request's resource (the plugin has no Pulumi runtime, so
``pulumi.log`` there would only reach its stderr)."""


class _BoundedJobProvider(CompilationJobProvider):
    """The dynamic job provider whose waits stop at the request's timeout, and whose progress lines
    (a local compile's verify result, a FAILED job recreated) reach the engine's log."""

    timeout: float | None = None
    say: Say | None = None

    def _reconciler(self) -> CompilationJobReconciler:
        reconciler = super()._reconciler()
        reconciler.timeout = self.timeout
        if self.say is not None:
            reconciler.log = self._escaped
        return reconciler

    def _local(self) -> LocalCompiler:
        local = super()._local()
        if self.say is not None:
            local.progress = self._escaped
        return local

    def _escaped(self, line: str) -> None:
        if self.say is not None:
            self.say(escape(line))


@dataclass(frozen=True)
class Outcome:
    id: str
    properties: dict[str, Any]
    inputs: dict[str, Any] | None = None


def output_keys(kind: ResourceType) -> tuple[str, ...]:
    return OUTPUT_KEYS if kind is WORKTEAM else JOB_OUTPUT_KEYS


def provider_for(kind: ResourceType, settings: Mapping[str, Any], timeout: float = 0, say: Say | None = None) -> Any:
    config = aws_config(settings)
    args = {"region": config.region, "profile": config.profile, "endpoint": config.endpoint_url}
    if kind is WORKTEAM:
        return WorkteamProvider(**args)
    provider = _BoundedJobProvider(**args)
    provider.timeout = timeout or None
    provider.say = say
    return provider


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
        return Outcome("", {**_stored(props), **{k: UNKNOWN for k in output_keys(kind)}})
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
        moving = {"lastUpdatedDate": UNKNOWN} if kind is WORKTEAM else {}
        return Outcome(id_, {**dict(olds), **_stored(news), **moving})
    provider = provider_for(kind, settings, timeout, say)
    if ignore:  # the live value stays wherever the program ignores changes
        reconciler = provider._reconciler()
        live = (
            reconciler.observe(id_, tags="tags" in news)
            if kind is WORKTEAM
            else reconciler.observe(id_, check_artifact=False, tags="tags" in news)
        )
        if live is not None:
            news = overlay(news, live.props, ignore)
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
