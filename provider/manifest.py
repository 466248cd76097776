"""Manifests: the ``resources:`` of a Pulumi YAML program, parsed into validated specs. Pure (no AWS).

A manifest is what the ``sagemaker-reconcile`` CLI plans, applies and checks
for drift::

    resources:
      labelers:                                   # logical name
        type: sagemaker-reconciler:Workteam       # or sagemaker-reconciler:index:Workteam
        properties:                               # camelCase, as in schema.json
          workteamName: street-scenes             # required here: the CLI is stateless and
          ...                                     # finds each resource by its name

Every problem is collected before anything talks to AWS, each naming its path
from the document's root (``resources.labelers.properties.memberDefinitions[0]
.cognitoMemberDefinition.userPool``) and its line. ``outputs:`` of the form
``${logical.property}`` are checked here and resolved after an apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sagemaker_reconciler.errors import ManifestError, ManifestProblem, SpecError
from sagemaker_reconciler.resource_types import ResourceType, all_types, resource_type_for

__all__ = [
    "Manifest",
    "ManifestResource",
    "load_manifest",
    "parse_manifest",
    "resolve_outputs",
    "SUPPORTED_OPTIONS",
    "ManifestLimits",
    "DEFAULT_MANIFEST_LIMITS",
]

_RESOURCE_KEYS = ("type", "properties", "options")
SUPPORTED_OPTIONS = ("protect",)
"""Resource options the CLI acts on: `protect: true` refuses a replacement."""
_INERT_OPTIONS = (
    "dependsOn",
    "deleteBeforeReplace",
    "retainOnDelete",
    "version",
    "pluginDownloadURL",
    "additionalSecretOutputs",
    "aliases",
    "parent",
)
"""Options that change nothing for a stateless run (no URNs, no deletes, resources do not refer to each other)."""
_INTERPOLATION = re.compile(r"(?<!\$)\$\{([^}]*)\}")
_OUTPUT_REFERENCE = re.compile(r"([A-Za-z0-9_.\-]+?)\.([A-Za-z][A-Za-z0-9]*)")


@dataclass(frozen=True)
class ManifestResource:
    logical_name: str
    kind: ResourceType
    spec: Any
    """The validated spec (WorkteamSpec, CompilationJobSpec)."""
    protect: bool = False
    line: int | None = None

    @property
    def name(self) -> str:
        """The resource's name in the account and region (workteamName, compilationJobName)."""
        return str(self.spec.to_props()[self.kind.name_property])

    @property
    def type_token(self) -> str:
        return self.kind.short_token


@dataclass(frozen=True)
class Manifest:
    source: str
    resources: tuple[ManifestResource, ...]
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """The program's ``outputs:``, as written (``${logical.property}`` references checked)."""


# --- YAML with positions ---------------------------------------------------------------------


@dataclass
class _Document:
    value: Any
    lines: dict[str, int]

    def line(self, path: str) -> int | None:
        """The line of `path`, or of its nearest ancestor the document has (a missing key: its mapping)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("")


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


@dataclass(frozen=True)
class ManifestLimits:
    """What a manifest may cost to read: a small file can otherwise expand (YAML aliases) to gigabytes."""

    max_bytes: int = 1 << 20
    max_nodes: int = 50_000
    """Values in the document, counted both as written and as expanded (every alias counts its whole value).
    A resource is ~25 values; composing one costs ~1 KB and ~40 us in PyYAML."""
    max_depth: int = 64


DEFAULT_MANIFEST_LIMITS = ManifestLimits()


class _OverBudget(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message, self.line = message, line


def _budgeted_loader(text: str, limits: ManifestLimits) -> yaml.SafeLoader:
    """A SafeLoader that stops composing past `max_nodes` values or `max_depth` levels (memory stays bounded)."""
    loader = yaml.SafeLoader(text)
    composed = {"nodes": 0, "depth": 0}
    compose_node = loader.compose_node

    def bounded(parent: Any, index: Any) -> Any:
        composed["nodes"] += 1
        composed["depth"] += 1
        try:
            if composed["nodes"] > limits.max_nodes:
                raise _OverBudget(f"has more than {limits.max_nodes} values", loader.get_mark().line + 1)
            if composed["depth"] > limits.max_depth:
                raise _OverBudget(f"is nested more than {limits.max_depth} levels deep", loader.get_mark().line + 1)
            return compose_node(parent, index)
        finally:
            composed["depth"] -= 1

    loader.compose_node = bounded  # type: ignore[method-assign]
    return loader


def _expanded_size(root: yaml.Node, limits: ManifestLimits) -> None:
    """Refuse a document whose aliases and merge keys expand past the budget, before anything is built.

    Sizes are memoised per node, so this costs the document's size, not its expansion."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        line = node.start_mark.line + 1
        if key in open_nodes:
            raise _OverBudget("an alias refers to a value that contains it", line)
        if depth > limits.max_depth:
            raise _OverBudget(f"is nested more than {limits.max_depth} levels deep (through aliases)", line)
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [item for pair in node.value for item in pair]
        else:
            children = []
        for child in children:
            total += size(child, depth + 1)
            if total > limits.max_nodes:
                raise _OverBudget(f"expands to more than {limits.max_nodes} values (YAML aliases?)", line)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root, 0)


