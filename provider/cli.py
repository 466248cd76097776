"""Command line: `python -m provider` / `sagemaker-reconcile`. One function per subcommand, each an exit code."""

from __future__ import annotations

import argparse
import sys

from provider.errors import ReconcilerError

__all__ = ["main"]


def _serve_endpoint(args: argparse.Namespace) -> int:
    from provider.endpoint import serve_forever

    serve_forever(args.port)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from provider.demo import run_demo

    return run_demo()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sagemaker-reconcile", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve-endpoint", help="serve the embedded AWS-compatible endpoint on 127.0.0.1")
    serve.add_argument("--port", type=int, default=5005)
    serve.set_defaults(run=_serve_endpoint)
    demo = commands.add_parser("demo", help="run the main job against the embedded endpoint (no AWS account)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ReconcilerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
