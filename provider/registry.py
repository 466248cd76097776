"""The edge half of each resource's definition: what every front end dispatches on.

``resource_types`` is the pure half (token, spec and outputs models, name, what
replaces). An :class:`Entry` adds what needs I/O: how to build the resource's
backend from clients and options (a CompilationJob's cloud or local backend is
chosen here, once, from its ``mode``), how to list the account's resources the
manifest does not declare, which service answer means "not found", and its
Pulumi classes (imported only when asked for: the CLI never loads pulumi).

gitops, the dynamic providers and the plugin look resources up here and never
branch on the kind; a new resource is one more entry (see tests/unit/test_registry.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sagemaker_reconciler.aws import NotFoundRule, resource_not_found
from sagemaker_reconciler.reconcile._time import iso_time
from sagemaker_reconciler.reconcile.backend import Backend, BackendOptions, Clients
from sagemaker_reconciler.reconcile.backends import CloudJobBackend, LocalJobBackend, WorkteamBackend
from sagemaker_reconciler.reconcile.compilation_job import RUNNING
from sagemaker_reconciler.reconcile.workteam import workteam_not_found
from sagemaker_reconciler.report import Unmanaged
from sagemaker_reconciler.resource_types import COMPILATION_JOB, WORKTEAM, ResourceType, register_type, unregister_type

__all__ = ["Entry", "ENTRIES", "entry_for", "entries", "registered", "lazy"]

BackendFactory = Callable[..., Backend]
"""(clients, options, *props): `props` are the desired and/or stored camelCase properties."""
Lister = Callable[[Clients, frozenset[str], "str | None"], list[Unmanaged]]
"""(clients, declared names, --name-contains) -> the account's resources of this type not declared."""


def lazy(path: str) -> Callable[[], Any]:
    """``"package.module:attribute"`` -> a function importing it when first called."""
    module, _, attribute = path.partition(":")
    return lambda: getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class Entry:
    kind: ResourceType
    backend: BackendFactory
    unmanaged: Lister
    not_found: NotFoundRule
    """Whether a service error code and message mean the resource is not there."""
    provider_class: Callable[[], type]
    """The dynamic ResourceProvider (pickled into state by module path: it never moves)."""
    resource_class: Callable[[], type]
    """The dynamic Resource a Python program declares."""
    plugin_diff: Callable[[], Callable[..., Any]]
    """The plugin's per-path diff: (backend, id, olds, news, ignoreChanges) -> DiffOutcome."""
    offline: Callable[[Any], bool] = lambda spec: False
    """Whether this spec is handled with no AWS configuration at all."""


# --- Workteam ----------------------------------------------------------------------------------------


def _workteam_backend(clients: Clients, options: BackendOptions, *props: Mapping[str, Any]) -> Backend:
    return WorkteamBackend(clients, options)


def _unmanaged_workteams(clients: Clients, declared: frozenset[str], name_contains: str | None) -> list[Unmanaged]:
    """ListWorkteams' NameContains must start and end with a letter or digit, so a prefix such as
    ``team-`` is sent without its edge hyphens and the names are filtered here (ignoring case, as the
    service does)."""
    core = name_contains.strip("-") if name_contains else None
    return [
        Unmanaged(
            WORKTEAM.short_token,
            team["WorkteamName"],
            team.get("WorkteamArn", ""),
            created=iso_time(team.get("CreateDate")),
        )
        for team in clients.sagemaker.list_workteams(core)
        if team["WorkteamName"] not in declared
        and (not name_contains or name_contains.lower() in team["WorkteamName"].lower())
    ]


# --- CompilationJob ----------------------------------------------------------------------------------


def _job_backend(clients: Clients, options: BackendOptions, *props: Mapping[str, Any]) -> Backend:
    """Local when the desired or the stored job says ``mode: local`` (a switch between modes is a
    replacement the program states, planned without describing anything)."""
    if any(p.get("mode") == "local" for p in props):
        return LocalJobBackend(clients, options)
    return CloudJobBackend(clients, options)


def _unmanaged_jobs(clients: Clients, declared: frozenset[str], name_contains: str | None) -> list[Unmanaged]:
    """Compilation jobs are records: an account keeps every one it ever ran. Unmanaged are the undeclared
    jobs still running (STARTING, INPROGRESS, STOPPING: they cost and write artifacts); finished ones only
    when --name-contains scopes the listing to a naming prefix the user owns."""
    return [
        Unmanaged(
            COMPILATION_JOB.short_token,
            job["CompilationJobName"],
            job.get("CompilationJobArn", ""),
            job.get("CompilationJobStatus", ""),
            iso_time(job.get("CreationTime")),
        )
        for job in clients.sagemaker.list_compilation_jobs(name_contains)
        if job["CompilationJobName"] not in declared
        and (name_contains or job.get("CompilationJobStatus") in (*RUNNING, "STOPPING"))
    ]


def _job_offline(spec: Any) -> bool:
    """A local-mode job with file:// locations runs offline, with no AWS configuration."""
    if spec.mode != "local" or spec.input_config is None:
        return False
    return all(uri.startswith("file://") for uri in (spec.input_config.s3_uri, spec.output_config.s3_output_location))


ENTRIES: list[Entry] = [
    Entry(
        WORKTEAM,
        backend=_workteam_backend,
        unmanaged=_unmanaged_workteams,
        not_found=workteam_not_found,
        provider_class=lazy("sagemaker_reconciler.pulumi_resources.workteam:WorkteamProvider"),
        resource_class=lazy("sagemaker_reconciler.pulumi_resources.workteam:Workteam"),
        plugin_diff=lazy("sagemaker_reconciler.plugin.diff:diff_workteam"),
    ),
    Entry(
        COMPILATION_JOB,
        backend=_job_backend,
        unmanaged=_unmanaged_jobs,
        not_found=resource_not_found,  # DescribeCompilationJob answers ResourceNotFound
        provider_class=lazy("sagemaker_reconciler.pulumi_resources.compilation_job:CompilationJobProvider"),
        resource_class=lazy("sagemaker_reconciler.pulumi_resources.compilation_job:CompilationJob"),
        plugin_diff=lazy("sagemaker_reconciler.plugin.diff:diff_compilation_job"),
        offline=_job_offline,
    ),
]


def entries() -> tuple[Entry, ...]:
    return tuple(ENTRIES)


def entry_for(kind: ResourceType) -> Entry:
    for entry in ENTRIES:
        if entry.kind is kind:
            return entry
    raise KeyError(f"no registry entry for {kind.token}")


@contextmanager
def registered(entry: Entry) -> Iterator[Entry]:
    """Offer one more resource type for the duration (the toy resource in tests/unit/test_registry.py)."""
    register_type(entry.kind)
    ENTRIES.append(entry)
    try:
        yield entry
    finally:
        ENTRIES.remove(entry)
        unregister_type(entry.kind)
