"""One registry entry per resource: a toy third resource, declared only here, goes through every front end.

The toy has a spec and outputs model, a planner, an in-memory backend and a dynamic
provider, all in this file; registering its entry is the only step. gitops plans,
applies and drifts a manifest that uses its token, the plugin checks, diffs and
creates it, and schema.json's generator describes it, with none of them edited.
The not-found rules are checked against what the embedded endpoint really answers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

import boto3
import botocore.exceptions
import pytest
from pulumi.runtime.proto import provider_pb2 as pb

from sagemaker_reconciler import gitops
from sagemaker_reconciler.aws import object_not_found, resource_not_found
from sagemaker_reconciler.errors import ManifestError
from sagemaker_reconciler.manifest import parse_manifest
from sagemaker_reconciler.plan.model import UNKNOWN, Action, ApiCall, ChangeKind, Plan, PropertyChange
from sagemaker_reconciler.plugin.diff import DiffOutcome, Entry
from sagemaker_reconciler.plugin.wire import decode, encode
from sagemaker_reconciler.pulumi_resources._common import BackendProvider
from sagemaker_reconciler.reconcile.backend import Live, Refreshed
from sagemaker_reconciler.registry import Entry as RegistryEntry
from sagemaker_reconciler.registry import entry_for, registered
from sagemaker_reconciler.report import Unmanaged
from sagemaker_reconciler.resource_types import COMPILATION_JOB, WORKTEAM, ResourceType
from sagemaker_reconciler.schema import package_schema
from sagemaker_reconciler.specs._base import Model, parse_spec
from tests.plugin.conftest import Plugin, urn

# --- the toy resource: everything a new resource defines --------------------------------------------


class ToySpec(Model):
    """A toy: a named, coloured thing kept in memory."""

    toy_name: str
    """The toy's name."""
    color: Literal["red", "green", "blue"]
    """Its colour; changes in place."""


class ToyOutputs(Model):
    """Outputs of a Toy."""

    arn: str
    """The toy's ARN."""
    revision: str
    """How many times it was written."""


def parse_toy(props: Mapping[str, Any]) -> ToySpec:
    return parse_spec(ToySpec, props, resource="Toy")


TOY = ResourceType(
    name="Toy",
    spec_model=ToySpec,
    outputs_model=ToyOutputs,
    parse=parse_toy,
    name_property="toyName",
    replace_on_changes=("toyName",),
    changing_outputs=("revision",),
)


def plan_toy(desired: Mapping[str, Any], observed: Mapping[str, Any] | None) -> Plan:
    name = str(desired["toyName"])
    if observed is None:
        change = PropertyChange("color", ChangeKind.UPDATE, None, desired["color"])
        return Plan(
            "Toy", name, Action.CREATE, (change,), (ApiCall("CreateToy", {"Name": name, "Color": desired["color"]}),)
        )
    if observed["color"] == desired["color"]:
        return Plan("Toy", name, Action.NOOP)
    change = PropertyChange("color", ChangeKind.UPDATE, observed["color"], desired["color"])
    return Plan(
        "Toy", name, Action.UPDATE, (change,), (ApiCall("UpdateToy", {"Name": name, "Color": desired["color"]}),)
    )


class ToyBackend:
    """The Backend interface over a dict: sends exactly the calls the plan shows."""

    def __init__(self, store: dict[str, dict[str, Any]]):
        self.store = store

    def _send(self, call: ApiCall) -> None:
        name = call.params["Name"]
        revision = int(self.store.get(name, {}).get("revision", "0")) + 1
        self.store[name] = {"toyName": name, "color": call.params["Color"], "revision": str(revision)}

    def _outputs(self, name: str) -> dict[str, Any]:
        toy = self.store[name]
        return {**toy, "arn": f"arn:toy:::{name}"}

    def plan(self, spec: ToySpec) -> tuple[Plan, Any]:
        observed = self.store.get(spec.toy_name)
        return plan_toy(spec.to_props(), observed), observed

    def apply(self, spec: ToySpec, plan: Plan, observed: Any) -> dict[str, Any]:
        for call in plan.calls:
            self._send(call)
        return self._outputs(spec.toy_name)

    def live(self, name: str, desired: dict[str, Any], stored: Mapping[str, Any], **_: Any) -> Live:
        observed = self.store.get(name)
        if observed is None:
            return Live(gone=True)
        return Live(plan=plan_toy(desired, observed), props=dict(observed))

    def live_props(self, name: str, *, tags: bool) -> dict[str, Any] | None:
        return self.store.get(name)

    def create(self, spec: ToySpec) -> dict[str, Any]:
        plan, observed = self.plan(spec)
        return self.apply(spec, plan, observed)

    def discard(self, spec: ToySpec) -> None:
        self.store.pop(spec.toy_name, None)

    def update(self, spec: ToySpec, stored: Mapping[str, Any]) -> dict[str, Any]:
        return self.create(spec)

    def read(self, name: str, stored: Mapping[str, Any]) -> Refreshed | None:
        toy = self.store.get(name)
        return Refreshed({"toyName": name, "color": toy["color"]}, self._outputs(name), "force") if toy else None

    def delete(self, name: str, stored: Mapping[str, Any]) -> None:
        self.store.pop(name, None)


class ToyProvider(BackendProvider):
    KIND = TOY

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        raise NotImplementedError("the plugin diffs with toy_diff")


def toy_diff(
    backend: ToyBackend, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], ignore: list[str]
) -> DiffOutcome:
    desired = {k: news[k] for k in TOY.input_names() if k in news}
    live = backend.live(id_, desired, olds)
    outcome = DiffOutcome()
    for change in live.plan.changes if live.plan else ():
        outcome.detailed[change.property] = Entry("update", False, True)
    return outcome


