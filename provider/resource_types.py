"""The resource types this package offers, in one table the schema, the manifest and the CLI share. Pure.

A type token is ``sagemaker-reconciler:index:Workteam`` (package:module:name, as
the Pulumi package schema requires); Pulumi YAML programs, and so the CLI's
manifests, may write the module-less short form ``sagemaker-reconciler:Workteam``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sagemaker_reconciler.specs._base import Model
from sagemaker_reconciler.specs.compilation_job import UPDATABLE as JOB_UPDATABLE
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec, parse_compilation_job
from sagemaker_reconciler.specs.outputs import CompilationJobOutputs, WorkteamOutputs
from sagemaker_reconciler.specs.workteam import REPLACE_ON_CHANGE as WORKTEAM_REPLACE_ON_CHANGE
from sagemaker_reconciler.specs.workteam import WorkteamSpec, parse_workteam

__all__ = [
    "PACKAGE",
    "ResourceType",
    "WORKTEAM",
    "COMPILATION_JOB",
    "RESOURCE_TYPES",
    "resource_type_for",
    "all_types",
    "register_type",
    "unregister_type",
]

PACKAGE = "sagemaker-reconciler"


@dataclass(frozen=True)
class ResourceType:
    name: str
    """``Workteam``: the type's name in its token and in messages."""
    spec_model: type[Model]
    outputs_model: type[Model]
    parse: Callable[[Mapping[str, Any]], Any]
    """camelCase properties -> the validated spec, or SpecError naming each field."""
    name_property: str
    """The input that names the resource in the account and region (and identifies it to the CLI)."""
    replace_on_changes: tuple[str, ...]
    """Inputs whose change replaces the resource; the others change in place (or are provider-only)."""
    changing_outputs: tuple[str, ...] = ()
    """Outputs every in-place update moves (a preview shows them as known only after the update)."""

    @property
    def token(self) -> str:
        return f"{PACKAGE}:index:{self.name}"

    @property
    def short_token(self) -> str:
        return f"{PACKAGE}:{self.name}"

    def input_names(self) -> tuple[str, ...]:
        return tuple(field.alias or name for name, field in self.spec_model.model_fields.items())

    def output_names(self) -> tuple[str, ...]:
        return tuple(field.alias or name for name, field in self.outputs_model.model_fields.items())


WORKTEAM = ResourceType(
    name="Workteam",
    spec_model=WorkteamSpec,
    outputs_model=WorkteamOutputs,
    parse=parse_workteam,
    name_property="workteamName",
    replace_on_changes=WORKTEAM_REPLACE_ON_CHANGE,
    changing_outputs=("lastUpdatedDate",),
)


def _every_input_but(updatable: tuple[str, ...]) -> tuple[str, ...]:
    names = tuple(field.alias or name for name, field in CompilationJobSpec.model_fields.items())
    return tuple(n for n in names if n not in updatable)


COMPILATION_JOB = ResourceType(
    name="CompilationJob",
    spec_model=CompilationJobSpec,
    outputs_model=CompilationJobOutputs,
    parse=parse_compilation_job,
    name_property="compilationJobName",
    replace_on_changes=_every_input_but(JOB_UPDATABLE),
)

RESOURCE_TYPES: tuple[ResourceType, ...] = (WORKTEAM, COMPILATION_JOB)
"""The types this package ships."""
_EXTRA: list[ResourceType] = []


def all_types() -> tuple[ResourceType, ...]:
    """The shipped types plus any registered since (``sagemaker_reconciler.registry.registered``)."""
    return (*RESOURCE_TYPES, *_EXTRA)


def register_type(kind: ResourceType) -> None:
    if resource_type_for(kind.token) is not None:
        raise ValueError(f"{kind.token} is already a resource type")
    _EXTRA.append(kind)


def unregister_type(kind: ResourceType) -> None:
    _EXTRA.remove(kind)


def resource_type_for(token: str) -> ResourceType | None:
    """The type a token names, in its full (``pkg:index:Name``) or short (``pkg:Name``) form."""
    for kind in all_types():
        if token in (kind.token, kind.short_token):
            return kind
    return None
