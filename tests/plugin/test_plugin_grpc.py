"""The plugin's RPCs against the embedded endpoint: Check, Diff, Create, Read, Update, Delete, config, schema."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import grpc
import pytest
from pulumi.runtime.proto import provider_pb2 as pb
from pulumi.runtime.proto import status_pb2

from sagemaker_reconciler.plan.model import UNKNOWN
from sagemaker_reconciler.plugin.wire import UNKNOWN_STRING, decode, encode

from .conftest import JOB, cognito_team, urn

REPO = Path(__file__).resolve().parents[2]
KIND = pb.PropertyDiff.Kind.Name


def detailed(response: pb.DiffResponse) -> dict[str, tuple[str, bool]]:
    """path -> (kind, inputDiff): inputDiff false means the live resource drifted."""
    return {path: (KIND(d.kind), d.inputDiff) for path, d in response.detailedDiff.items()}


def made(plugin, name="labelers", **props):
    inputs = plugin.inputs(name, cognito_team(**props))
    id_, outputs = plugin.create(name, inputs, timeout=60)
    return id_, outputs, inputs


def init_failure(error: grpc.RpcError) -> pb.ErrorResourceInitFailed:
    """The ErrorResourceInitFailed detail of a partial failure, as the engine decodes it."""
    (body,) = [v for k, v in error.trailing_metadata() if k == "grpc-status-details-bin"]
    status = status_pb2.Status.FromString(body)
    (packed,) = status.details
    assert packed.type_url == "type.googleapis.com/pulumirpc.ErrorResourceInitFailed"
    detail = pb.ErrorResourceInitFailed()
    packed.Unpack(detail)
    return detail


# --- Check: autonaming and validation --------------------------------------------------------------


def test_check_draws_the_name_from_the_seed_and_keeps_it_on_later_runs(plugin):
    first = plugin.inputs("street labelers", cognito_team(), seed=b"a" * 32)
    name = first["workteamName"]
    assert name.startswith("street-labelers-") and len(name) == len("street-labelers-") + 7
    assert plugin.inputs("street labelers", cognito_team(), seed=b"a" * 32)["workteamName"] == name  # stable
    again = plugin.inputs("street labelers", cognito_team(description="x"), olds=first, seed=b"b" * 32)
    assert again["workteamName"] == name  # an existing resource keeps its drawn name, whatever the seed
    assert plugin.inputs("street labelers", cognito_team(), seed=b"b" * 32)["workteamName"] != name
    fixed = plugin.inputs("street labelers", cognito_team(workteamName="fixed"))
    assert fixed["workteamName"] == "fixed" and "__defaults" not in fixed


def test_check_follows_the_stacks_autonaming_settings(plugin):
    options = pb.CheckRequest.AutonamingOptions
    enforced = plugin.inputs(
        "team", cognito_team(), autonaming=options(proposed_name="prod-team", mode=options.ENFORCE)
    )
    assert enforced["workteamName"] == "prod-team"
    refused = plugin.check("team", cognito_team(), autonaming=options(mode=options.DISABLE))
    assert [(f.property, f.reason) for f in refused.failures] == [
        ("workteamName", "is required: autonaming is disabled for this stack")
    ]


def test_check_names_each_broken_rule_and_calls_nothing(plugin, endpoint):
    response = plugin.check("team", {"description": "", "workteamName": "bad_name"})
    failures = {f.property: f.reason for f in response.failures}
    assert set(failures) == {"description", "workteamName", "memberDefinitions"}
    assert "at least 1" in failures["description"]
    assert endpoint.requests == []


def test_check_in_preview_does_not_judge_values_not_known_yet(plugin):
    response = plugin.check("team", cognito_team(description=UNKNOWN_STRING))
    assert list(response.failures) == []
    assert response.inputs["description"] == UNKNOWN_STRING  # handed back as the engine's own unknown


# --- Diff: per path, drift labelled, ignoreChanges -----------------------------------------------------


def test_an_unchanged_team_diffs_to_nothing_with_one_describe_and_no_write(plugin, endpoint):
    id_, outputs, inputs = made(plugin, tags={"team": "perception"})
    endpoint.clear_requests()
    response = plugin.diff("labelers", id_, outputs, inputs, inputs)
    assert response.changes == pb.DiffResponse.DIFF_NONE and response.hasDetailedDiff
    assert [r.operation for r in endpoint.requests] == ["DescribeWorkteam", "ListTags"]
    endpoint.clear_requests()
    untagged_id, untagged_out, untagged_in = made(plugin, "plain")
    endpoint.clear_requests()
    plugin.diff("plain", untagged_id, untagged_out, untagged_in, untagged_in)
    assert [r.operation for r in endpoint.requests] == ["DescribeWorkteam"]


def test_diff_reports_each_path_and_tells_drift_from_program_edits(plugin):
    id_, outputs, inputs = made(plugin, tags={"team": "perception"})
    boto3.client("sagemaker").update_workteam(WorkteamName=id_, Description="edited in the console")
    news = {**inputs, "tags": {"team": "perception", "cost": "42"}}
    response = plugin.diff("labelers", id_, outputs, inputs, news)
    assert response.changes == pb.DiffResponse.DIFF_SOME
    assert detailed(response) == {"description": ("UPDATE", False), "tags.cost": ("ADD", True)}
    assert list(response.diffs) == ["description", "tags"] and list(response.replaces) == []


def test_ignore_changes_leaves_a_console_edit_alone_in_diff_and_update(plugin):
    id_, outputs, inputs = made(plugin)
    sagemaker = boto3.client("sagemaker")
    sagemaker.update_workteam(WorkteamName=id_, Description="edited in the console")
    assert (
        plugin.diff("labelers", id_, outputs, inputs, inputs, ignore=["description"]).changes
        == pb.DiffResponse.DIFF_NONE
    )
    news = {**inputs, "tags": {"owner": "ml"}}
    response = plugin.diff("labelers", id_, outputs, inputs, news, ignore=["description"])
    assert detailed(response) == {"tags.owner": ("ADD", True)}
    plugin.stub.Update(
        pb.UpdateRequest(
            urn=urn("labelers"),
            id=id_,
            olds=encode(outputs),
            news=encode(news),
            old_inputs=encode(inputs),
            ignoreChanges=["description"],
            timeout=60,
        )
    )
    live = sagemaker.describe_workteam(WorkteamName=id_)["Workteam"]
    assert live["Description"] == "edited in the console"
    tags = sagemaker.list_tags(ResourceArn=live["WorkteamArn"])["Tags"]
    assert tags == [{"Key": "owner", "Value": "ml"}]


def test_a_fixed_name_change_replaces_delete_first_and_an_auto_name_creates_first(plugin):
    id_, outputs, inputs = made(plugin, workteamName="fixed-team")
    response = plugin.diff("labelers", id_, outputs, inputs, {**inputs, "workteamName": "other-team"})
    assert detailed(response)["workteamName"] == ("UPDATE_REPLACE", True)
    assert list(response.replaces) == ["workteamName"] and response.deleteBeforeReplace
    auto_id, auto_out, auto_in = made(plugin, "auto")
    response = plugin.diff("auto", auto_id, auto_out, auto_in, {**auto_in, "workforceName": "other"})
    assert detailed(response) == {"workforceName": ("UPDATE_REPLACE", True)}  # live: "default"
    assert list(response.replaces) == ["workforceName"] and not response.deleteBeforeReplace


def test_a_team_deleted_out_of_band_is_recreated(plugin):
    id_, outputs, inputs = made(plugin)
    boto3.client("sagemaker").delete_workteam(WorkteamName=id_)
    response = plugin.diff("labelers", id_, outputs, inputs, inputs)
    assert detailed(response) == {"workteamName": ("UPDATE_REPLACE", False)}


# --- Create / Read / Delete ----------------------------------------------------------------------------


def test_preview_create_writes_nothing_and_leaves_outputs_unknown(plugin, endpoint):
    inputs = plugin.inputs("team", cognito_team())
    id_, outputs = plugin.create("team", inputs, preview=True)
    assert id_ == "" and outputs["arn"] is UNKNOWN and outputs["description"] == "Labels street scenes"
    assert endpoint.requests == []


def test_a_create_whose_every_reply_is_lost_is_a_partial_failure_naming_the_team(plugin, endpoint):
    endpoint.inject_fault("drop", "CreateWorkteam", phase="after")
    inputs = plugin.inputs("team", cognito_team())
    with pytest.raises(grpc.RpcError) as raised:
        plugin.create("team", inputs, timeout=60)
    assert raised.value.code() == grpc.StatusCode.UNKNOWN
    assert "ConnectionClosedError" in raised.value.details()
    detail = init_failure(raised.value)
    assert detail.id == inputs["workteamName"]
    assert decode(detail.properties)["arn"].endswith(f"workteam/private-crowd/{detail.id}")
    assert [t["WorkteamName"] for t in boto3.client("sagemaker").list_workteams()["Workteams"]] == [detail.id]


def test_a_create_refused_by_the_service_is_a_plain_error_and_nothing_exists(plugin, endpoint):
    endpoint.set_workteam_limit(1)
    made(plugin, "first")
    inputs = plugin.inputs("team", cognito_team())
    with pytest.raises(grpc.RpcError) as raised:
        plugin.create("team", inputs, timeout=60)
    assert "ResourceLimitExceeded" in raised.value.details()
    assert not [v for k, v in raised.value.trailing_metadata() if k == "grpc-status-details-bin"]
    assert len(boto3.client("sagemaker").list_workteams()["Workteams"]) == 1


def test_import_by_id_returns_the_live_inputs_and_outputs(plugin):
    id_, _, _ = made(plugin, workteamName="console-made", tags={"team": "perception"})
    response = plugin.stub.Read(pb.ReadRequest(urn=urn("imported"), id=id_))
    inputs, outputs = decode(response.inputs), decode(response.properties)
    assert response.id == id_ and inputs["workteamName"] == "console-made"
    assert inputs["tags"] == {"team": "perception"} and inputs["description"] == "Labels street scenes"
    assert outputs["arn"].endswith("/console-made") and "__defaults" not in inputs
    assert plugin.check("imported", inputs).failures == []  # pulumi import checks what Read returned


def test_refresh_keeps_the_drawn_name_marker_and_a_deleted_team_reads_as_gone(plugin):
    id_, outputs, inputs = made(plugin)
    response = plugin.stub.Read(
        pb.ReadRequest(urn=urn("labelers"), id=id_, properties=encode(outputs), inputs=encode(inputs))
    )
    assert decode(response.inputs)["__defaults"] == ["workteamName"]
    plugin.stub.Delete(pb.DeleteRequest(urn=urn("labelers"), id=id_, properties=encode(outputs)))
    gone = plugin.stub.Read(pb.ReadRequest(urn=urn("labelers"), id=id_, properties=encode(outputs)))
    assert gone.id == ""
    assert not gone.HasField("properties") and not gone.HasField("inputs")  # the engine's test for "gone"


# --- CompilationJob: timeouts and partial failure ------------------------------------------------------


def neo_job(endpoint, compiling_seconds: int, data_input_config: str = '{"data": [1, 3, 224, 224]}') -> dict:
    """A cloud job's inputs over a model put in the endpoint's S3; jobs compile for `compiling_seconds`."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"model")
    endpoint.set_compilation_timing(compiling_seconds=compiling_seconds)
    return {
        "roleArn": "arn:aws:iam::123456789012:role/neo",
        "inputConfig": {"s3Uri": "s3://models/m.tar.gz", "framework": "ONNX", "dataInputConfig": data_input_config},
        "outputConfig": {"s3OutputLocation": "s3://models/out", "targetDevice": "ml_c5"},
    }


