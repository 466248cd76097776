"""What every dynamic provider here shares: plain config, wire cleanup, preview Unknowns, auto-naming.

The provider object is dill-pickled into stack state, so it holds only plain
strings (region, profile, endpoint); gateways are built inside each call.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.runtime import rpc

from sagemaker_reconciler.aws import AwsConfig, SageMakerGateway
from sagemaker_reconciler.errors import CreatedButFailed, ReconcilerError, SpecError
from sagemaker_reconciler.plan.model import UNKNOWN, contains_unknown
from sagemaker_reconciler.printable import escape
from sagemaker_reconciler.reconcile.backend import Backend, BackendOptions, Clients
from sagemaker_reconciler.resource_types import ResourceType
from sagemaker_reconciler.specs._base import integral_floats_to_int

__all__ = [
    "CONFIG_NAMESPACE",
    "AUTONAME_KEY",
    "ConfiguredProvider",
    "BackendProvider",
    "from_wire",
    "unknown_paths",
    "failures_for",
    "autoname",
    "camel_props",
    "snake",
    "checked_inputs",
    "resource_props",
    "add_snake_case_attributes",
    "spec_props",
    "with_autoname",
    "refreshed",
    "explain",
    "remove_created",
]

CONFIG_NAMESPACE = "sagemaker-reconciler"
AUTONAME_KEY = "__autonamePrefix"
_INTERNAL = ("__provider",)


def _is_unknown(value: Any) -> bool:
    return isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN


def from_wire(props: Mapping[str, Any]) -> dict[str, Any]:
    """Engine properties -> core values: no __provider, ints back from floats, Unknown -> core UNKNOWN."""

    def convert(value: Any) -> Any:
        if _is_unknown(value):
            return UNKNOWN
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    return integral_floats_to_int({k: convert(v) for k, v in props.items() if k not in _INTERNAL})


def unknown_paths(value: Any, path: str = "") -> list[str]:
    """camelCase dotted paths of every UNKNOWN inside `value`."""
    if value is UNKNOWN:
        return [path]
    found: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            found += unknown_paths(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found += unknown_paths(v, f"{path}[{i}]")
    return found


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith((b + ".", b + "[")) or b.startswith((a + ".", a + "["))


def failures_for(props: dict[str, Any], validate: Callable[[dict[str, Any]], Any]) -> list[pulumi.dynamic.CheckFailure]:
    """Validate; during preview drop only the failures that touch a value not known yet."""
    try:
        validate({k: v for k, v in props.items() if not k.startswith("__")})
    except SpecError as exc:
        unknown = unknown_paths(props)
        return [
            pulumi.dynamic.CheckFailure(v.field, v.rule)
            for v in exc.violations
            if not any(_related(v.field, u) for u in unknown)
        ]
    return []


def autoname(logical_name: str, max_length: int = 63, suffix: str | None = None) -> str:
    """Pulumi-style auto name: the logical name, sanitized to [A-Za-z0-9-], plus 7 hex chars (random unless given)."""
    base = re.sub(r"[^A-Za-z0-9-]+", "-", logical_name).strip("-") or "resource"
    base = base[: max_length - 8].rstrip("-")
    return f"{base}-{(suffix or secrets.token_hex(4))[:7]}"


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    if name.startswith("__"):
        return name  # engine/provider-internal keys (__provider, __autonamePrefix) are never renamed
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def camel_props(value: Any, *, opaque: tuple[str, ...] = ("tags",)) -> Any:
    """Python kwargs (snake_case, nested dicts, Outputs) -> camelCase properties; `opaque` maps keep user keys."""
    if isinstance(value, pulumi.Output):
        return value.apply(lambda v: camel_props(v, opaque=opaque))
    if isinstance(value, Mapping):
        return {_camel(k): (v if _camel(k) in opaque else camel_props(v, opaque=opaque)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [camel_props(v, opaque=opaque) for v in value]
    return value


def resource_props(
    args: Mapping[str, Any], resource_name: str, name_arg: str, output_keys: tuple[str, ...]
) -> dict[str, Any]:
    """Registration properties, camelCase as on the wire and in state (user map keys such as tags untouched)."""
    props: dict[str, Any] = camel_props({k: v for k, v in args.items() if v is not None})
    if args.get(name_arg) is None:
        props[AUTONAME_KEY] = resource_name
        props[_camel(name_arg)] = None  # still an output: the generated name resolves on the attribute
    for key in output_keys:
        props[key] = None
    return props


def add_snake_case_attributes(resource: pulumi.CustomResource, props: Mapping[str, Any]) -> None:
    """`team.create_date` beside `team.createDate`: the same Output, under its Python name.

    The SDK names attributes after the registered keys, and its key translation
    would also rename user map keys (tags), so the keys stay camelCase and the
    Python names are added as aliases.
    """
    for key in props:
        if not key.startswith("__") and snake(key) != key:
            setattr(resource, snake(key), getattr(resource, key))


class ConfiguredProvider(pulumi.dynamic.ResourceProvider):
    """Region/profile/endpoint from the constructor, else stack config, else the AWS environment."""

    serialize_as_secret_always = True
    _timeout: float | None = None
    _progress: Callable[[str], None] | None = None
    """Set only by `bounded` (the plugin): class defaults keep the instance's state what it always was."""

    def __init__(self, region: str | None = None, profile: str | None = None, endpoint: str | None = None):
        super().__init__()
        self.region = region
        self.profile = profile
        self.endpoint = endpoint
        self._stack_config: dict[str, str | None] = {}

    def bounded(self, timeout: float | None, progress: Callable[[str], None] | None = None) -> ConfiguredProvider:
        """Waits stop at `timeout` seconds (the plugin's request timeout), and progress lines (a local
        compile's verify result, a FAILED job recreated) go to `progress` instead of Pulumi's log.
        Neither reaches state: only region, profile and endpoint are pickled."""
        self._timeout = timeout or None
        if progress is not None:
            self._progress = progress
        return self

    def __getstate__(self) -> dict[str, Any]:
        # Only plain configuration reaches state: never a client, session or credential.
        return {"region": self.region, "profile": self.profile, "endpoint": self.endpoint}

    def __setstate__(self, state: dict[str, Any]) -> None:
        type(self).__init__(self, **state)

    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        self._stack_config = {
            key: req.config.get(f"{CONFIG_NAMESPACE}:{key}") for key in ("region", "profile", "endpoint")
        }

    def aws_config(self) -> AwsConfig:
        stack = self._stack_config
        return AwsConfig(
            region=self.region or stack.get("region"),
            profile=self.profile or stack.get("profile"),
            endpoint_url=self.endpoint or stack.get("endpoint"),
        )

    def gateway(self) -> SageMakerGateway:
        return SageMakerGateway(self.aws_config())

    def backend_options(self) -> BackendOptions:
        return BackendOptions(self.aws_config(), timeout=self._timeout, progress=self._progress or log_line)


