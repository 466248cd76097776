"""The same CompilationJob resource in local mode: Apache TVM compiles on this machine, no cloud at all.

file:// paths in and out, so there is no AWS call, no credentials and no endpoint. The outputs are the
ones cloud mode gives (compiled_artifact_uri, artifact_digest, status...), so a stack can switch modes
without changing anything downstream.

Config (all optional): modelPath (an ONNX model .tar.gz; by default a tiny generated CNN is written),
outputDir (default ./build/compiled), targets (default ["ml_c5", "rasp4b"]).
Exports: artifacts (target -> artifact URI), digests (target -> BLAKE2b hex, as ModelDigests.ArtifactDigest).
"""

import json
from pathlib import Path

import pulumi

from provider import CompilationJob

config = pulumi.Config()
model_path = Path(config.get("modelPath") or "build/models/tiny-cnn.tar.gz").resolve()
if not config.get("modelPath") and not model_path.exists():
    from provider.demo_model import tiny_cnn_archive  # a stand-in for a trained model

    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_bytes(tiny_cnn_archive())
output_dir = Path(config.get("outputDir") or "build/compiled").resolve()
targets = config.get_object("targets") or ["ml_c5", "rasp4b"]

jobs = {
    target: CompilationJob(
        f"tiny-cnn-{target.replace('_', '-')}",
        role_arn="arn:aws:iam::123456789012:role/unused-in-local-mode",
        mode="local",
        verify=target.startswith("ml_"),  # x86 artifacts run here and are compared with onnxruntime
        delete_artifacts=True,
        input_config={
            "s3_uri": f"file://{model_path}",
            "framework": "ONNX",
            "data_input_config": json.dumps({"data": [1, 3, 32, 32]}),
        },
        output_config={"s3_output_location": f"file://{output_dir}", "target_device": target},
    )
    for target in targets
}

pulumi.export("artifacts", {target: job.compiled_artifact_uri for target, job in jobs.items()})
pulumi.export("digests", {target: job.artifact_digest for target, job in jobs.items()})
