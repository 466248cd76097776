"""One model, one SageMaker Neo compilation job per target device, all compiling in parallel.

Config (all optional): modelUri, outputLocation, roleArn, targets (a JSON list of TargetDevice values).
Exports: artifacts, a map of target device -> compiled artifact S3 URI.
"""

import json

import pulumi

from sagemaker_reconciler import CompilationJob

config = pulumi.Config()
model_uri = config.get("modelUri") or "s3://models/resnet.tar.gz"
targets = config.get_object("targets") or ["ml_c5", "rasp4b", "jetson_nano"]

artifacts = {}
for target in targets:
    job = CompilationJob(
        f"resnet-{target}",
        role_arn=config.get("roleArn") or "arn:aws:iam::123456789012:role/SageMakerNeo",
        input_config={
            "s3_uri": model_uri,
            "framework": "ONNX",
            "data_input_config": json.dumps({"data": [1, 3, 224, 224]}),
        },
        output_config={
            "s3_output_location": config.get("outputLocation") or "s3://models/compiled",
            "target_device": target,
        },
        stopping_condition={"max_runtime_in_seconds": 900},
        tags={"pipeline": "resnet"},
    )
    artifacts[target] = job.compiled_artifact_uri

pulumi.export("artifacts", artifacts)
