"""Check: auto-name the way Pulumi's own providers do, then validate with the spec models.

A name the program leaves out is, in order: exactly the engine's proposal when the
stack enforces one (``autonaming`` ENFORCE), an error when the stack disables
autonaming, the name drawn before (so an existing resource keeps its name and a
preview is stable), the engine's proposal, else ``<logical name>-<7 hex>`` derived
from the request's ``randomSeed``. Which names were drawn is remembered in the
``__defaults`` input (as the bridged providers do), so Diff knows a name is not
fixed and a replacement may create before it deletes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sagemaker_reconciler.errors import Violation
from sagemaker_reconciler.pulumi_resources._common import autoname, failures_for
from sagemaker_reconciler.resource_types import ResourceType

__all__ = ["DEFAULTS_KEY", "Checked", "check", "logical_name"]

DEFAULTS_KEY = "__defaults"
PROPOSE, ENFORCE, DISABLE = 0, 1, 2  # CheckRequest.AutonamingOptions.Mode


@dataclass
class Checked:
    inputs: dict[str, Any]
    failures: list[Violation] = field(default_factory=list)


def logical_name(urn: str, name: str = "") -> str:
    """The resource's name in the program: the request's ``name``, else the URN's last part."""
    return name or urn.rsplit("::", 1)[-1]


def drawn_names(props: Mapping[str, Any]) -> list[str]:
    value = props.get(DEFAULTS_KEY)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _choose_name(
    kind: ResourceType, olds: Mapping[str, Any], name: str, seed: bytes, proposal: tuple[int, str] | None
) -> tuple[str | None, Violation | None]:
    key = kind.name_property
    mode, proposed = proposal if proposal else (None, "")
    if mode == ENFORCE:
        return proposed, None
    if mode == DISABLE:
        return None, Violation(key, "is required: autonaming is disabled for this stack")
    if key in drawn_names(olds) and isinstance(olds.get(key), str):
        return olds[key], None
    if mode == PROPOSE and proposed:
        return proposed, None
    return autoname(name, suffix=hashlib.sha256(seed).hexdigest() if seed else None), None


def check(
    kind: ResourceType,
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    *,
    name: str,
    seed: bytes = b"",
    proposal: tuple[int, str] | None = None,
) -> Checked:
    """The inputs to store (the program's, plus a drawn name) and what breaks a rule.

    During preview, rules that touch a value not known yet are not checked.
    """
    inputs = {k: v for k, v in news.items() if k != DEFAULTS_KEY}
    key = kind.name_property
    failures: list[Violation] = []
    if inputs.get(key) is None:
        chosen, problem = _choose_name(kind, olds, name, seed, proposal)
        if problem:
            failures.append(problem)
        else:
            inputs[key] = chosen
            inputs[DEFAULTS_KEY] = [key]
    named = {v.field for v in failures}
    failures += [
        Violation(f.property, f.reason) for f in failures_for(dict(inputs), kind.parse) if f.property not in named
    ]
    return Checked(inputs, failures)
