"""One escaping rule for everything printed: no raw control character, and no line that starts with input.

A file:// path holding ``\\x1b[31m`` and ``\\n::error::...`` once printed a red
terminal and a forged GitHub Actions workflow command. Here every field a report
can carry is filled with such text (a hypothesis property over the renderers),
and the real CLI prints hostile paths in every format, in plan and apply output,
errors and progress lines.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sagemaker_reconciler.errors import ManifestProblem
from sagemaker_reconciler.plan.model import Action, ApiCall, ChangeKind, Plan, PropertyChange
from sagemaker_reconciler.printable import escape, message_lines
from sagemaker_reconciler.render import preview_lines, render_report
from sagemaker_reconciler.report import Report, ResourceReport, Unmanaged
from tests.hostile.child import child_env, run_case, write_local_job

FORGED = [
    "\n::error::forged",
    "\r\n::warning file=x::forged",
    "\x1b[31mred",
    "\x9b31m",
    "\u202eevil",
    "\u2028::error::sep",
    "\x85::error::nel",
    "\x00nul",
    "\x7fdel",
    "::error::at start",
]
hostile_text = st.lists(st.one_of(st.sampled_from(FORGED), st.text(max_size=8)), min_size=1, max_size=4).map("".join)
WT = "sagemaker-reconciler:Workteam"


def assert_safe(output: str) -> None:
    """What a terminal or a CI log may be shown: printable characters and our own line breaks only;
    no line, even indented, that starts a workflow command."""
    for line in output.split("\n"):
        assert all(char == " " or char.isprintable() for char in line), repr(line)
        assert not line.lstrip().startswith("::"), repr(line)


@st.composite
def reports(draw) -> Report:
    text = hostile_text
    change = PropertyChange(draw(text), draw(st.sampled_from(list(ChangeKind))), draw(text), draw(text), (draw(text),))
    plan = Plan(
        "Workteam",
        draw(text),
        draw(st.sampled_from([Action.CREATE, Action.UPDATE, Action.REPLACE, Action.NOOP])),
        (change,),
        (ApiCall("UpdateWorkteam", {draw(text): draw(text)}),),
        (draw(text),),
    )
    resource = ResourceReport(draw(text), WT, draw(text), plan, {draw(text): draw(text)}, draw(st.none() | text))
    return Report(
        draw(st.sampled_from(["plan", "apply", "drift"])),
        draw(text),
        (resource,),
        (Unmanaged(WT, draw(text), draw(text), draw(text)),),
        tuple(ManifestProblem(draw(text), draw(text), 3) for _ in range(draw(st.integers(0, 1)))),
        (draw(text),),
        {draw(text): draw(text)},
    )


@settings(max_examples=150, deadline=None)
@given(reports(), st.sampled_from(["text", "markdown", "json"]))
def test_no_rendered_report_shows_a_control_character_or_starts_a_line_with_input(report, fmt):
    output = render_report(report, fmt)
    assert_safe(output)
    if fmt == "json":  # escaped the JSON way: the document still decodes to exactly what was reported
        assert json.loads(output) == json.loads(json.dumps(report.to_dict(), default=str))


@settings(max_examples=200, deadline=None)
@given(hostile_text, hostile_text, hostile_text)
def test_engine_log_lines_and_error_messages_are_escaped(name, value, note):
    plan = Plan(
        "Workteam", name, Action.UPDATE, (PropertyChange("description", ChangeKind.UPDATE, value, note),), notes=(note,)
    )
    assert_safe("\n".join(preview_lines(plan, {"description": value})))
    assert_safe("error: " + "\n".join(message_lines(f"{name}\n{value}", "  ")))  # the first line follows a prefix
    assert "\n" not in escape(value) and "\x1b" not in escape(value)


def _local_job(root: Path, model: str, output: str) -> Path:
    return write_local_job(root, model, output, outputs={"\n::error::key": "${job.compiledArtifactUri}"})


def test_hostile_paths_are_escaped_in_every_format_of_plan_and_apply(tmp_path):
    """A file:// path with an ANSI sequence and a forged workflow command (a missing model: apply fails and
    its error echoes the path) through the real CLI: plan in text, Markdown and JSON, then apply."""
    child_env(tmp_path)
    evil = "\x1b[31m\n::error file=stack.yaml::pwned\u202e"
    model = f"file://{tmp_path}/{evil}/model.tar.gz"
    output = f"file://{tmp_path}/out{evil}"
    manifest = _local_job(tmp_path, model, output)
    for fmt in ("text", "markdown", "json"):
        plan = run_case(f"print: plan ({fmt})", "cli", ["plan", str(manifest), "--format", fmt], tmp_path)
        assert plan.code in (1, 2), plan.text  # outputs name a key that is not a property: a manifest error
        assert "Traceback" not in plan.text
        assert_safe(plan.out)
        assert_safe(plan.err)
        if fmt == "json":
            json.loads(plan.out)
    manifest = _local_job(tmp_path, model, output)
    text = manifest.read_text()
    manifest.write_text(
        text.replace(
            '"outputs": {"\\n::error::key": "${job.compiledArtifactUri}"}',
            '"outputs": {"artifact": "${job.compiledArtifactUri}"}',
        )
    )
    for fmt in ("text", "markdown", "json"):
        plan = run_case(f"print: plan ({fmt}, valid)", "cli", ["plan", str(manifest), "--format", fmt], tmp_path)
        assert plan.code == 2, plan.text  # the artifact is not there yet: create
        assert "::error file=stack.yaml::pwned" in plan.out.replace("\\n", "")  # shown, escaped, not executed
        assert_safe(plan.out)
        if fmt == "json":
            document = json.loads(plan.out)
            assert document["resources"][0]["changes"][0]["new"].startswith(output)
    for fmt in ("text", "json"):
        apply = run_case(f"print: apply ({fmt})", "cli", ["apply", str(manifest), "--format", fmt], tmp_path)
        apply.assert_refused("no such file")
        assert_safe(apply.out)
        assert_safe(apply.err)
        assert "\\u001b[31m" in apply.out and "\x1b" not in apply.out
