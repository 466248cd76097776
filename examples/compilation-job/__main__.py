"""One SageMaker Neo compilation job in cloud mode: an ONNX model already in S3, compiled for one device.

The program uploads nothing: the model archive must exist at modelUri.
Config (all optional): modelUri, outputLocation, roleArn, targetDevice.
Exports: job_name, artifact_uri (the compiled model in S3).
"""

import json

import pulumi

from sagemaker_reconciler import CompilationJob

config = pulumi.Config()

job = CompilationJob(
    "resnet",  # no compilation_job_name: the job is named "resnet-<random>"
    role_arn=config.get("roleArn") or "arn:aws:iam::123456789012:role/SageMakerNeo",
    input_config={
        "s3_uri": config.get("modelUri") or "s3://models/resnet.tar.gz",
        "framework": "ONNX",
        "data_input_config": json.dumps({"data": [1, 3, 224, 224]}),
    },
    output_config={
        "s3_output_location": config.get("outputLocation") or "s3://models/compiled",
        "target_device": config.get("targetDevice") or "ml_c5",
    },
    stopping_condition={"max_runtime_in_seconds": 900},
)

pulumi.export("job_name", job.id)  # the id is the job name
pulumi.export("artifact_uri", job.compiled_artifact_uri)
