"""The local-compile entry points the CompilationJob resource calls.

``check_request`` is cheap and imports no tvm: the resource's check step uses
it to reject an unservable target or framework before anything runs.
``compile_model`` does the work: cache lookup on a content digest first (a hit
extracts nothing and compiles nothing), then safe extraction into a temp dir,
frontend, TVM build (tuning when asked), and a deterministic artifact:

    model-<target>.tar.gz
      model.so        the compiled library: tvm.runtime.load_module + relax.VirtualMachine(lib, dev)["main"]
      manifest.json   framework, inputs in call order, outputs, target, TVM version, source digest

Transport (s3:// vs file://) is the caller's business: this module takes a
local archive path and returns a local artifact path plus its digest;
``publish_artifact`` copies it to a ``file://`` output location with Neo-like
naming.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagemaker_reconciler.local_compile._deps import tvm_version
from sagemaker_reconciler.local_compile.archive import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    copy_file,
    extract_archive,
    sha256_file,
    write_deterministic_tar_gz,
)
from sagemaker_reconciler.local_compile.cache import ArtifactCache, cache_key, default_cache_dir
from sagemaker_reconciler.local_compile.frontends import check_framework, load_model, parse_data_input_config
from sagemaker_reconciler.local_compile.targets import ResolvedTarget, parse_compiler_options, resolve_target
from sagemaker_reconciler.local_compile.tvm_backend import (
    BuildResult,
    Progress,
    ProgressCallback,
    TuningOptions,
    build_library,
)

__all__ = [
    "MANIFEST_FORMAT",
    "CompileRequest",
    "CompileResult",
    "BuildFunction",
    "check_request",
    "compile_model",
    "artifact_file_name",
    "publish_artifact",
]

MANIFEST_FORMAT = "sagemaker-reconciler.local-compile/v1"
LIBRARY_NAME = "model.so"
MANIFEST_NAME = "manifest.json"

BuildFunction = Callable[..., BuildResult]

# TVM's Relax BlockBuilder keeps a process-wide stack, so two frontends or builds in threads corrupt
# each other; the Pulumi provider server and the CLI's pool call in from threads. One at a time.
_TVM_LOCK = threading.Lock()


@dataclass(frozen=True)
class CompileRequest:
    """The CompilationJob inputs local mode needs, in API terms."""

    model_archive: Path
    framework: str
    data_input_config: str | Mapping[str, Any] | Sequence[Any] | None = None
    target_device: str | None = None
    target_platform: Mapping[str, Any] | None = None
    compiler_options: str | Mapping[str, Any] | None = None
    tuning: TuningOptions = field(default_factory=TuningOptions)


@dataclass(frozen=True)
class CompileResult:
    """``artifact`` lives in the cache; copy it, do not move it."""

    artifact: Path
    digest: str
    manifest: dict[str, Any]
    cache_hit: bool
    cache_key: str
    target: ResolvedTarget
    seconds: float
    compile_seconds: float = 0.0
    tuning_seconds: float = 0.0
    trials_done: int = 0


def check_request(request: CompileRequest) -> ResolvedTarget:
    """Validate target, framework and shapes without importing tvm; raises SpecError subclasses."""
    target = resolve_target(request.target_device, request.target_platform, request.compiler_options)
    check_framework(request.framework)
    parse_data_input_config(request.data_input_config)
    if request.tuning.trials < 0:
        from sagemaker_reconciler.errors import SpecError, Violation

        raise SpecError("CompilationJob", [Violation("tuningTrials", "must be >= 0")])
    if request.tuning.max_minutes is not None and not 0 < request.tuning.max_minutes <= 1440:
        from sagemaker_reconciler.errors import SpecError, Violation

        raise SpecError("CompilationJob", [Violation("tuning.maxMinutes", "must be more than 0 and at most 1440")])
    return target


def artifact_file_name(target: ResolvedTarget) -> str:
    return f"model-{target.label}.tar.gz"


def _manifest(
    request: CompileRequest, target: ResolvedTarget, model_digest: str, build: BuildResult, inputs: list[dict[str, Any]]
) -> dict[str, Any]:
    tuning = {k: v for k, v in build.tuning.items() if k not in ("tuning_seconds", "trials_done")}
    return {
        "format": MANIFEST_FORMAT,
        "framework": request.framework.upper(),
        "library": LIBRARY_NAME,
        "entry_function": "main",
        "inputs": inputs,
        "outputs": build.outputs,
        "target": {
            "name": target.label,
            "tvm_target": target.tvm_target,
            "elf_machine": target.elf_machine.name,
            "linker": target.cross_compiler or "g++",
            **({"cuda_arch": target.tvm_target.get("arch")} if target.is_cuda else {}),
        },
        "compiler_options": parse_compiler_options(request.compiler_options),
        "tvm_version": build.tvm_version,
        "source_model_digest": model_digest,
        "tuning": tuning,
        "load": "lib = tvm.runtime.load_module('model.so'); tvm.relax.VirtualMachine(lib, device)['main'](*inputs)",
    }


def _model_files(archive: Path, workdir: Path, limits: ArchiveLimits) -> list[Path]:
    if archive.name.endswith((".tar.gz", ".tgz", ".tar")):
        return extract_archive(archive, workdir / "model", limits)
    return [archive]  # a bare model file (file:// to an .onnx) needs no extraction


def compile_model(
    request: CompileRequest,
    *,
    cache_dir: Path | None = None,
    progress: ProgressCallback | None = None,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    build: BuildFunction = build_library,
) -> CompileResult:
    """Compile (or fetch from the cache) the artifact for ``request``.

    ``build`` is injectable so tests can count real compiles on cache hits.
    """
    started = time.perf_counter()
    target = check_request(request)
    cache_root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    model_digest = sha256_file(request.model_archive)
    key = cache_key(
        model_digest,
        request.framework,
        target.canonical_json(),
        parse_compiler_options(request.compiler_options),
        parse_data_input_config(request.data_input_config),
        request.tuning.key_fields(),
        tvm_version(),
    )
    cache = ArtifactCache(cache_root)
    hit = cache.get(key)
    if hit is not None:
        manifest = _read_manifest(hit)
        if progress:
            progress(Progress("cache", time.perf_counter() - started, detail=f"hit {key[:12]}"))
            for warning in manifest.get("warnings", []):
                progress(Progress("cache", time.perf_counter() - started, detail=f"warning: {warning}"))
        return CompileResult(hit, sha256_file(hit), manifest, True, key, target, time.perf_counter() - started)

    with _TVM_LOCK, tempfile.TemporaryDirectory(prefix="local-compile-") as tmp:
        workdir = Path(tmp)
        if progress:
            progress(Progress("load", time.perf_counter() - started, detail=request.framework.upper()))
        files = _model_files(Path(request.model_archive), workdir, limits)
        model = load_model(files, request.framework, request.data_input_config, target.input_dtype)
        for warning in model.warnings:
            if progress:
                progress(Progress("load", time.perf_counter() - started, detail=f"warning: {warning}"))
        result = build(model, target, workdir / "build", cache_root, request.tuning, progress)
        manifest = _manifest(request, target, model_digest, result, [spec.to_json() for spec in model.inputs])
        if model.warnings:
            manifest["warnings"] = list(model.warnings)
        if model.conversion:  # PyTorch: "exported" program or "torchscript"
            manifest["source_format"] = model.conversion["format"]
        if progress:
            progress(Progress("package", time.perf_counter() - started))
        staged = workdir / artifact_file_name(target)
        write_deterministic_tar_gz(
            {
                LIBRARY_NAME: result.library,
                MANIFEST_NAME: json.dumps(manifest, indent=2, sort_keys=True).encode(),
            },
            staged,
        )
        stored = cache.put(key, staged)
    return CompileResult(
        stored,
        sha256_file(stored),
        manifest,
        False,
        key,
        target,
        time.perf_counter() - started,
        result.compile_seconds,
        float(result.tuning.get("tuning_seconds", 0.0)),
        int(result.tuning.get("trials_done", 0)),
    )


def _read_manifest(artifact: Path) -> dict[str, Any]:
    import tarfile

    with tarfile.open(artifact, "r:gz") as tar:
        member = tar.extractfile(MANIFEST_NAME)
        if member is None:
            return {}
        return json.loads(member.read())


def publish_artifact(result: CompileResult, output_dir: Path, job_name: str) -> Path:
    """Copy the artifact to ``<output_dir>/<job_name>/model-<target>.tar.gz`` (a file:// output location)."""
    destination = Path(output_dir) / job_name / artifact_file_name(result.target)
    copy_file(result.artifact, destination)
    return destination
