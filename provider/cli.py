"""Command line: `sagemaker-reconcile` / `python -m sagemaker_reconciler`. One function per subcommand, each an exit code.

GitOps, over a manifest (a Pulumi YAML program's ``resources:``)::

    sagemaker-reconcile plan  stack.yaml [--format text|markdown|json] [--parallelism 8]
    sagemaker-reconcile apply stack.yaml
    sagemaker-reconcile drift stack.yaml [--name-contains PREFIX]

Exit codes (as ``terraform plan -detailed-exitcode``): 0 in sync, 2 changes or
drift, 1 an error (usage, manifest, configuration, AWS). ``apply`` exits 0 once
everything is in sync.

Also: ``schema`` (print, ``--write`` or ``--check`` schema.json), ``demo`` (the
main job on the embedded endpoint), ``serve-endpoint``.

No input produces a traceback: anything unexpected is one ``error:`` line and
exit 1 (``SAGEMAKER_RECONCILER_DEBUG=1`` shows the traceback). Everything
printed goes through ``sagemaker_reconciler.printable``: control characters escaped, and no
line begins with text from the input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn

from sagemaker_reconciler.errors import ReconcilerError
from sagemaker_reconciler.printable import escape, escape_lines, message_lines

__all__ = ["main", "cmd_plan", "cmd_apply", "cmd_drift", "cmd_schema"]

EXIT_ERROR = 1


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error, which here means "changes": make it 1 like every other error."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise _UsageError(f"{self.prog}: error: {message}")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


# --- plan / apply / drift ----------------------------------------------------------------------------


def _run_gitops(command: str, args: argparse.Namespace) -> int:
    from sagemaker_reconciler import gitops
    from sagemaker_reconciler.aws import AwsConfig
    from sagemaker_reconciler.errors import ManifestError
    from sagemaker_reconciler.manifest import load_manifest
    from sagemaker_reconciler.render import render_report
    from sagemaker_reconciler.report import Report

    try:
        manifest = load_manifest(args.manifest)
    except ManifestError as exc:
        report = Report(command, exc.source, problems=tuple(exc.problems))
    else:
        progress = None
        if command == "apply":
            progress = lambda line: _say(f"apply: {escape(line)}")  # noqa: E731
        options = gitops.RunOptions(
            config=AwsConfig(region=args.region, profile=args.profile, endpoint_url=args.endpoint),
            parallelism=args.parallelism,
            name_contains=getattr(args, "name_contains", None),
            progress=progress,
        )
        report = getattr(gitops, command)(manifest, options)
    text = render_report(report, args.output_format)
    # In a terminal, a manifest that cannot be planned is an error message; JSON and Markdown stay on stdout
    # so that whatever consumes them sees the problems too.
    unplanned = report.problems or (report.errors and not report.resources)
    stream = sys.stderr if args.output_format == "text" and unplanned else sys.stdout
    print(escape_lines(text), file=stream, end="" if text.endswith("\n") else "\n")
    return report.exit_code


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _error(message: object) -> None:
    """``error: ...``; a message's further lines are marked (``| ``) so none starts with text from input."""
    print(
        "\n".join(["error: " + line if i == 0 else line for i, line in enumerate(message_lines(message, "  "))]),
        file=sys.stderr,
        flush=True,
    )


def cmd_plan(args: argparse.Namespace) -> int:
    """What apply would change; exit 2 when anything would."""
    return _run_gitops("plan", args)


def cmd_apply(args: argparse.Namespace) -> int:
    """Create, update in place or replace until everything is in sync; print the outputs."""
    return _run_gitops("apply", args)


def cmd_drift(args: argparse.Namespace) -> int:
    """Read-only: declared resources that differ or are missing, and undeclared ones; exit 2 on any."""
    return _run_gitops("drift", args)


# --- schema, demo, serve-endpoint ------------------------------------------------------------------


def cmd_schema(args: argparse.Namespace) -> int:
    from sagemaker_reconciler.schema import REGENERATE_COMMAND, schema_text

    text = schema_text()
    if args.check is not None:
        path = Path(args.check)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            state = "is missing" if current is None else "is out of date"
            print(f"{path} {state}: regenerate it with `{REGENERATE_COMMAND}`", file=sys.stderr)
            return EXIT_ERROR
        print(f"{path} is up to date", file=sys.stderr)
        return 0
    if args.write is not None:
        Path(args.write).write_text(text, encoding="utf-8")
        print(f"wrote {args.write}", file=sys.stderr)
        return 0
    sys.stdout.write(text)
    return 0


