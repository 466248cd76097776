"""Local mode: the same CompilationJob, compiled on this machine with TVM instead of by SageMaker.

Same inputs, same outputs, so a stack switches modes without changing anything
downstream. `file://` input and output make no AWS call at all; `s3://` goes
through the same gateway (and endpoint) as cloud mode. The artifact lands at
``<output location>/<job name>/model-<target>.tar.gz``; its manifest.json says
what it was compiled from, which is what a stateless plan compares against.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from provider.aws import AwsConfig, ObjectStore
from provider.errors import ConfigError
from provider.plan.model import Action, ChangeKind, Plan, PropertyChange
from provider.specs.compilation_job import CompilationJobSpec
from provider.specs.tuning import parse_tracker, tuning_settings

__all__ = ["LocalCompiler", "LOCAL_ARN_PREFIX", "local_artifact_uri"]

LOCAL_ARN_PREFIX = "local:compilation-job/"
_MANIFEST = "manifest.json"


def _file_path(uri: str) -> Path:
    return Path(uri[len("file://"):]).expanduser()


def local_artifact_uri(spec: CompilationJobSpec) -> str:
    """Where a local compile publishes: <output location>/<job name>/model-<target>.tar.gz (pure)."""
    from provider.local_compile.engine import artifact_file_name
    from provider.local_compile.targets import resolve_target

    output = spec.output_config
    target = resolve_target(output.target_device,
                            output.target_platform.to_props() if output.target_platform else None,
                            output.compiler_options)
    return f"{output.s3_output_location.rstrip('/')}/{spec.compilation_job_name}/{artifact_file_name(target)}"


def _tuning_options(spec: CompilationJobSpec) -> Any:
    """The spec's `tuning` / `tuningTrials` as the engine's options (a tracker -> remote devices)."""
    from provider.local_compile import TuningOptions
    from provider.local_compile.remote import RemoteDevices

    settings = tuning_settings(spec.tuning, spec.tuning_trials)
    remote = None
    if settings.tracker is not None and settings.device_key is not None:
        host, port = parse_tracker(settings.tracker)
        remote = RemoteDevices(host, port, settings.device_key, settings.session_timeout)
    return TuningOptions(trials=settings.trials, remote=remote)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


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
            path = _file_path(uri)
            if not path.is_file():
                raise ConfigError(f"{uri}: no such file")
            return path.read_bytes()
        return self._objects().read(uri)

    def digest(self, uri: str) -> str | None:
        """sha256 of a published artifact, or None when it is gone."""
        if not self.exists(uri):
            return None
        return "sha256:" + hashlib.sha256(self.read(uri)).hexdigest()

    def delete(self, uri: str) -> None:
        if uri.startswith("file://"):
            _file_path(uri).unlink(missing_ok=True)
        else:
            self._objects().delete(uri)

    def _publish(self, artifact: Path, uri: str) -> None:
        if uri.startswith("file://"):
            destination = _file_path(uri)
            destination.parent.mkdir(parents=True, exist_ok=True)
            staged = destination.with_name(destination.name + ".partial")
            staged.write_bytes(artifact.read_bytes())
            staged.replace(destination)  # never a half-written artifact under the real name
        else:
            self._objects().write(uri, artifact.read_bytes())

    # --- observe and plan (stateless callers: the GitOps CLI) -----------------------------

    def manifest(self, uri: str) -> dict[str, Any] | None:
        """The manifest.json inside a published artifact (read without extracting anything else)."""
        if not self.exists(uri):
            return None
        with tarfile.open(fileobj=io.BytesIO(self.read(uri)), mode="r:gz") as archive:
            member = archive.getmember(_MANIFEST)
            handle = archive.extractfile(member) if member.isfile() else None
            return json.loads(handle.read()) if handle else None

    def plan(self, spec: CompilationJobSpec) -> Plan:
        """CREATE when nothing is published; REPLACE when the published artifact was made from other inputs."""
        name = spec.compilation_job_name
        uri = local_artifact_uri(spec)
        manifest = self.manifest(uri)
        if manifest is None:
            return Plan("CompilationJob", name, Action.CREATE,
                        (PropertyChange("compiledArtifactUri", ChangeKind.UPDATE, None, uri),))
        changes = []
        source = spec.input_config.s3_uri if spec.input_config else ""
        if source.startswith("file://"):
            wanted = "sha256:" + hashlib.sha256(self.read(source)).hexdigest()
            if manifest.get("source_model_digest") not in (wanted, wanted.removeprefix("sha256:")):
                changes.append(PropertyChange("inputConfig", ChangeKind.REPLACE, manifest.get("source_model_digest"),
                                              wanted, ("inputConfig.s3Uri",)))
        if spec.input_config and manifest.get("framework") != spec.input_config.framework:
            changes.append(PropertyChange("inputConfig", ChangeKind.REPLACE, manifest.get("framework"),
                                          spec.input_config.framework, ("inputConfig.framework",)))
        if spec.input_config and spec.input_config.data_input_config:
            wanted_inputs = json.loads(spec.input_config.data_input_config)
            built_inputs = {i.get("name"): i.get("shape") for i in manifest.get("inputs", [])}
            if isinstance(wanted_inputs, dict) and built_inputs != wanted_inputs:
                changes.append(PropertyChange("inputConfig", ChangeKind.REPLACE, built_inputs, wanted_inputs,
                                              ("inputConfig.dataInputConfig",)))
        built = manifest.get("tuning") or {}
        wanted = tuning_settings(spec.tuning, spec.tuning_trials)
        if built.get("trials_requested", 0) != wanted.trials:
            field = "tuning" if spec.tuning is not None else "tuningTrials"
            changes.append(PropertyChange(field, ChangeKind.REPLACE, built.get("trials_requested", 0), wanted.trials,
                                          ("tuning.trials",) if spec.tuning is not None else ()))
        built_key = (built.get("measured_on") or {}).get("device_key")
        if wanted.trials and built_key != wanted.device_key:
            changes.append(PropertyChange("tuning", ChangeKind.REPLACE, built_key, wanted.device_key,
                                          ("tuning.deviceKey",)))
        if not changes:
            return Plan("CompilationJob", name, Action.NOOP)
        return Plan("CompilationJob", name, Action.REPLACE, tuple(changes))

    def published_outputs(self, spec: CompilationJobSpec) -> dict[str, Any]:
        """Outputs of an artifact published by an earlier run (stateless callers have no stored outputs)."""
        uri = local_artifact_uri(spec)
        return {**spec.to_props(), **self._outputs(spec.compilation_job_name, uri, self.digest(uri) or "", "", "")}

    @staticmethod
    def _outputs(name: str, uri: str, digest: str, started: str, ended: str) -> dict[str, Any]:
        return {
            "arn": LOCAL_ARN_PREFIX + name,
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
        from provider.local_compile import CompileRequest, compile_model, verify_artifact

        if spec.input_config is None:
            raise ConfigError("local mode compiles a model archive: set inputConfig")
        name = spec.compilation_job_name
        started = _now()
        source = spec.input_config.s3_uri
        with tempfile.TemporaryDirectory(prefix="local-model-") as tmp:
            model = Path(tmp) / source.rsplit("/", 1)[-1]
            model.write_bytes(self.read(source))
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
                verify_artifact(result.artifact, model, result.target)
        uri = local_artifact_uri(spec)
        self._publish(result.artifact, uri)
        self._say(f"local compile {name}: published {uri} ({'cache hit' if result.cache_hit else 'compiled'}, "
                  f"{result.seconds:.1f} s)")
        return {**spec.to_props(), **self._outputs(name, uri, result.digest, started, _now())}

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
