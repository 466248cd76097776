"""Local mode: the same CompilationJob, compiled on this machine with TVM instead of by SageMaker.

Same inputs, same outputs, so a stack switches modes without changing anything
downstream. `file://` input and output make no AWS call at all; `s3://` goes
through the same gateway (and endpoint) as cloud mode. The artifact lands where
Neo puts it, ``<output location>/<model>-<target>.tar.gz``; its manifest.json says
what it was compiled from, which is what a stateless plan compares against.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sagemaker_reconciler.aws import AwsConfig, ObjectStore
from sagemaker_reconciler.errors import ConfigError
from sagemaker_reconciler.local_files import (
    MAX_MODEL_BYTES,
    copy_model,
    model_digest,
    open_model,
    publish_file,
    remove_published,
)
from sagemaker_reconciler.local_paths import local_path
from sagemaker_reconciler.plan.local_compilation_job import plan_local_job, recompile_reasons
from sagemaker_reconciler.plan.model import Plan
from sagemaker_reconciler.specs.compilation_job import CompilationJobSpec
from sagemaker_reconciler.specs.tuning import parse_tracker, tuning_settings

__all__ = ["LocalCompiler", "LOCAL_ACCOUNT", "local_arn", "local_artifact_uri", "artifact_digest"]

LOCAL_ACCOUNT = "000000000000"
_MANIFEST = "manifest.json"


def _file_path(uri: str) -> Path:
    """A published artifact's path (sagemaker_reconciler.local_paths: no host part, no system directory)."""
    try:
        return local_path(uri, output=True)
    except ValueError as exc:
        raise ConfigError(f"{uri}: {exc}") from None


def _split_artifact(uri: str) -> tuple[str, str]:
    """``<output location>/<job>/<file>`` -> (output location, ``<job>/<file>``)."""
    output, job, name = uri.rsplit("/", 2)
    return output, f"{job}/{name}"


def local_artifact_uri(spec: CompilationJobSpec) -> str:
    """Where a local compile publishes: <output location>/<model>-<target>.tar.gz, the key SageMaker Neo
    writes (<model> is the input archive's name without .tar.gz; <target> the targetDevice, or the
    platform's os_arch[_accelerator] in lower case), so both modes put an artifact at the same place."""
    output = spec.output_config
    source = spec.input_config.s3_uri if spec.input_config else ""
    stem = source.rstrip("/").rsplit("/", 1)[-1].removesuffix(".tar.gz") or "model"
    if output.target_device:
        target = output.target_device
    else:
        platform = output.target_platform
        assert platform is not None  # the spec holds exactly one of targetDevice and targetPlatform
        target = "_".join(p for p in (platform.os, platform.arch, platform.accelerator) if p).lower()
    return f"{output.s3_output_location.rstrip('/')}/{stem}-{target}.tar.gz"


def _iso(moment: datetime) -> str:
    """The form cloud outputs have (botocore's datetimes, isoformat): UTC offset, whole microseconds."""
    return moment.astimezone(UTC).isoformat()


def _tuning_options(spec: CompilationJobSpec) -> Any:
    """The spec's `tuning` / `tuningTrials` as the engine's options (a tracker -> remote devices)."""
    from sagemaker_reconciler.local_compile import TuningOptions
    from sagemaker_reconciler.local_compile.remote import RemoteDevices

    settings = tuning_settings(spec.tuning, spec.tuning_trials)
    remote = None
    if settings.tracker is not None and settings.device_key is not None:
        host, port = parse_tracker(settings.tracker)
        remote = RemoteDevices(host, port, settings.device_key, settings.session_timeout)
    return TuningOptions(trials=settings.trials, remote=remote, max_minutes=settings.max_minutes)


def _now() -> str:
    return _iso(datetime.now(UTC))


def artifact_digest(body: bytes) -> str:
    """SageMaker's ModelDigests.ArtifactDigest form: BLAKE2 (BLAKE2b-512) hex, as the cloud output has it."""
    return hashlib.blake2b(body).hexdigest()