def test_a_job_that_outlasts_the_request_timeout_is_kept_as_a_partial_failure(plugin, endpoint):
    job = neo_job(endpoint, compiling_seconds=600)
    inputs = plugin.inputs("resnet", job, token=JOB)
    with pytest.raises(grpc.RpcError) as raised:
        plugin.create("resnet", inputs, token=JOB, timeout=2)
    detail = init_failure(raised.value)
    assert detail.id == inputs["compilationJobName"]
    assert decode(detail.properties)["status"] in ("STARTING", "INPROGRESS")


# --- configuration and schema -----------------------------------------------------------------------


def test_check_config_refuses_credentials_unknown_keys_and_bad_endpoints(plugin):
    response = plugin.stub.CheckConfig(
        pb.CheckRequest(
            urn="urn:pulumi:dev::proj::pulumi:providers:sagemaker-reconciler::default",
            news=encode(
                {
                    "region": "us-east-1",
                    "secretKey": "x",
                    "endpont": "y",
                    "endpoint": "localhost:5005",
                    "version": "0.1.0",
                }
            ),
        )
    )
    failures = {f.property: f.reason for f in response.failures}
    assert set(failures) == {"secretKey", "endpont", "endpoint"}
    assert "standard AWS chain" in failures["secretKey"] and "valid keys: region" in failures["endpont"]


