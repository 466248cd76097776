"""The real Pulumi CLI for tests: where it is, and offline Automation API stacks around it.

Reusable by any tier that runs Pulumi's engine (this one, a native provider plugin's): nothing here
is specific to the dynamic providers. The CLI comes from `./dev pulumi-cli` (.ci/pulumi-cli.sh), which
builds it once from the Go module proxy and puts the project's `pulumi-resource-pulumi-python` next to
it. Each session gets its own PULUMI_HOME, a file backend and a passphrase secrets provider, so no
test ever reaches the Pulumi Cloud, downloads a plugin or reads the user's ~/.pulumi.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi import automation as auto

__all__ = [
    "AWS_UNSET",
    "CLI_VERSION",
    "Events",
    "PulumiEnv",
    "aws_env",
    "changes",
    "cli_root",
    "missing_cli_reason",
]

CLI_VERSION = "v3.274.1"
"""The version .ci/pulumi-cli.sh builds by default; the pip `pulumi` SDK must not be newer."""
REPO = Path(__file__).resolve().parents[2]
ROOT_VARIABLE = "SAGEMAKER_RECONCILER_PULUMI_ROOT"
"""Set by ./dev to the directory printed by .ci/pulumi-cli.sh (it holds bin/pulumi)."""
PASSPHRASE = "engine-tests-passphrase"
DYNAMIC_PLUGIN = "pulumi-resource-pulumi-python"


def cli_root() -> Path:
    """Where bin/pulumi is: $SAGEMAKER_RECONCILER_PULUMI_ROOT, else the script's default cache path."""
    if os.environ.get(ROOT_VARIABLE):
        return Path(os.environ[ROOT_VARIABLE])
    tools = os.environ.get("SAGEMAKER_RECONCILER_TOOLS") or Path.home() / ".cache" / "sagemaker-reconciler-tools"
    return Path(tools) / f"pulumi-{CLI_VERSION}"


def missing_cli_reason(root: Path | None = None) -> str | None:
    """Why the CLI cannot be used (None when it can): the binary or the dynamic-provider plugin is absent."""
    root = root or cli_root()
    for name in ("pulumi", DYNAMIC_PLUGIN):
        if not os.access(root / "bin" / name, os.X_OK):
            return f"no {root / 'bin' / name}: run ./dev pulumi-cli (builds the Pulumi CLI from the Go module proxy)"
    return None


def aws_env(endpoint_url: str, access_key: str = "testing", secret_key: str = "testing") -> dict[str, str]:
    """Standard AWS variables pointing every boto3 client in the provider process at `endpoint_url`."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": access_key,
        "AWS_SECRET_ACCESS_KEY": secret_key,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


AWS_UNSET = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL_SAGEMAKER",
    "AWS_ENDPOINT_URL_S3",
)
"""Variables the developer's shell may set that would redirect the provider process: the CLI inherits
os.environ and `env` can only add to it, so remove these from os.environ for the session."""


@dataclass
class PulumiEnv:
    """One test session's Pulumi: the CLI, a PULUMI_HOME, a file backend, and the provider process's env.

    `env` is what every CLI run gets on top of os.environ, and so what the provider plugins it
    starts see (they inherit the CLI's environment): put AWS settings there, not in os.environ.
    """

    root: Path
    base_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    _names: Any = field(default_factory=lambda: itertools.count(1), repr=False)

    def __post_init__(self) -> None:
        self.home = self.base_dir / "pulumi-home"
        self.backend = self.base_dir / "backend"
        self.work = self.base_dir / "work"
        for directory in (self.home, self.backend, self.work):
            directory.mkdir(parents=True, exist_ok=True)
        self.command = auto.PulumiCommand(root=str(self.root))
        inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        pythonpath = [str(REPO), str(REPO / "tests"), *inherited]
        self.env = {
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": self.backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
            "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
            # The provider process: this interpreter, importing this checkout's `provider` package
            # (and the tests' modules, for providers a test defines).
            "PULUMI_PYTHON_CMD": sys.executable,
            "PYTHONPATH": os.pathsep.join(pythonpath),
            "NO_COLOR": "1",
            **self.env,
        }

    def stack(
        self,
        project: str,
        program: Callable[[], None],
        config: Mapping[str, str] | None = None,
        *,
        secret_config: Mapping[str, str] | None = None,
        stack_name: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> auto.Stack:
        """A new stack of an inline program, in a work dir of its own; `config` keys may omit the project.

        `env` adds to (or overrides) the session's environment for this stack's CLI runs only."""
        name = stack_name or f"s{next(self._names)}"
        work_dir = self.work / f"{project}-{name}"
        work_dir.mkdir(parents=True, exist_ok=True)
        options = auto.LocalWorkspaceOptions(
            work_dir=str(work_dir),
            pulumi_home=str(self.home),
            env_vars={**self.env, **(env or {})},
            secrets_provider="passphrase",
            project_settings=auto.ProjectSettings(
                name=project, runtime="python", backend=auto.ProjectBackend(url=self.backend.as_uri())
            ),
            pulumi_command=self.command,
        )
        stack = auto.create_stack(name, project_name=project, program=program, opts=options)
        values = {
            **{k: (v, False) for k, v in (config or {}).items()},
            **{k: (v, True) for k, v in (secret_config or {}).items()},
        }
        if values:
            stack.set_all_config(
                {
                    (k if ":" in k else f"{project}:{k}"): auto.ConfigValue(v, secret=secret)
                    for k, (v, secret) in values.items()
                }
            )
        return stack

    def run(self, args: list[str], cwd: Path | str) -> auto.CommandResult:
        """A raw CLI command (for what the Automation API does not expose), with this session's env."""
        return self.command.run(list(args), str(cwd), dict(self.env))


@dataclass
class Events:
    """Engine events of one operation: pass `events.record` as `on_event`."""

    all: list[auto.EngineEvent] = field(default_factory=list)

    def record(self, event: auto.EngineEvent) -> None:
        self.all.append(event)

    def steps(self) -> list[tuple[str, str]]:
        """(op, logical name) of each resource step the engine started, in order; the stack itself left out."""
        out = []
        for event in self.all:
            if event.resource_pre_event is not None:
                meta = event.resource_pre_event.metadata
                if meta.type != "pulumi:pulumi:Stack":
                    out.append((_op_name(meta.op), meta.urn.split("::")[-1]))
        return out

    def diagnostics(self) -> list[str]:
        """Every diagnostic message (provider logs, warnings, errors), in order."""
        return [e.diagnostic_event.message for e in self.all if e.diagnostic_event is not None]


def _op_name(op: Any) -> str:
    return op.value if isinstance(op, auto.OpType) else str(op)


def changes(summary: Mapping[Any, int] | None) -> dict[str, int]:
    """An op -> count summary (preview's change_summary, up's resource_changes) without `same` or zeros."""
    return {_op_name(op): count for op, count in (summary or {}).items() if _op_name(op) != "same" and count}
