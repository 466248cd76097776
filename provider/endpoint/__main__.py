"""``python -m sagemaker_reconciler.endpoint --port N``: serve the embedded endpoint until interrupted."""

from __future__ import annotations

import argparse

from . import serve_forever


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sagemaker_reconciler.endpoint",
        description="Serve an AWS-compatible endpoint (moto + SageMaker work teams and compilation jobs) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: any free port)")
    serve_forever(parser.parse_args(argv).port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