class BackendProvider(ConfiguredProvider):
    """check / create / update / read / delete for any registered resource type, over the backend its
    registry entry builds (a CompilationJob's cloud or local one: chosen there, from the properties).
    Each subclass names its `KIND` and decides its own diff."""

    KIND: ClassVar[ResourceType]

    def backend(self, *props: Mapping[str, Any]) -> Backend:
        from sagemaker_reconciler.registry import entry_for  # the registry names these classes

        return entry_for(self.KIND).backend(Clients(self.aws_config()), self.backend_options(), *props)

    def spec(self, props: Mapping[str, Any]) -> Any:
        return self.KIND.parse(spec_props(props, self.KIND.output_names()))

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        return checked_inputs(olds, news, self.KIND.name_property, self.KIND.parse)

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        spec = self.spec(props)
        desired = spec.to_props()
        backend = self.backend(desired)
        try:
            outs = backend.create(spec)
        except CreatedButFailed as exc:
            # A failed create must leave nothing behind: an auto-named resource would be orphaned by the next name.
            if AUTONAME_KEY not in props:
                raise
            remove_created(exc, lambda: backend.discard(spec))
        return pulumi.dynamic.CreateResult(desired[self.KIND.name_property], with_autoname(outs, props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        spec = self.spec(news)
        outs = self.backend(spec.to_props()).update(spec, from_wire(olds))
        return pulumi.dynamic.UpdateResult(with_autoname(outs, news))

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        stored = from_wire(props)
        found = self.backend(stored).read(id_, stored)
        if found is None:
            return pulumi.dynamic.ReadResult("", {})  # gone: the engine drops it from state
        if found.inputs is not None:
            return pulumi.dynamic.ReadResult(id_, found.outputs, found.inputs)
        return refreshed(id_, found.spec_props, found.outputs, props, found.flag, kept=found.kept)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        stored = from_wire(props)
        self.backend(stored).delete(id_, stored)


def checked_inputs(
    olds: Mapping[str, Any], news: Mapping[str, Any], name_key: str, validate: Callable[[dict[str, Any]], Any]
) -> pulumi.dynamic.CheckResult:
    """Auto-name when asked (reusing the previous name), validate, and hand the engine back its own values.

    A name is reused only while the same logical name asks for it; with no olds
    (a new resource, or the engine re-checking for a replacement) a fresh one is
    drawn, so an auto-named replacement can be created before the old one goes.
    """
    inputs = from_wire(news)
    previous = from_wire(olds or {})
    prefix = inputs.get(AUTONAME_KEY)
    if prefix is not None and name_key not in inputs:
        reusable = previous.get(AUTONAME_KEY) == prefix and isinstance(previous.get(name_key), str)
        inputs[name_key] = previous[name_key] if reusable else autoname(str(prefix))
    elif prefix is not None:
        inputs.pop(AUTONAME_KEY)  # the user named it: a fixed name, so delete-before-replace
    failures = failures_for(inputs, validate)
    out = {k: v for k, v in news.items() if k != "__provider"}
    for key, value in inputs.items():
        if not contains_unknown(value):
            out[key] = value  # preview Unknowns stay the engine's own Unknowns
    if AUTONAME_KEY not in inputs:
        out.pop(AUTONAME_KEY, None)
    return pulumi.dynamic.CheckResult(out, failures)


def spec_props(props: Mapping[str, Any], output_keys: tuple[str, ...]) -> dict[str, Any]:
    """Stored or new properties minus engine-internal keys and computed outputs: what the spec sees."""
    return {k: v for k, v in from_wire(props).items() if not k.startswith("__") and k not in output_keys}


def with_autoname(outs: dict[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the auto-naming marker in state, so later checks keep reusing the generated name."""
    return {**outs, AUTONAME_KEY: props[AUTONAME_KEY]} if AUTONAME_KEY in props else outs


def refreshed(
    id_: str,
    live_spec: dict[str, Any],
    live_outputs: dict[str, Any],
    stored: Mapping[str, Any],
    flag: str,
    kept: Mapping[str, Any] | None = None,
) -> pulumi.dynamic.ReadResult:
    """A read result whose inputs are the live resource (refresh resets drift, import adopts it).

    `flag` is the provider-only boolean input (forceDelete, deleteArtifacts) kept from state; `kept` maps
    other inputs the service does not echo (a job's mode, verify...) to their defaults: each is kept as
    stored, or takes its default when nothing is stored (an import), as a create would. Tags the
    stored state does not manage stay unmanaged: the engine's refresh diffs these values against the
    program, so live tags of a program without `tags` would show every refresh as an update.
    """
    previous = from_wire(stored)
    inputs = {**live_spec, flag: bool(previous.get(flag, False))}
    inputs.update({k: previous.get(k, default) for k, default in (kept or {}).items() if k != flag})
    if "tags" not in previous and (previous or not inputs.get("tags")):
        inputs.pop("tags", None)  # an import of an untagged resource: a program without tags matches it
    if AUTONAME_KEY in previous:
        inputs[AUTONAME_KEY] = previous[AUTONAME_KEY]
    outs = {**{k: v for k, v in inputs.items() if k != AUTONAME_KEY}, **live_outputs}
    return pulumi.dynamic.ReadResult(id_, outs, inputs)


def explain(lines: list[str]) -> None:
    """Say why a diff found changes: the engine forwards no detailed diff from dynamic providers,
    so the reasons (and drift, which an input-only diff cannot show) go to the provider's log."""
    for line in lines:
        log_line(line)


def log_line(line: str) -> None:
    """One line to the engine's log, escaped like everything else printed (sagemaker_reconciler.printable)."""
    pulumi.log.info(escape(line))


def remove_created(failure: Exception, delete: Callable[[], None]) -> None:
    """Remove what a failed create left behind, then raise the create's own error (or say what is left)."""
    cause = getattr(failure, "cause", failure)
    try:
        delete()
    except ReconcilerError as cleanup:
        raise ReconcilerError(f"{failure}; removing it failed too, delete it by hand: {cleanup}") from cause
    raise cause
