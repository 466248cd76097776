"""Stacks whose state pickled the provider under the old import name ``provider`` still refresh and destroy.

The SDK's real dynamic server unpickles ``__provider`` from state for Read and
Delete; these blobs name ``provider.pulumi_resources.*``, which must resolve to
the same classes as ``sagemaker_reconciler.pulumi_resources.*``.
"""

from __future__ import annotations

import base64

import boto3
import dill
import pytest
from pulumi.dynamic.dynamic import serialize_provider

from sagemaker_reconciler import CompilationJobProvider, WorkteamProvider
from tests.import_name.old_state import OLD_COMPILATION_JOB_PROVIDER, OLD_WORKTEAM_PROVIDER
from tests.unit.workteam_samples import cognito_team


@pytest.fixture
def server(engine_factory, endpoint, aws_env):
    return engine_factory(
        env={
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint.url,
            "AWS_PROFILE": None,
        }
    )


def pickled_under_old_name(provider) -> str:
    """What the SDK wrote into state before the rename: the same class, pickled by its old module path."""
    cls = type(provider)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cls, "__module__", cls.__module__.replace("sagemaker_reconciler.", "provider.", 1))
        return serialize_provider(provider)


def test_new_state_names_the_new_module():
    blob = base64.b64decode(serialize_provider(WorkteamProvider()))
    assert b"sagemaker_reconciler.pulumi_resources.workteam" in blob
    assert b"provider.pulumi_resources" not in blob.replace(b"sagemaker_reconciler.", b"")


@pytest.mark.parametrize("provider", [WorkteamProvider(), CompilationJobProvider(region="eu-west-1")])
def test_sdk_pickle_under_the_old_name_loads_the_same_class(provider):
    blob = pickled_under_old_name(provider)
    raw = base64.b64decode(blob)
    assert b"sagemaker_reconciler" not in raw and b"provider.pulumi_resources." in raw
    loaded = dill.loads(raw)
    assert type(loaded) is type(provider) and vars(loaded) == vars(provider)


@pytest.mark.parametrize("make_blob", ["sdk", "old release"])
def test_old_state_refreshes_and_destroys_a_team(server, make_blob):
    old_blob = pickled_under_old_name(WorkteamProvider()) if make_blob == "sdk" else OLD_WORKTEAM_PROVIDER
    inputs, failures = server.check(WorkteamProvider(), {}, cognito_team())
    assert failures == []
    team_id, outs = server.create(WorkteamProvider(), inputs)

    read_id, read_outs, _ = server.read(old_blob, team_id, outs)
    assert read_id == "team-a" and read_outs["description"] == "Labels street scenes"
    server.delete(old_blob, team_id, outs)
    assert boto3.client("sagemaker").list_workteams()["Workteams"] == []


def test_old_compilation_job_state_reads_a_job_that_is_gone(server):
    gone_id, _, _ = server.read(OLD_COMPILATION_JOB_PROVIDER, "job-from-an-old-stack", {})
    assert gone_id == ""
