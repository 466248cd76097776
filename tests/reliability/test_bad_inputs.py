"""Every input in the corpus is refused before anything changes, naming the property, with no API call.

Two front doors: the Pulumi provider's Check over the engine's real gRPC protocol
(the SDK's dynamic-provider server in a subprocess, pointed at the embedded
endpoint), and the reconciler path (spec, then plan). The endpoint's log of every
call, SageMaker's and S3's, stays empty.
"""

from __future__ import annotations

from collections import Counter

import pytest

from sagemaker_reconciler import CompilationJobProvider, WorkteamProvider
from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway
from sagemaker_reconciler.errors import SpecError
from sagemaker_reconciler.reconcile.compilation_job import CompilationJobReconciler
from sagemaker_reconciler.reconcile.workteam import WorkteamReconciler
from sagemaker_reconciler.specs.compilation_job import parse_compilation_job
from sagemaker_reconciler.specs.workteam import parse_workteam
from tests.engine.harness import EngineClient

from .bad_inputs import CORPUS
from .conftest import endpoint_env

PROVIDERS = {"Workteam": WorkteamProvider, "CompilationJob": CompilationJobProvider}
IDS = [f"{resource}: {case}" for resource, case, *_ in CORPUS]


def test_the_corpus_is_large_and_covers_both_resources():
    counts = Counter(resource for resource, *_ in CORPUS)
    assert len(CORPUS) >= 60 and counts["Workteam"] >= 30 and counts["CompilationJob"] >= 30
    assert len(set(IDS)) == len(IDS), "every case has its own name"


@pytest.fixture(scope="module")
def server(embedded_endpoint):
    client = EngineClient(env=endpoint_env(embedded_endpoint.url))
    yield client
    client.close()


@pytest.fixture(scope="module")
def reconcilers(embedded_endpoint):
    """Built once: a gateway makes no call until asked to (clients are cheap to keep, slow to build)."""
    config = AwsConfig(region="us-east-1", endpoint_url=embedded_endpoint.url)
    return {
        "Workteam": WorkteamReconciler(SageMakerGateway(config)),
        "CompilationJob": CompilationJobReconciler(SageMakerGateway(config), ObjectStore(config)),
    }


@pytest.fixture(scope="module")
def clean(embedded_endpoint):
    embedded_endpoint.reset()
    return embedded_endpoint


@pytest.fixture
def quiet(clean):
    clean.clear_requests()
    return clean


@pytest.mark.parametrize("resource, case, props, field, rule", CORPUS, ids=IDS)
def test_check_over_the_engine_protocol_refuses_it_naming_the_property(
    server, quiet, resource, case, props, field, rule
):
    _, failures = server.check(PROVIDERS[resource](), {}, props)
    reasons = {prop: reason for prop, reason in failures}
    assert field in reasons, failures
    assert rule in reasons[field]
    assert quiet.all_requests == []


@pytest.mark.parametrize("resource, case, props, field, rule", CORPUS, ids=IDS)
def test_the_reconciler_path_refuses_it_before_any_call(quiet, reconcilers, resource, case, props, field, rule):
    parse = parse_workteam if resource == "Workteam" else parse_compilation_job
    with pytest.raises(SpecError) as raised:
        reconcilers[resource].plan(parse(props))
    found = {v.field: v.rule for v in raised.value.violations}
    assert field in found and rule in found[field], found
    assert str(raised.value).startswith(f"invalid {resource}:")
    assert quiet.all_requests == []
