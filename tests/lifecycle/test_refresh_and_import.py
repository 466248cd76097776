"""Item 1: refresh and import keep every provider-only input, so an unchanged program changes nothing."""

from __future__ import annotations

from sagemaker_reconciler import CompilationJobProvider, WorkteamProvider
from tests.engine.harness import without_provider
from tests.unit.test_compilation_job_spec import job
from tests.unit.test_workteam_spec import cognito_team


def created(server, provider, props):
    inputs, failures = server.check(provider, {}, props)
    assert failures == []
    return server.create(provider, inputs)


def test_refresh_then_preview_of_an_unchanged_job_changes_nothing(server):
    job_id, outs = created(server, CompilationJobProvider(), job(deleteArtifacts=True))
    read_id, refreshed, inputs = server.read(CompilationJobProvider(), job_id, outs)
    assert read_id == job_id
    assert {k: inputs[k] for k in ("mode", "deleteArtifacts", "verify", "tuningTrials")} == {
        "mode": "cloud",
        "deleteArtifacts": True,
        "verify": False,
        "tuningTrials": 0,
    }
    diff = server.diff(CompilationJobProvider(), job_id, refreshed, job(deleteArtifacts=True))
    assert diff.changes == "DIFF_NONE" and diff.replaces == []


def test_import_by_name_with_empty_state_then_preview_changes_nothing(server):
    job_id, _ = created(server, CompilationJobProvider(), job())
    _, imported, inputs = server.read(CompilationJobProvider(), job_id, {})
    _, failures = server.check(CompilationJobProvider(), {}, without_provider(inputs))
    assert failures == []
    for program in (job(), job(mode="cloud", deleteArtifacts=False, verify=False, tuningTrials=0)):
        diff = server.diff(CompilationJobProvider(), job_id, imported, program)
        assert diff.changes == "DIFF_NONE", program  # defaults compare equal to absent


def test_state_written_without_provider_only_inputs_is_not_a_replacement(server):
    job_id, outs = created(server, CompilationJobProvider(), job())
    old_state = {
        k: v
        for k, v in without_provider(outs).items()
        if k not in ("mode", "verify", "tuningTrials", "deleteArtifacts")
    }
    diff = server.diff(CompilationJobProvider(), job_id, old_state, job())
    assert diff.changes == "DIFF_NONE"


def test_refresh_keeps_force_delete_of_a_workteam(server):
    team_id, outs = created(server, WorkteamProvider(), cognito_team(forceDelete=True))
    _, refreshed, inputs = server.read(WorkteamProvider(), team_id, outs)
    assert inputs["forceDelete"] is True
    assert server.diff(WorkteamProvider(), team_id, refreshed, cognito_team(forceDelete=True)).changes == "DIFF_NONE"
    _, imported, inputs = server.read(WorkteamProvider(), team_id, {})
    assert inputs["forceDelete"] is False
    assert server.diff(WorkteamProvider(), team_id, imported, cognito_team()).changes == "DIFF_NONE"
