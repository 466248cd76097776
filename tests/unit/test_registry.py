"""The registry: one entry per shipped type, and the CompilationJob's backend chosen there, once, from mode."""

from __future__ import annotations

from sagemaker_reconciler.aws import AwsConfig
from sagemaker_reconciler.reconcile.backend import BackendOptions, Clients
from sagemaker_reconciler.reconcile.backends import CloudJobBackend, LocalJobBackend, WorkteamBackend
from sagemaker_reconciler.registry import entries, entry_for
from sagemaker_reconciler.resource_types import COMPILATION_JOB, RESOURCE_TYPES, WORKTEAM

CLIENTS = Clients(AwsConfig(region="us-east-1", endpoint_url="http://127.0.0.1:9"))  # never called here


def test_one_entry_per_shipped_type():
    assert tuple(e.kind for e in entries()) == RESOURCE_TYPES


def test_a_jobs_backend_is_local_when_the_desired_or_the_stored_job_says_so():
    make = entry_for(COMPILATION_JOB).backend
    options = BackendOptions()
    assert isinstance(make(CLIENTS, options, {"mode": "local"}), LocalJobBackend)
    assert isinstance(make(CLIENTS, options, {"mode": "cloud"}, {"mode": "local"}), LocalJobBackend)
    assert isinstance(make(CLIENTS, options, {"mode": "cloud"}, {}), CloudJobBackend)
    assert isinstance(make(CLIENTS, options, {}), CloudJobBackend)  # cloud is the default mode
    assert isinstance(entry_for(WORKTEAM).backend(CLIENTS, options, {"mode": "local"}), WorkteamBackend)


def test_the_callers_timeout_and_progress_sink_reach_the_reconcilers():
    lines: list[str] = []
    options = BackendOptions(AwsConfig(region="us-east-1"), timeout=7.0, progress=lines.append)
    cloud = entry_for(COMPILATION_JOB).backend(CLIENTS, options, {})
    assert (cloud.reconciler.timeout, cloud.reconciler.log) == (7.0, lines.append)
    local = entry_for(COMPILATION_JOB).backend(CLIENTS, options, {"mode": "local"})
    assert local.compiler.progress == lines.append


def test_only_a_local_job_with_file_locations_runs_offline():
    from sagemaker_reconciler.specs.compilation_job import parse_compilation_job

    job = {
        "compilationJobName": "j",
        "roleArn": "arn:aws:iam::123456789012:role/neo",
        "inputConfig": {"s3Uri": "file:///models/m.tar.gz", "framework": "ONNX", "dataInputConfig": '{"x": [1, 3]}'},
        "outputConfig": {"s3OutputLocation": "file:///models/out", "targetDevice": "ml_c5"},
    }
    offline = entry_for(COMPILATION_JOB).offline
    assert offline(parse_compilation_job({**job, "mode": "local"}))
    s3_output = {**job["outputConfig"], "s3OutputLocation": "s3://models/out"}
    assert not offline(parse_compilation_job({**job, "mode": "local", "outputConfig": s3_output}))
    s3_input = {**job["inputConfig"], "s3Uri": "s3://models/m.tar.gz"}
    assert not offline(parse_compilation_job({**job, "inputConfig": s3_input, "outputConfig": s3_output}))