def local_arn(aws: AwsConfig, name: str) -> str:
    """A compilation-job ARN of the cloud's shape. Local jobs have no account: it is all zeros, and the
    region is the configured one (`local` when none is)."""
    region = aws.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "local"
    return f"arn:aws:sagemaker:{region}:{LOCAL_ACCOUNT}:compilation-job/{name}"


@dataclass
class LocalCompiler:
    """Compile, verify and publish one job; S3 clients are only built when an s3:// location is used."""

    aws: AwsConfig = AwsConfig()
    cache_dir: Path | None = None
    progress: Callable[[str], None] | None = None

    def _objects(self) -> ObjectStore:
        return ObjectStore(self.aws)

    # --- locations ------------------------------------------------------------------------

    def exists(self, uri: str) -> bool:
        if uri.startswith("file://"):
            return _file_path(uri).is_file()
        return self._objects().exists(uri)

    def read(self, uri: str) -> bytes:
        if uri.startswith("file://"):
            with open_model(uri, output=True) as handle:
                return handle.read()
        return self._objects().read(uri)

    def digest(self, uri: str) -> str | None:
        """The artifact's digest in SageMaker's ModelDigests.ArtifactDigest form, or None when it is gone."""
        if not self.exists(uri):
            return None
        return artifact_digest(self.read(uri))

    def digest_matches(self, uri: str, recorded: str | None) -> bool:
        """The artifact is there and (when a digest was recorded) unchanged; states written before the
        digest became BLAKE2 hold ``sha256:<hex>`` and are compared in that form."""
        if not self.exists(uri):
            return False
        if not recorded:
            return True
        body = self.read(uri)
        if recorded.startswith("sha256:"):
            return recorded == "sha256:" + hashlib.sha256(body).hexdigest()
        return recorded == artifact_digest(body)

    def delete_own(self, uri: str, recorded: str | None) -> None:
        """Delete an artifact only while it is the one this job published: another job writing the same
        location since (a replacement created before this one is deleted) owns it now."""
        if recorded and self.exists(uri) and not self.digest_matches(uri, recorded):
            self._say(f"kept {uri}: another compile has published there since")
            return
        self.delete(uri)

    def delete(self, uri: str) -> None:
        if uri.startswith("file://"):
            remove_published(*_split_artifact(uri))
        else:
            self._objects().delete(uri)

    def _publish(self, artifact: Path, uri: str) -> None:
        if uri.startswith("file://"):
            publish_file(artifact, *_split_artifact(uri))  # atomic, and never through a symlink
        else:
            self._objects().write(uri, artifact.read_bytes())

    # --- observe and plan (stateless callers: the GitOps CLI) -----------------------------

    def manifest(self, uri: str) -> dict[str, Any] | None:
        """The manifest.json inside a published artifact (read without extracting anything else)."""
        if not self.exists(uri):
            return None
        from sagemaker_reconciler.local_compile.archive import read_member  # bounded headers, as for models

        if uri.startswith("file://"):
            with open_model(uri, output=True) as handle:
                data = read_member(handle, _MANIFEST)
        else:
            data = read_member(io.BytesIO(self.read(uri)), _MANIFEST)
        return json.loads(data) if data is not None else None

    def plan(self, spec: CompilationJobSpec, uri: str | None = None) -> Plan:
        """CREATE when nothing is published; REPLACE when the published artifact was made from other inputs.

        Reads the artifact's manifest.json (and a file:// model's digest); the decision is
        ``plan.local_compilation_job.plan_local_job``, the one rule the CLI (stateless) and the Pulumi
        providers' diff (`uri` from state) share.
        """
        uri = uri or local_artifact_uri(spec)
        manifest = self.manifest(uri)
        source = spec.input_config.s3_uri if spec.input_config else ""
        wanted = model_digest(source) if manifest is not None and source.startswith("file://") else None
        return plan_local_job(spec, uri, manifest, wanted)

    @staticmethod
    def reasons(plan: Plan) -> list[str]:
        """Why a local job must be compiled again, one sentence each."""
        return recompile_reasons(plan)

    def published_outputs(self, spec: CompilationJobSpec) -> dict[str, Any]:
        """Outputs of an artifact published by an earlier run (stateless callers have no stored outputs):
        its times are when it was published, the only time the artifact itself records."""
        uri = local_artifact_uri(spec)
        published = self._published_at(uri)
        return {
            **spec.to_props(),
            **self._outputs(spec.compilation_job_name, uri, self.digest(uri) or "", published, published),
        }

    def _published_at(self, uri: str) -> str:
        if uri.startswith("file://"):
            path = _file_path(uri)
            return _iso(datetime.fromtimestamp(path.stat().st_mtime, UTC)) if path.is_file() else ""
        modified = self._objects().last_modified(uri)
        return _iso(modified) if modified else ""

    def _outputs(self, name: str, uri: str, digest: str, started: str, ended: str) -> dict[str, Any]:
        return {
            "arn": local_arn(self.aws, name),
            "status": "COMPLETED",
            "compiledArtifactUri": uri,
            "artifactDigest": digest,
            "inferenceImage": "",
            "failureReason": "",
            "creationTime": started,
            "compilationStartTime": started,
            "compilationEndTime": ended,
        }

    # --- act ------------------------------------------------------------------------------

    def create(self, spec: CompilationJobSpec) -> dict[str, Any]:
        """Compile (or take from the cache), verify when asked, publish; outputs as cloud mode has them."""
        from sagemaker_reconciler.local_compile import CompileRequest, compile_model, verify_artifact

        if spec.input_config is None:
            raise ConfigError("local mode compiles a model archive: set inputConfig")
        name = spec.compilation_job_name
        started = _now()
        source = spec.input_config.s3_uri
        with tempfile.TemporaryDirectory(prefix="local-model-") as tmp:
            model = Path(tmp) / source.rsplit("/", 1)[-1]
            if source.startswith("file://"):
                copy_model(source, model)  # streamed: a model can be gigabytes
            else:
                self._objects().download(source, model, MAX_MODEL_BYTES)
            output = spec.output_config
            request = CompileRequest(
                model_archive=model,
                framework=spec.input_config.framework,
                data_input_config=spec.input_config.data_input_config,
                target_device=output.target_device,
                target_platform=output.target_platform.to_props() if output.target_platform else None,
                compiler_options=output.compiler_options,
                tuning=_tuning_options(spec),
            )
            result = compile_model(request, cache_dir=self.cache_dir, progress=self._progress(name))
            if spec.verify:
                self._say(f"local compile {name}: verify against onnxruntime")
                self._say(f"local compile {name}: {verify_artifact(result.artifact, model, result.target)}")
        uri = local_artifact_uri(spec)
        self._publish(result.artifact, uri)
        self._say(
            f"local compile {name}: published {uri} ({'cache hit' if result.cache_hit else 'compiled'}, "
            f"{result.seconds:.1f} s)"
        )
        return {
            **spec.to_props(),
            **self._outputs(name, uri, artifact_digest(result.artifact.read_bytes()), started, _now()),
        }

    def _say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def _progress(self, name: str) -> Callable[[Any], None]:
        last = {"at": 0.0}

        def report(event: Any) -> None:
            now = time.monotonic()
            if event.stage == "tune" and now - last["at"] < 5.0:
                return  # a tuning run reports every few seconds, not every trial
            last["at"] = now
            trials = f", {event.trials_done}/{event.trials_total} trials" if event.trials_total else ""
            detail = f" {event.detail}" if event.detail else ""
            self._say(f"local compile {name}: {event.stage}{trials}, {event.elapsed_s:.1f} s{detail}")

        return report
