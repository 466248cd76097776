"""The old import name ``provider`` as an alias of ``sagemaker_reconciler``: the same module objects.

Stack state holds the dynamic provider dill-pickled by module path, and Pulumi's
dynamic server unpickles it to read or delete a resource, so a stack created
before the rename stores ``provider.pulumi_resources.workteam`` and must still
destroy. Loading the folder twice (once per name) would duplicate every class, and
``isinstance`` and ``except`` would then disagree between the two; so ``provider.x``
is served as the very module ``sagemaker_reconciler.x``, loaded once.

Three ways in, one outcome:
- ``import sagemaker_reconciler`` (installed by setuptools' package-dir mapping)
  installs the finder below;
- a checkout on ``sys.path`` finds the folder ``provider/`` itself, whose
  ``__init__`` then loads the canonical package from the same folder and steps aside;
- an installed wheel ships a two-line ``provider`` package (``compat/provider``) that
  imports ``sagemaker_reconciler`` and steps aside.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import CodeType, ModuleType

__all__ = ["CANONICAL", "OLD", "install"]

CANONICAL = "sagemaker_reconciler"
OLD = "provider"


def _canonical_name(fullname: str) -> str | None:
    if fullname == OLD:
        return CANONICAL
    if fullname.startswith(OLD + "."):
        return CANONICAL + fullname[len(OLD) :]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands back the canonical module instead of executing the file a second time."""

    def __init__(self, canonical: str) -> None:
        self.canonical = canonical

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.canonical)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system stamped the alias spec onto the module in between; give it back its own.
        module.__spec__ = self._own_spec

    # runpy (``python -m provider``, ``python -m provider.endpoint``) asks the loader for the code.
    def get_code(self, fullname: str) -> CodeType | None:
        spec = importlib.util.find_spec(self.canonical)
        loader = spec.loader if spec else None
        get_code = getattr(loader, "get_code", None)
        return get_code(self.canonical) if get_code else None

    def is_package(self, fullname: str) -> bool:
        spec = importlib.util.find_spec(self.canonical)
        return bool(spec and spec.submodule_search_locations is not None)


class _AliasFinder(importlib.abc.MetaPathFinder):
    """``provider`` and ``provider.*`` -> the modules of ``sagemaker_reconciler`` (first on sys.meta_path)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        canonical = _canonical_name(fullname)
        if canonical is None:
            return None
        real = importlib.util.find_spec(canonical)
        if real is None:
            return None
        spec = importlib.machinery.ModuleSpec(
            fullname,
            _AliasLoader(canonical),
            origin=real.origin,
            is_package=real.submodule_search_locations is not None,
        )
        # runpy (``python -m provider.x``) gives __main__ the spec's origin as __file__; torch reads it.
        spec.has_location = real.has_location
        return spec


_FINDER = _AliasFinder()


def install() -> None:
    """Serve ``provider`` and ``provider.*`` from ``sagemaker_reconciler``; idempotent.

    First on ``sys.meta_path``, so a checkout's folder is never loaded a second time
    under the old name. While modules of this package still import ``provider.x``
    (until the mechanical rename), this also means a user's own ``provider.py``
    cannot take the name once ``sagemaker_reconciler`` is imported.
    """
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
    canonical = sys.modules.get(CANONICAL)
    if canonical is not None:
        sys.modules.setdefault(OLD, canonical)
