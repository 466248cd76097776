"""Entries for a `pulumi import --file` of existing work teams and compilation jobs.

Importing a dynamic resource by ID alone fails (pulumi/pulumi#16175): the engine's Read carries no
state, and the SDK's dynamic-provider server finds the provider only inside it (`KeyError:
'__provider'`). An import-file entry that carries the resource's `inputs` and `outputs`, each with the
pickled provider, makes the engine skip that Read and only Check the inputs. This builds such entries
from the live resource, read the same way a refresh reads it.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic.dynamic import serialize_provider

from sagemaker_reconciler.errors import ConfigError, NotFound
from sagemaker_reconciler.pulumi_resources._common import ConfiguredProvider
from sagemaker_reconciler.registry import entries

__all__ = ["TYPE_TOKENS", "import_entry"]

TYPE_TOKENS = {entry.kind.name: f"pulumi-python:dynamic/sagemaker:{entry.kind.name}" for entry in entries()}
"""The dynamic resources' engine type tokens (``module="sagemaker"``), by type name."""


def import_entry(
    kind: str, logical_name: str, resource_id: str, provider: ConfiguredProvider | None = None
) -> dict[str, Any]:
    """One `resources[]` entry: `kind` is Workteam or CompilationJob, `resource_id` its name in the account.

    Pass the same `provider_config` the program uses (default: one built from the AWS environment).
    Raises NotFound when the resource does not exist, ConfigError for an unknown kind.
    """
    entry = next((e for e in entries() if e.kind.name == kind), None)
    if entry is None:
        raise ConfigError(f"kind must be one of {sorted(TYPE_TOKENS)}, not {kind!r}")
    provider = provider or entry.provider_class()()
    read = provider.read(resource_id, {})
    if not read.id:
        raise NotFound(f"Describe{kind}", "ResourceNotFound", f"no {kind} named {resource_id!r} to import", resource_id)
    blob = serialize_provider(provider)
    return {
        "type": TYPE_TOKENS[kind],
        "name": logical_name,
        "id": resource_id,
        "inputs": {**(read.inputs or {}), "__provider": blob},
        "outputs": {**(read.outs or {}), "__provider": blob},
    }