def _read_yaml(text: str, source: str, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS) -> _Document:
    """YAML -> plain values plus the line of every path; duplicate keys are errors (PyYAML keeps the last)."""
    loader: yaml.SafeLoader | None = None
    problems: list[ManifestProblem] = []
    lines: dict[str, int] = {}
    if len(text) > limits.max_bytes:
        raise ManifestError(source, [ManifestProblem("", f"is larger than {limits.max_bytes} bytes")])
    try:
        loader = _budgeted_loader(text, limits)  # reading starts here: a control character fails already
        node = loader.get_single_node()
        if node is not None:
            _expanded_size(node, limits)

        def build(node: yaml.Node, path: str) -> Any:
            lines.setdefault(path, node.start_mark.line + 1)
            if isinstance(node, yaml.MappingNode):
                loader.flatten_mapping(node)  # `<<: *anchor` merges, as PyYAML's own constructor does
                out: dict[Any, Any] = {}
                for key_node, value_node in node.value:
                    key = (
                        loader.construct_object(key_node, deep=True) if isinstance(key_node, yaml.ScalarNode) else None
                    )
                    if not isinstance(key, (str, int, float, bool)):
                        problems.append(
                            ManifestProblem(path, "mapping keys must be plain scalars", key_node.start_mark.line + 1)
                        )
                        continue
                    child = _join(path, key)
                    if key in out:
                        problems.append(ManifestProblem(child, f"duplicate key {key!r}", key_node.start_mark.line + 1))
                        continue
                    lines[child] = key_node.start_mark.line + 1
                    out[key] = build(value_node, child)
                return out
            if isinstance(node, yaml.SequenceNode):
                return [build(item, _join(path, i)) for i, item in enumerate(node.value)]
            return loader.construct_object(node, deep=True)

        value = build(node, "") if node is not None else None
    except _OverBudget as exc:
        raise ManifestError(source, [ManifestProblem("", f"the document {exc.message}", exc.line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f", column {mark.column + 1}" if mark else ""
        what = f"{exc.problem} ({exc.context})" if exc.context else str(exc.problem)
        raise ManifestError(source, [ManifestProblem("", f"YAML syntax error{column}: {what}", line)]) from None
    except yaml.YAMLError as exc:
        raise ManifestError(source, [ManifestProblem("", f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ManifestError(source, [ManifestProblem("", "nested too deeply to be a manifest")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise ManifestError(source, problems)
    return _Document(value, lines)


# --- resources -------------------------------------------------------------------------------


def _interpolations(value: Any, path: str) -> list[tuple[str, str]]:
    """(path, what) for every ${...} and fn:: in `value`: they need the Pulumi engine."""
    found: list[tuple[str, str]] = []
    if isinstance(value, str):
        found += [(path, f"${{{m.group(1)}}}") for m in _INTERPOLATION.finditer(value)]
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and key.startswith("fn::"):
                found.append((_join(path, key), key))
            else:
                found += _interpolations(item, _join(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _interpolations(item, _join(path, i))
    return found


def _valid_types() -> str:
    return ", ".join(kind.short_token for kind in all_types())


def _resource(logical: str, body: Any, doc: _Document) -> tuple[ManifestResource | None, list[ManifestProblem]]:
    base = f"resources.{logical}"

    def problem(path: str, message: str) -> ManifestProblem:
        return ManifestProblem(path, message, doc.line(path))

    if not isinstance(body, Mapping):
        return None, [problem(base, "must be a mapping with `type:` and `properties:`")]
    problems = [
        problem(_join(base, key), f"is not supported here (a resource takes {', '.join(_RESOURCE_KEYS)})")
        for key in body
        if key not in _RESOURCE_KEYS
    ]
    token = body.get("type")
    kind = resource_type_for(token) if isinstance(token, str) else None
    if token is None:
        problems.append(problem(f"{base}.type", f"is required: one of {_valid_types()}"))
    elif kind is None:
        problems.append(problem(f"{base}.type", f"unknown type {token!r}; valid types: {_valid_types()}"))

    options = body.get("options") or {}
    protect = False
    if not isinstance(options, Mapping):
        problems.append(problem(f"{base}.options", "must be a mapping"))
    else:
        for key, value in options.items():
            path = _join(f"{base}.options", key)
            if key == "protect":
                if not isinstance(value, bool):
                    problems.append(problem(path, "must be true or false"))
                protect = value is True
            elif key not in _INERT_OPTIONS:
                problems.append(
                    problem(
                        path,
                        (
                            f"is not supported by sagemaker-reconcile (supported: {', '.join(SUPPORTED_OPTIONS)}; "
                            f"no effect: {', '.join(_INERT_OPTIONS)})"
                        ),
                    )
                )

    props = body.get("properties", {})
    props_path = f"{base}.properties"
    if props is None:
        props = {}
    if not isinstance(props, Mapping):
        problems.append(problem(props_path, "must be a mapping of property names to values"))
        return None, problems
    interpolated = _interpolations(props, props_path)
    problems += [
        problem(path, f"{what} needs the Pulumi engine; sagemaker-reconcile takes literal values only")
        for path, what in interpolated
    ]
    if kind is None or interpolated:
        return None, problems
    unnamed = kind.name_property not in props
    if unnamed:
        problems.append(
            problem(
                _join(props_path, kind.name_property),
                "is required: sagemaker-reconcile finds each resource by its name in the account and region",
            )
        )
    try:
        spec = kind.parse(props)
    except SpecError as exc:
        problems += [
            problem(_join(props_path, v.field) if v.field else props_path, v.rule)
            for v in exc.violations
            if not (unnamed and v.field == kind.name_property)
        ]
        return None, problems
    if problems:
        return None, problems
    return ManifestResource(logical, kind, spec, protect, doc.line(base)), []


def _output_problems(outputs: Any, resources: Mapping[str, ManifestResource], doc: _Document) -> list[ManifestProblem]:
    if outputs is None:
        return []
    if not isinstance(outputs, Mapping):
        return [ManifestProblem("outputs", "must be a mapping of output names to values", doc.line("outputs"))]
    problems = []
    for path, what in _interpolations(outputs, "outputs"):
        reference = what[2:-1] if what.startswith("${") else ""
        match = _OUTPUT_REFERENCE.fullmatch(reference)
        resource = resources.get(match.group(1)) if match else None
        if match is None or resource is None:
            message = (
                f"{what}: only ${{<resource>.<property>}} of a resource in this manifest can be resolved"
                if not what.startswith("fn::")
                else f"{what} needs the Pulumi engine"
            )
            problems.append(ManifestProblem(path, message, doc.line(path)))
            continue
        known = (*resource.kind.input_names(), *resource.kind.output_names())
        if match.group(2) not in known:
            problems.append(
                ManifestProblem(
                    path, f"{what}: a {resource.kind.name} has no property {match.group(2)!r}", doc.line(path)
                )
            )
    return problems


def parse_manifest(text: str, source: str = "<manifest>", limits: ManifestLimits | None = None) -> Manifest:
    """Parse and validate a whole manifest, or raise ManifestError listing every problem."""
    doc = _read_yaml(text, source, limits or DEFAULT_MANIFEST_LIMITS)
    root = doc.value
    if root is None:
        raise ManifestError(source, [ManifestProblem("", "the manifest is empty; expected a `resources:` mapping")])
    if not isinstance(root, Mapping):
        raise ManifestError(source, [ManifestProblem("", "must be a mapping with a `resources:` key", doc.line(""))])
    if "resources" not in root:
        raise ManifestError(source, [ManifestProblem("resources", "is required: the resources to reconcile")])
    declared = root["resources"] or {}
    if not isinstance(declared, Mapping):
        raise ManifestError(
            source,
            [ManifestProblem("resources", "must be a mapping of logical names to resources", doc.line("resources"))],
        )
    problems: list[ManifestProblem] = []
    resources: dict[str, ManifestResource] = {}
    owners: dict[tuple[str, str], str] = {}
    for logical, body in declared.items():
        resource, found = _resource(str(logical), body, doc)
        problems += found
        if resource is None:
            continue
        key = (resource.kind.name, resource.name)
        if key in owners:
            path = f"resources.{logical}.properties.{resource.kind.name_property}"
            problems.append(
                ManifestProblem(
                    path,
                    f"{resource.name!r} is also the name of resource {owners[key]!r}: one name, one resource",
                    doc.line(path),
                )
            )
            continue
        owners[key] = str(logical)
        resources[str(logical)] = resource
    outputs = root.get("outputs")
    if not problems:
        problems += _output_problems(outputs, resources, doc)
    if problems:
        raise ManifestError(source, problems)
    return Manifest(source, tuple(resources.values()), dict(outputs or {}))


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problem = ManifestProblem("", f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", line)
        raise ManifestError(source, [problem]) from None


def _read_bounded(handle: Any, source: str, limits: ManifestLimits) -> bytes:
    data: bytes = handle.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise ManifestError(source, [ManifestProblem("", f"is larger than {limits.max_bytes} bytes")])
    return data


def load_manifest(path: str | Path, limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS) -> Manifest:
    """Read and parse a manifest file (``-``: standard input): a regular file (or a pipe on stdin),
    at most ``limits.max_bytes``, UTF-8."""
    import os
    import stat

    if str(path) == "-":
        import sys

        data = _read_bounded(sys.stdin.buffer, "<stdin>", limits)
        return parse_manifest(_decode(data, "<stdin>"), "<stdin>", limits)
    source = str(path)
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore the flag.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise ManifestError(source, [ManifestProblem("", f"cannot read the manifest: {exc.strerror or exc}")]) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(mode) else "a device, FIFO or socket"
        raise ManifestError(source, [ManifestProblem("", f"is {what}, not a regular file")])
    with open(fd, "rb") as handle:
        try:
            data = _read_bounded(handle, source, limits)
        except OSError as exc:
            raise ManifestError(
                source, [ManifestProblem("", f"cannot read the manifest: {exc.strerror or exc}")]
            ) from None
    return parse_manifest(_decode(data, source), source, limits)


def resolve_outputs(outputs: Mapping[str, Any], values: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The program's outputs with every ``${logical.property}`` replaced by the applied resource's value.

    A value that is exactly one reference takes the referenced value as is (a list stays a list);
    references inside longer strings are substituted as text. Unresolvable ones are left as written.
    """

    def lookup(reference: str) -> Any:
        match = _OUTPUT_REFERENCE.fullmatch(reference)
        if match and match.group(1) in values and match.group(2) in values[match.group(1)]:
            return values[match.group(1)][match.group(2)]
        return None

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            whole = _INTERPOLATION.fullmatch(value)
            if whole and lookup(whole.group(1)) is not None:
                return lookup(whole.group(1))
            return _INTERPOLATION.sub(
                lambda m: str(lookup(m.group(1))) if lookup(m.group(1)) is not None else m.group(0), value
            )
        if isinstance(value, Mapping):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return {key: resolve(value) for key, value in outputs.items()}
