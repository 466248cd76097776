"""What a finished Neo compilation leaves behind: where its artifact goes, what is in it, which image serves it.

Pure functions, no I/O: the models decide when to call them and write the bytes
to the endpoint's S3. The artifact is a real gzip'd tar holding one
``manifest.json``, so a client can download, open and check it; the bytes
depend only on the job (the gzip and tar timestamps are the job's end time),
so its digest is stable.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass
from typing import Any

__all__ = [
    "S3Location",
    "artifact_digest",
    "artifact_key",
    "build_artifact",
    "inference_image",
    "model_stem",
    "parse_s3_uri",
    "target_name",
]

Json = dict[str, Any]

MANIFEST_NAME = "manifest.json"

_S3_URI = re.compile(r"s3://([^/]+)/?(.*)")

# Neo's inference images live in one ECR registry per region (the SageMaker Python SDK's neo-*.json);
# a region missing here borrows us-east-1's account, which is enough for a plausible URI.
_NEO_REGISTRIES = {
    "us-east-1": "785573368785",
    "us-east-2": "007439368137",
    "us-west-1": "710691900526",
    "us-west-2": "301217895009",
    "eu-west-1": "802834080501",
    "eu-west-2": "205493899709",
    "eu-central-1": "746233611703",
    "ap-northeast-1": "941853720454",
    "ap-southeast-1": "324986816169",
    "ap-southeast-2": "355873309152",
}
_FRAMEWORK_FAMILY = {
    "TENSORFLOW": "tensorflow",
    "KERAS": "tensorflow",
    "TFLITE": "tensorflow",
    "PYTORCH": "pytorch",
    "MXNET": "mxnet",
    "ONNX": "mxnet",
    "DARKNET": "mxnet",
}
_DEFAULT_FRAMEWORK_VERSION = {"tensorflow": "2.4", "pytorch": "1.8", "mxnet": "1.8"}
_GPU_INSTANCES = frozenset({"ml_p2", "ml_p3", "ml_g4dn"})
_NEURON_INSTANCES = frozenset({"ml_inf1", "ml_inf2", "ml_trn1"})


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_uri(uri: str) -> S3Location | None:
    """``s3://bucket/key`` -> S3Location; None for anything else (the model also allows ``https://`` URLs)."""
    match = _S3_URI.fullmatch(uri)
    return S3Location(match.group(1), match.group(2)) if match else None


def target_name(output_config: Json) -> str:
    """``ml_c5`` for a TargetDevice; ``linux_arm64_nvidia`` for a TargetPlatform (os_arch[_accelerator])."""
    if output_config.get("TargetDevice"):
        return str(output_config["TargetDevice"])
    platform = output_config["TargetPlatform"]
    parts = [platform["Os"], platform["Arch"], platform.get("Accelerator")]
    return "_".join(part for part in parts if part).lower()


def model_stem(input_uri: str | None) -> str:
    """The input object's file name without ``.tar.gz``; ``model`` when there is none (a model package)."""
    name = (input_uri or "").rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".tar.gz", ".tgz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return name or "model"


def artifact_key(output_prefix: str, stem: str, target: str) -> str:
    """``<prefix>/<model>-<target>.tar.gz``, Neo's naming; an empty prefix puts it at the bucket's root."""
    prefix = output_prefix.strip("/")
    name = f"{stem}-{target}.tar.gz"
    return f"{prefix}/{name}" if prefix else name


def build_artifact(manifest: Json, mtime: float) -> bytes:
    """A .tar.gz holding ``manifest.json``; the same manifest and mtime give the same bytes."""
    payload = json.dumps(manifest, indent=2, sort_keys=True).encode()
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(payload)
        info.mtime = int(mtime)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(payload))
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=int(mtime)) as gz:
        gz.write(tar_bytes.getvalue())
    return compressed.getvalue()


def artifact_digest(body: bytes) -> str:
    """``ModelDigests.ArtifactDigest``: the API reference calls it a BLAKE2 hash; hex of BLAKE2b-512, as moto's."""
    return hashlib.blake2b(body).hexdigest()


def inference_image(region: str, framework: str | None, framework_version: str | None, target: str) -> str | None:
    """The Neo serving image for a cloud instance target (``ml_*``); None for edge devices and platforms,
    for which the service names no image."""
    if not target.startswith("ml_") or framework is None:
        return None
    registry = f"{_NEO_REGISTRIES.get(region, _NEO_REGISTRIES['us-east-1'])}.dkr.ecr.{region}.amazonaws.com"
    family = _FRAMEWORK_FAMILY.get(framework)
    if family is None:  # XGBOOST, SKLEARN
        return f"{registry}/xgboost-neo:latest"
    version = framework_version or _DEFAULT_FRAMEWORK_VERSION[family]
    if target in _NEURON_INSTANCES:
        return f"{registry}/sagemaker-neo-{family}:{version}-inf-py3"
    processor = "gpu" if target in _GPU_INSTANCES else "cpu"
    return f"{registry}/sagemaker-inference-{family}:{version}-{processor}-py3"
