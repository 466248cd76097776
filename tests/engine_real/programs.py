"""Pulumi programs for the real-engine tier: the examples/ projects as inline programs, and small stacks."""

from __future__ import annotations

import contextlib
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_DIRS = sorted(path.parent.name for path in EXAMPLES.glob("*/__main__.py"))
ROLE = "arn:aws:iam::123456789012:role/SageMakerNeo"
MODEL_URI = "s3://models/resnet.tar.gz"


def example_project(name: str) -> str:
    """The project name in the example's Pulumi.yaml: its config keys are namespaced by it."""
    return yaml.safe_load((EXAMPLES / name / "Pulumi.yaml").read_text())["name"]


def example_program(name: str, cwd: Path) -> Callable[[], None]:
    """examples/<name>/__main__.py unchanged, as the Python language host runs it: as `__main__`, from `cwd`.

    `cwd` stands in for the project directory, so relative paths (local-compile's build/) land there.
    """
    main = EXAMPLES / name / "__main__.py"

    def program() -> None:
        with contextlib.chdir(cwd):
            runpy.run_path(str(main), run_name="__main__")

    return program


def job_args(**overrides: Any) -> dict[str, Any]:
    """A cloud-mode CompilationJob's keyword arguments for the model the `model` fixture uploads."""
    args: dict[str, Any] = {
        "role_arn": ROLE,
        "input_config": {"s3_uri": MODEL_URI, "framework": "ONNX", "data_input_config": '{"data": [1, 3, 224, 224]}'},
        "output_config": {"s3_output_location": "s3://models/compiled", "target_device": "ml_c5"},
        "stopping_condition": {"max_runtime_in_seconds": 900},
    }
    args.update(overrides)
    return args


def team_args(**overrides: Any) -> dict[str, Any]:
    """A Workteam's keyword arguments: one Cognito group."""
    args: dict[str, Any] = {
        "description": "Labels street scenes",
        "member_definitions": [
            {
                "cognito_member_definition": {
                    "user_pool": "us-east-1_AbCdEf123",
                    "user_group": "labelers",
                    "client_id": "client1",
                },
            }
        ],
    }
    args.update(overrides)
    return args
