"""Plans and reports as people and programs read them: text, Markdown (pull-request comments), JSON. Pure.

Every string that came from input goes through ``sagemaker_reconciler.printable`` (control characters escaped,
input never starts a line), and each renderer passes its whole output through ``escape_lines`` last.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from sagemaker_reconciler.plan.model import UNKNOWN, Action, ChangeKind, Plan, contains_unknown
from sagemaker_reconciler.printable import escape, escape_lines, message_lines
from sagemaker_reconciler.report import Report, ResourceReport

__all__ = [
    "value_text",
    "summary_line",
    "report_text",
    "report_markdown",
    "report_json",
    "render_report",
    "preview_lines",
]

_SYMBOL = {Action.NOOP: "=", Action.CREATE: "+", Action.UPDATE: "~", Action.REPLACE: "+-", Action.DELETE: "-"}


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")


def _key(key: Any) -> str:
    """A key that starts a line: as is when it is a plain name, else quoted, so no line begins with free text."""
    text = str(key)
    return text if _PLAIN_KEY.fullmatch(text) else value_text(text)


def value_text(value: Any) -> str:
    if value is None:
        return "(none)"
    if value is UNKNOWN or contains_unknown(value):
        return "(known after apply)"
    if isinstance(value, str):
        return escape(json.dumps(value, ensure_ascii=False))
    return escape(json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr))


def preview_lines(plan: Plan, stored_inputs: Mapping[str, Any]) -> list[str]:
    """Why a Pulumi preview shows a change: per property, in place or replacement, old -> new, and
    whether the spec changed or the live resource drifted from an unchanged spec."""
    lines = []
    for change in plan.changes:
        how = "forces replacement" if change.kind is ChangeKind.REPLACE else "update in place"
        new = change.new
        if change.property in stored_inputs and stored_inputs[change.property] == new and not contains_unknown(new):
            why = "drift: changed outside Pulumi"
        else:
            why = "changed in the program"
        lines.append(
            f"{plan.resource_type} {escape(plan.name)}: {escape(change.property)}: {value_text(change.old)} -> "
            f"{value_text(new)} [{how}; {why}]"
        )
    lines.extend(f"{plan.resource_type} {escape(plan.name)}: {escape(note)}" for note in plan.notes)
    return lines


# --- reports of a whole manifest (the sagemaker-reconcile CLI): text, Markdown, JSON -----------------------

_PLAN_LABEL = {
    Action.NOOP: "in sync",
    Action.CREATE: "create",
    Action.UPDATE: "update in place",
    Action.REPLACE: "replace",
    Action.DELETE: "delete",
}
_DRIFT_LABEL = {
    Action.NOOP: "in sync",
    Action.CREATE: "missing (apply would create it)",
    Action.UPDATE: "drifted (apply would update it in place)",
    Action.REPLACE: "drifted (apply would replace it)",
    Action.DELETE: "delete",
}
_APPLY_LABEL = {
    Action.NOOP: "in sync, unchanged",
    Action.CREATE: "created",
    Action.UPDATE: "updated in place",
    Action.REPLACE: "replaced",
    Action.DELETE: "deleted",
}
_LABELS = {"plan": _PLAN_LABEL, "drift": _DRIFT_LABEL, "apply": _APPLY_LABEL}


def _label(report: Report, resource: ResourceReport) -> str:
    if resource.plan is None:
        return "error"
    label = _LABELS.get(report.command, _PLAN_LABEL)[resource.plan.action]
    if resource.error is not None and report.command == "apply":
        return f"{_PLAN_LABEL[resource.plan.action]} failed"
    return label


def summary_line(report: Report) -> str:
    """One sentence: what the run found or did."""
    if report.problems:
        return f"The manifest has {len(report.problems)} problem(s); nothing was planned."
    c = report.counts()
    errors = c["error"] + len(report.errors)
    tail = f", {errors} error(s)" if errors else ""
    if report.command == "apply":
        head = "Apply failed" if report.failed else "Apply complete"
        return (
            f"{head}: {c['create']} created, {c['update']} updated, {c['replace']} replaced, "
            f"{c['noop']} unchanged{tail}."
        )
    if report.command == "drift":
        drifted = c["update"] + c["replace"]
        return (
            f"Drift: {drifted} drifted, {c['create']} missing, {len(report.unmanaged)} unmanaged, "
            f"{c['noop']} in sync{tail}."
        )
    return (
        f"Plan: {c['create']} to create, {c['update']} to update, {c['replace']} to replace, {c['noop']} in sync{tail}."
    )


def _plan_body(plan: Plan, indent: str = "    ") -> list[str]:
    lines = []
    for change in plan.changes:
        if plan.action is Action.CREATE:
            lines.append(f"{indent}{_key(change.property)} = {value_text(change.new)}")
        else:
            how = "forces replacement" if change.kind is ChangeKind.REPLACE else "update in place"
            lines.append(
                f"{indent}{_key(change.property)}: {value_text(change.old)} -> {value_text(change.new)}  [{how}]"
            )
    lines += [f"{indent}note: {line}" for note in plan.notes for line in message_lines(note, indent)]
    for call in plan.calls:
        params = json.dumps(call.params, sort_keys=True, ensure_ascii=False, default=repr)
        lines.append(f"{indent}call {call.operation} {escape(params)}")
    return lines


def report_text(report: Report) -> str:
    """For terminals and CI logs."""
    lines = [f"sagemaker-reconcile {report.command} {escape(report.source)}"]
    if report.problems:
        lines.append("error: invalid manifest:")
        lines += [f"  - {escape(problem)}" for problem in report.problems]
    lines += [
        f"error: {line}" if i == 0 else line
        for error in report.errors
        for i, line in enumerate(message_lines(error, "    "))
    ]
    for resource in report.resources:
        symbol = "!" if resource.error else _SYMBOL[resource.plan.action] if resource.plan else "!"
        head = (
            f"{escape(resource.logical_name)} ({escape(resource.kind)} {escape(resource.name)}): "
            f"{_label(report, resource)}"
        )
        lines.append(f"{symbol:<2} {head}")
        if resource.plan is not None and resource.plan.has_changes:
            lines += _plan_body(resource.plan)
        if resource.error:
            first, *rest = message_lines(resource.error, "    ")
            lines += [f"    error: {first}", *rest]
        if resource.outputs:
            lines += [f"    {_key(key)} = {value_text(value)}" for key, value in resource.outputs.items()]
    if report.command == "drift" and not report.problems:
        if report.unmanaged:
            lines.append("Unmanaged (in the account and region, not in the manifest):")
            lines += [
                f"?  {escape(u.kind)} {escape(u.name)}  {escape(u.status) + '  ' if u.status else ''}{escape(u.arn)}"
                for u in report.unmanaged
            ]
        else:
            lines.append("No unmanaged resources.")
    if report.outputs:
        lines.append("Outputs:")
        lines += [f"    {_key(key)}: {value_text(value)}" for key, value in report.outputs.items()]
    lines.append(summary_line(report))
    return escape_lines("\n".join(lines))


def _code(value: Any) -> str:
    """A value in a Markdown table cell: inline code, HTML-escaped, pipes and newlines neutralised."""
    text = escape(value) if isinstance(value, str) else value_text(value)
    text = html.escape(text, quote=False).replace("|", "&#124;")
    return f"<code>{text}</code>"


def _html(text: object) -> str:
    """A short input string in Markdown: escaped (one line), HTML-escaped, pipes neutralised."""
    return html.escape(escape(text), quote=False).replace("|", "&#124;")


def _prose(text: str) -> str:
    """Free text (an error message) inside a table cell or a quote: escaped, on one line."""
    return "<br>".join(html.escape(escape(line), quote=False).replace("|", "&#124;") for line in str(text).split("\n"))


def _markdown_details(report: Report, resource: ResourceReport) -> list[str]:
    plan = resource.plan
    summary = (
        f"<code>{_html(resource.logical_name)}</code> ({_html(resource.kind)} {_html(resource.name)}): "
        f"{_label(report, resource)}"
    )
    lines = ["<details><summary>" + summary + "</summary>", ""]
    if resource.error:
        lines += [f"**Error:** {_prose(resource.error)}", ""]
    if plan is not None and plan.changes:
        lines += ["| Property | Change | Old | New |", "|---|---|---|---|"]
        for change in plan.changes:
            how = (
                "set"
                if plan.action is Action.CREATE
                else "forces replacement"
                if change.kind is ChangeKind.REPLACE
                else "update in place"
            )
            old = "" if plan.action is Action.CREATE else _code(value_text(change.old))
            lines.append(f"| <code>{_html(change.property)}</code> | {how} | {old} | {_code(value_text(change.new))} |")
        lines.append("")
    if plan is not None and plan.notes:
        lines += [f"- {_prose(note)}" for note in plan.notes] + [""]
    if plan is not None and plan.calls:
        lines += ["API calls:", "", "```json"]
        lines += [
            escape(json.dumps({call.operation: call.params}, sort_keys=True, ensure_ascii=False, default=repr))
            for call in plan.calls
        ]
        lines += ["```", ""]
    if resource.outputs:
        lines += ["| Output | Value |", "|---|---|"]
        lines += [
            f"| <code>{_html(key)}</code> | {_code(value_text(value))} |" for key, value in resource.outputs.items()
        ]
        lines.append("")
    lines += ["</details>", ""]
    return lines


def report_markdown(report: Report) -> str:
    """For a pull-request comment: a summary, one table row per resource, details for each that moves."""
    lines = [
        f"### sagemaker-reconcile {report.command}: <code>{_html(report.source)}</code>",
        "",
        f"**{summary_line(report)}**",
        "",
    ]
    if report.problems:
        lines += ["| Line | Path | Problem |", "|---|---|---|"]
        lines += [
            f"| {p.line or ''} | {_code(p.path) if p.path else ''} | {_prose(p.message)} |" for p in report.problems
        ]
        lines.append("")
    lines += [f"> **Error:** {_prose(error)}" for error in report.errors]
    if report.errors:
        lines.append("")
    if report.resources:
        lines += ["| Resource | Type | Name | Action | Properties |", "|---|---|---|---|---|"]
        for r in report.resources:
            props = ""
            if r.plan is not None and r.plan.has_changes:
                props = ", ".join(
                    f"<code>{_html(c.property)}</code>" + (" (replace)" if c.kind is ChangeKind.REPLACE else "")
                    for c in r.plan.changes
                )
            action = _label(report, r)
            action = action if r.plan is not None and not r.plan.has_changes and not r.error else f"**{action}**"
            name = f"<code>{_html(r.logical_name)}</code>"
            lines.append(f"| {name} | {_html(r.kind)} | {_code(r.name)} | {action} | {props} |")
        lines.append("")
        for r in report.resources:
            if r.error or (r.plan is not None and r.plan.has_changes) or r.outputs:
                lines += _markdown_details(report, r)
    if report.command == "drift" and report.unmanaged:
        lines += [
            "#### Unmanaged",
            "",
            "In the account and region, not in the manifest:",
            "",
            "| Type | Name | Status | ARN |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {_html(u.kind)} | {_code(u.name)} | {_html(u.status)} | {_code(u.arn)} |" for u in report.unmanaged
        ]
        lines.append("")
    if report.outputs:
        lines += ["#### Outputs", "", "| Output | Value |", "|---|---|"]
        lines += [f"| <code>{_html(k)}</code> | {_code(value_text(v))} |" for k, v in report.outputs.items()]
        lines.append("")
    return escape_lines("\n".join(lines).rstrip()) + "\n"


def report_json(report: Report) -> str:
    """For programs: one JSON document (see Report.to_dict for its shape)."""
    return escape_lines(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))


def render_report(report: Report, output_format: str) -> str:
    renderers = {"text": report_text, "markdown": report_markdown, "json": report_json}
    if output_format not in renderers:
        raise ValueError(f"unknown format {output_format!r}; use one of {', '.join(renderers)}")
    return renderers[output_format](report)