def test_get_schema_is_schema_json_with_the_plugin_version(plugin):
    served = json.loads(plugin.stub.GetSchema(pb.GetSchemaRequest()).schema)
    assert served.pop("version") == "0.1.0"
    assert served == json.loads((REPO / "schema.json").read_text())


def test_a_preview_with_values_not_known_yet_diffs_them_as_changes_and_writes_nothing(plugin, endpoint):
    id_, outputs, inputs = made(plugin)
    endpoint.clear_requests()
    news = {
        **inputs,
        "description": UNKNOWN_STRING,
        "notificationConfiguration": {"notificationTopicArn": UNKNOWN_STRING},
    }
    response = plugin.diff("labelers", id_, outputs, inputs, news)
    assert detailed(response) == {"description": ("UPDATE", True), "notificationConfiguration": ("ADD", True)}
    assert not response.replaces
    renamed = plugin.diff("labelers", id_, outputs, inputs, {**inputs, "workteamName": UNKNOWN_STRING})
    assert list(renamed.replaces) == ["workteamName"]
    assert [r.operation for r in endpoint.requests] == ["DescribeWorkteam", "DescribeWorkteam"]


def test_a_whitespace_only_edit_of_a_json_input_is_no_change_for_a_job(plugin, endpoint):
    """The plugin compares program edits as the dynamic resource and the CLI do: JSON inputs normalised."""
    job = neo_job(endpoint, compiling_seconds=0, data_input_config='{"data": [1,3,224,224]}')
    inputs = plugin.inputs("resnet", job, token=JOB)
    id_, outputs = plugin.create("resnet", inputs, token=JOB)
    spaced = {**job, "inputConfig": {**job["inputConfig"], "dataInputConfig": '{ "data" : [1, 3, 224, 224] }'}}
    news = plugin.inputs("resnet", spaced, olds=inputs, token=JOB)
    unchanged = plugin.diff("resnet", id_, outputs, inputs, news, token=JOB)
    assert unchanged.changes == pb.DiffResponse.DIFF_NONE and not unchanged.replaces
    moved = {**job, "inputConfig": {**job["inputConfig"], "dataInputConfig": '{"data": [1, 3, 256, 256]}'}}
    news = plugin.inputs("resnet", moved, olds=inputs, token=JOB)
    changed = plugin.diff("resnet", id_, outputs, inputs, news, token=JOB)
    assert changed.changes == pb.DiffResponse.DIFF_SOME and list(changed.replaces) == ["inputConfig"]