def cmd_serve_endpoint(args: argparse.Namespace) -> int:
    from sagemaker_reconciler.endpoint import serve_forever

    serve_forever(args.port)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sagemaker_reconciler.demo import run_demo

    return run_demo(manifest=args.manifest)


def cmd_plugin_pack(args: argparse.Namespace) -> int:
    from sagemaker_reconciler.plugin.pack import pack
    from sagemaker_reconciler.plugin.server import plugin_version

    path = pack(Path(args.out), python=args.python)
    print(path)
    print(
        f"install it with: pulumi plugin install resource sagemaker-reconciler {plugin_version()} --file {path}",
        file=sys.stderr,
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="sagemaker-reconcile", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    for name, run, summary in (
        ("plan", cmd_plan, "show what apply would change (exit 2 if anything)"),
        ("apply", cmd_apply, "bring every declared resource in sync and print the outputs"),
        ("drift", cmd_drift, "read-only: resources that differ from the manifest, or that it does not declare"),
    ):
        sub = commands.add_parser(name, help=summary, description=run.__doc__)
        sub.add_argument(
            "manifest",
            metavar="MANIFEST",
            help="a Pulumi YAML program whose resources: to reconcile (- reads standard input)",
        )
        sub.add_argument(
            "--format",
            dest="output_format",
            choices=("text", "markdown", "json"),
            default="text",
            help="text (default), markdown (a pull-request comment) or json",
        )
        sub.add_argument(
            "--json", dest="output_format", action="store_const", const="json", help="the same as --format json"
        )
        sub.add_argument(
            "--parallelism", type=_positive_int, default=8, metavar="N", help="resources handled at once (default 8)"
        )
        sub.add_argument("--region", help="AWS region (default: the AWS environment)")
        sub.add_argument("--profile", help="AWS profile (default: the AWS environment)")
        sub.add_argument("--endpoint", metavar="URL", help="endpoint URL, e.g. the embedded endpoint's")
        if name == "drift":
            sub.add_argument(
                "--name-contains",
                metavar="TEXT",
                help="only list unmanaged workteams and compilation jobs whose name contains TEXT",
            )
        sub.set_defaults(run=run)

    schema = commands.add_parser("schema", help="print the Pulumi package schema (schema.json)")
    target = schema.add_mutually_exclusive_group()
    target.add_argument(
        "--write", nargs="?", const="schema.json", metavar="PATH", help="write it to PATH (default schema.json)"
    )
    target.add_argument(
        "--check",
        nargs="?",
        const="schema.json",
        metavar="PATH",
        help="exit 1 if PATH (default schema.json) is not what the generator produces",
    )
    schema.set_defaults(run=cmd_schema)

    demo = commands.add_parser("demo", help="run the main job against the embedded endpoint (no AWS account)")
    demo.add_argument(
        "--manifest", default=None, metavar="PATH", help="the stack to apply (default examples/stack.yaml)"
    )
    demo.set_defaults(run=cmd_demo)

    plugin = commands.add_parser("plugin-pack", help="pack the provider plugin as a `pulumi plugin install` tarball")
    plugin.add_argument("--out", default="dist", metavar="DIR", help="where to write it (default dist/)")
    plugin.add_argument(
        "--python",
        default=None,
        metavar="PATH",
        help="the Python the plugin runs with (default: this one; $SAGEMAKER_RECONCILER_PYTHON wins)",
    )
    plugin.set_defaults(run=cmd_plugin_pack)

    serve = commands.add_parser("serve-endpoint", help="serve the embedded AWS-compatible endpoint on 127.0.0.1")
    serve.add_argument("--port", type=int, default=5005)
    serve.set_defaults(run=cmd_serve_endpoint)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except _UsageError as exc:
        print(escape(exc), file=sys.stderr)
        return EXIT_ERROR
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_ERROR
    try:
        return args.run(args)
    except ReconcilerError as exc:
        _error(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except (Exception, MemoryError, RecursionError) as exc:  # no input may produce a traceback
        if os.environ.get("SAGEMAKER_RECONCILER_DEBUG"):
            raise
        _error(f"unexpected {type(exc).__name__}: {exc} (set SAGEMAKER_RECONCILER_DEBUG=1 for the traceback)")
        return EXIT_ERROR