STORE: dict[str, dict[str, Any]] = {}
TOY_ENTRY = RegistryEntry(
    TOY,
    backend=lambda clients, options, *props: ToyBackend(STORE),
    unmanaged=lambda clients, declared, name_contains: [
        Unmanaged(TOY.short_token, name, f"arn:toy:::{name}") for name in STORE if name not in declared
    ],
    not_found=lambda code, message: code == "NoSuchToy",
    provider_class=lambda: ToyProvider,
    resource_class=lambda: ToyProvider,
    plugin_diff=lambda: toy_diff,
    offline=lambda spec: True,
)

MANIFEST = """\
name: toys
runtime: yaml
resources:
  ball:
    type: sagemaker-reconciler:Toy
    properties:
      toyName: ball
      color: {color}
"""


@pytest.fixture
def toy() -> Iterator[RegistryEntry]:
    STORE.clear()
    with registered(TOY_ENTRY) as entry:
        yield entry
    STORE.clear()


# --- the front ends, unedited ------------------------------------------------------------------------


def test_gitops_plans_applies_and_drifts_a_registered_resource(toy, endpoint, aws_env):
    options = gitops.RunOptions(parallelism=2)
    first = gitops.plan(parse_manifest(MANIFEST.format(color="red")), options)
    assert [(r.type, r.name, r.action) for r in first.resources] == [("sagemaker-reconciler:Toy", "ball", "create")]
    assert [c.to_dict() for c in first.resources[0].plan.calls] == [
        {"operation": "CreateToy", "params": {"Name": "ball", "Color": "red"}}
    ]
    applied = gitops.apply(parse_manifest(MANIFEST.format(color="red")), options)
    assert applied.resources[0].outputs == {"arn": "arn:toy:::ball", "revision": "1"}
    assert gitops.plan(parse_manifest(MANIFEST.format(color="red")), options).resources[0].action == "noop"
    recolored = gitops.apply(parse_manifest(MANIFEST.format(color="blue")), options)
    assert (recolored.resources[0].action, STORE["ball"]["color"]) == ("update", "blue")

    STORE["stray"] = {"toyName": "stray", "color": "green", "revision": "1"}
    drift = gitops.drift(parse_manifest(MANIFEST.format(color="blue")), options)
    assert drift.errors == ()
    assert [(u.type, u.name) for u in drift.unmanaged] == [("sagemaker-reconciler:Toy", "stray")]
    assert drift.resources[0].action == "noop"


def test_the_plugin_checks_diffs_and_creates_a_registered_resource(toy, plugin: Plugin):
    token = TOY.token
    refused = plugin.check("ball", {"toyName": "ball", "color": "purple"}, token=token)
    assert [f.property for f in refused.failures] == ["color"]
    drawn = plugin.inputs("ball", {"color": "red"}, token=token)
    assert drawn["toyName"].startswith("ball-")

    id_, outs = plugin.create("ball", drawn, token=token)
    assert (id_, outs["revision"], outs["arn"]) == (drawn["toyName"], "1", f"arn:toy:::{id_}")
    # A preview of an update shows the outputs every update moves (ResourceType.changing_outputs) as unknown.
    preview = plugin.stub.Update(
        pb.UpdateRequest(
            urn=urn("ball", token), id=id_, olds=encode(outs), news=encode({**drawn, "color": "blue"}), preview=True
        )
    )
    assert decode(preview.properties)["revision"] is UNKNOWN
    assert decode(preview.properties)["arn"] == outs["arn"]
    diff = plugin.diff("ball", id_, outs, drawn, {**drawn, "color": "blue"}, token=token)
    assert (diff.changes, list(diff.diffs)) == (pb.DiffResponse.DIFF_SOME, ["color"])
    same = plugin.diff("ball", id_, outs, drawn, drawn, token=token)
    assert same.changes == pb.DiffResponse.DIFF_NONE


def test_schema_generation_describes_a_registered_resource():
    with registered(TOY_ENTRY):
        resource = package_schema()["resources"][TOY.token]
    assert resource["requiredInputs"] == ["color"]
    assert set(resource["properties"]) == {"toyName", "color", "arn", "revision"}
    assert resource["inputProperties"]["toyName"]["replaceOnChanges"] is True
    assert TOY.token not in package_schema()["resources"]  # registered for the block only


def test_a_manifest_names_a_bad_toy_input_by_its_path(toy):
    with pytest.raises(ManifestError, match="size"):
        parse_manifest(MANIFEST.format(color="red") + "      size: 3\n")


# --- not found is the resource's rule, as the service answers it ---------------------------------------


def _error(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_each_entrys_not_found_rule_matches_what_the_service_answers(endpoint, aws_env):
    sagemaker, s3 = boto3.client("sagemaker"), boto3.client("s3")
    team = _error(sagemaker.describe_workteam, WorkteamName="ghost")
    job = _error(sagemaker.describe_compilation_job, CompilationJobName="ghost")
    s3.create_bucket(Bucket="models")
    head, get = _error(s3.head_object, Bucket="models", Key="gone"), _error(s3.get_object, Bucket="models", Key="gone")
    assert team[0] == "ValidationException" and entry_for(WORKTEAM).not_found(*team)
    assert job[0] == "ResourceNotFound" and entry_for(COMPILATION_JOB).not_found(*job)
    # The work team's answer is its own: any other ValidationException saying "does not exist" is a refusal.
    assert not entry_for(COMPILATION_JOB).not_found(*team)
    assert not resource_not_found("ValidationException", "The S3 bucket does not exist")
    assert object_not_found(*head) and object_not_found(*get)
