"""Reports of a manifest run: exit codes, and text / Markdown / JSON renderings (pure)."""

from __future__ import annotations

import json

from sagemaker_reconciler.errors import ManifestProblem
from sagemaker_reconciler.plan.model import Action, ApiCall, ChangeKind, Plan, PropertyChange
from sagemaker_reconciler.render import render_report, report_json, report_markdown, report_text
from sagemaker_reconciler.report import Report, ResourceReport, Unmanaged

WT = "sagemaker-reconciler:Workteam"
CJ = "sagemaker-reconciler:CompilationJob"

UPDATE = Plan(
    "Workteam",
    "team-a",
    Action.UPDATE,
    (PropertyChange("description", ChangeKind.UPDATE, "old | text", "new text", ("description",)),),
    (ApiCall("UpdateWorkteam", {"WorkteamName": "team-a", "Description": "new text"}),),
)
REPLACE = Plan(
    "CompilationJob",
    "job-a",
    Action.REPLACE,
    (
        PropertyChange(
            "outputConfig",
            ChangeKind.REPLACE,
            {"targetDevice": "ml_c5"},
            {"targetDevice": "rasp4b"},
            ("outputConfig.targetDevice",),
        ),
    ),
)
NOOP = Plan("Workteam", "team-b", Action.NOOP)


def resources():
    return (
        ResourceReport("team", WT, "team-a", UPDATE),
        ResourceReport("job", CJ, "job-a", REPLACE),
        ResourceReport("other", WT, "team-b", NOOP),
    )


def test_exit_codes_follow_terraforms_detailed_exitcode():
    assert Report("plan", "s.yaml", (ResourceReport("other", WT, "team-b", NOOP),)).exit_code == 0
    assert Report("plan", "s.yaml", resources()).exit_code == 2
    assert (
        Report(
            "drift", "s.yaml", (ResourceReport("other", WT, "team-b", NOOP),), (Unmanaged(WT, "stray", "arn:stray"),)
        ).exit_code
        == 2
    )
    assert Report("apply", "s.yaml", resources()).exit_code == 0
    assert Report("plan", "s.yaml", problems=(ManifestProblem("resources", "is required"),)).exit_code == 1
    assert Report("plan", "s.yaml", errors=("no region",)).exit_code == 1
    failed = ResourceReport("job", CJ, "job-a", REPLACE, error="job-a ended FAILED: bad op")
    assert Report("apply", "s.yaml", (failed,)).exit_code == 1
    assert Report("plan", "s.yaml", (ResourceReport("job", CJ, "job-a", error="throttled"),)).exit_code == 1


def test_json_has_per_resource_action_changes_replaces_and_calls():
    doc = json.loads(report_json(Report("plan", "s.yaml", resources())))
    assert doc["exit_code"] == 2 and doc["command"] == "plan" and doc["manifest"] == "s.yaml"
    assert doc["summary"] == {
        "resources": 3,
        "in_sync": 1,
        "create": 0,
        "update": 1,
        "replace": 1,
        "error": 0,
        "unmanaged": 0,
    }
    team, job, other = doc["resources"]
    assert team["logical_name"] == "team" and team["type"] == WT and team["action"] == "update"
    assert team["changes"] == [
        {
            "property": "description",
            "kind": "update",
            "old": "old | text",
            "new": "new text",
            "details": ["description"],
        }
    ]
    assert team["calls"] == [
        {"operation": "UpdateWorkteam", "params": {"WorkteamName": "team-a", "Description": "new text"}}
    ]
    assert job["action"] == "replace" and job["replaces"] == ["outputConfig"]
    assert other["action"] == "noop" and other["changes"] == [] and other["error"] is None


def test_markdown_is_a_summary_and_a_table_with_details_for_what_moves():
    md = report_markdown(Report("plan", "stack.yaml", resources()))
    assert md.startswith("### sagemaker-reconcile plan: <code>stack.yaml</code>")
    assert "**Plan: 0 to create, 1 to update, 1 to replace, 1 in sync.**" in md
    assert "| Resource | Type | Name | Action | Properties |" in md
    assert (
        "| <code>team</code> | Workteam | <code>team-a</code> | **update in place** | <code>description</code> |" in md
    )
    assert (
        "| <code>job</code> | CompilationJob | <code>job-a</code> | **replace** | <code>outputConfig</code> (replace) |"
    ) in md
    assert "| <code>other</code> | Workteam | <code>team-b</code> | in sync |  |" in md
    assert md.count("<details>") == 2  # nothing to detail for the resource in sync
    assert '<code>"old &#124; text"</code>' in md  # a pipe in a value cannot break the row
    assert '"UpdateWorkteam"' in md


def test_markdown_of_drift_lists_unmanaged_and_of_a_bad_manifest_lists_problems():
    drift = Report(
        "drift",
        "s.yaml",
        (ResourceReport("other", WT, "team-b", NOOP),),
        (Unmanaged(CJ, "old-job", "arn:old", "COMPLETED"),),
    )
    md = report_markdown(drift)
    assert (
        "#### Unmanaged" in md and "| CompilationJob | <code>old-job</code> | COMPLETED | <code>arn:old</code> |" in md
    )
    bad = report_markdown(Report("plan", "s.yaml", problems=(ManifestProblem("resources.a.type", "unknown", 3),)))
    assert "| 3 | <code>resources.a.type</code> | unknown |" in bad


def test_text_names_the_logical_resource_the_change_and_the_summary():
    text = report_text(Report("plan", "s.yaml", resources()))
    assert "~  team (Workteam team-a): update in place" in text
    assert '    description: "old | text" -> "new text"  [update in place]' in text
    assert "+- job (CompilationJob job-a): replace" in text
    assert "=  other (Workteam team-b): in sync" in text
    assert text.endswith("Plan: 0 to create, 1 to update, 1 to replace, 1 in sync.")
    applied = report_text(
        Report(
            "apply",
            "s.yaml",
            (ResourceReport("team", WT, "team-a", UPDATE, {"arn": "arn:x"}),),
            outputs={"teamArn": "arn:x"},
        )
    )
    assert '    arn = "arn:x"' in applied and 'Outputs:\n    teamArn: "arn:x"' in applied
    assert render_report(Report("plan", "s.yaml"), "json").startswith("{")
