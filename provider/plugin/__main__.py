"""``python -m sagemaker_reconciler.plugin <engine address>``: what ``pulumi-resource-sagemaker-reconciler`` runs."""

from __future__ import annotations

import sys


def main() -> None:
    from sagemaker_reconciler.plugin.server import serve

    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
