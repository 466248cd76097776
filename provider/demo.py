"""The main job on the embedded default: the GitOps loop over ``examples/stack.yaml``, no AWS account needed.

Starts the embedded endpoint on loopback, puts a small model archive in its S3
for the cloud compilation job, then drives the same functions the
``sagemaker-reconcile`` CLI uses (``sagemaker_reconciler.gitops`` + ``sagemaker_reconciler.render``):

1. plan (everything to create, exit 2)  2. apply, with the outputs
3. plan again: in sync (exit 0)        4. an edit of the manifest (the description) and its
                                           in-place update plan: one UpdateWorkteam
5. apply the edit, plan: in sync       6. drift: a work team made outside the manifest shows as unmanaged

Returns 0 when every step ends with the exit code it should.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sagemaker_reconciler import gitops
from sagemaker_reconciler.aws import AwsConfig, ObjectStore, SageMakerGateway, split_s3_uri
from sagemaker_reconciler.demo_model import single_file_archive
from sagemaker_reconciler.errors import ReconcilerError
from sagemaker_reconciler.manifest import Manifest, parse_manifest
from sagemaker_reconciler.render import render_report
from sagemaker_reconciler.report import EXIT_CHANGES, EXIT_IN_SYNC, Report
from sagemaker_reconciler.resource_types import COMPILATION_JOB, WORKTEAM
from sagemaker_reconciler.waiters import Backoff

__all__ = ["run_demo", "DEFAULT_MANIFEST"]

DEFAULT_MANIFEST = Path(__file__).resolve().parents[1] / "examples" / "stack.yaml"
REGION = "us-east-1"
# The embedded endpoint compiles in about a second; polling from 0.25 s notices it sooner than 1 s.
DEMO_BACKOFF = Backoff(initial=0.25, factor=1.5, maximum=2.0)


@contextmanager
def _embedded_environment(url: str) -> Iterator[None]:
    """Dummy credentials scoped to this run: the embedded endpoint signs nothing it checks."""
    keys = {
        "AWS_ACCESS_KEY_ID": "embedded",
        "AWS_SECRET_ACCESS_KEY": "embedded",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": url,
    }
    saved = {k: os.environ.get(k) for k in (*keys, "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(keys)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def model_archive() -> bytes:
    """A small .tar.gz standing in for a trained model (the embedded endpoint does not run a compiler)."""
    return single_file_archive(
        "model.onnx", b"demo model: the embedded endpoint's Neo writes an artifact from any archive\n"
    )


def _upload_models(manifest: Manifest, config: AwsConfig, say: Callable[[str], None]) -> None:
    """Every cloud job's input archive in place, and its buckets created, as a training pipeline would leave them."""
    s3 = config.client("s3")
    objects = ObjectStore(config)
    buckets: set[str] = set()
    for resource in manifest.resources:
        if resource.kind is not COMPILATION_JOB or resource.spec.mode != "cloud" or resource.spec.input_config is None:
            continue
        model_uri = resource.spec.input_config.s3_uri
        for uri in (model_uri, resource.spec.output_config.s3_output_location.rstrip("/") + "/"):
            bucket, _ = split_s3_uri(uri)
            if bucket not in buckets:
                s3.create_bucket(Bucket=bucket)
                buckets.add(bucket)
        objects.write(model_uri, model_archive())
        say(f"uploaded a small model archive to {model_uri}")


def _prepare_local_jobs(manifest: Manifest, say: Callable[[str], None]) -> None:
    """Local jobs start fresh like the in-memory endpoint: their file:// model written, old outputs gone."""
    from sagemaker_reconciler.demo_model import tiny_cnn_archive
    from sagemaker_reconciler.reconcile.local_compile import local_artifact_uri

    for resource in manifest.resources:
        spec = resource.spec
        if resource.kind is not COMPILATION_JOB or spec.mode != "local" or spec.input_config is None:
            continue
        for location in (spec.input_config.s3_uri, spec.output_config.s3_output_location):
            if not location.startswith("file://"):
                raise ReconcilerError(f"the demo keeps local jobs offline: {location} should be a file:// path")
        Path(local_artifact_uri(spec)[len("file://") :]).unlink(missing_ok=True)
        model = Path(spec.input_config.s3_uri[len("file://") :])
        model.parent.mkdir(parents=True, exist_ok=True)
        model.write_bytes(tiny_cnn_archive())
        say(f"wrote a small ONNX model for local compile to {model}")


def _edited(text: str, manifest: Manifest) -> tuple[str, str, str]:
    """The manifest with the work team's description changed, as a pull request would change it."""
    team = next(r for r in manifest.resources if r.kind is WORKTEAM)
    old = team.spec.description
    new = f"{old}, now with traffic signs"
    line = f"description: {old}\n"
    if line not in text:
        raise ReconcilerError(f"the demo edits the line {line.strip()!r}, which the manifest does not have")
    return text.replace(line, f"description: {new}\n", 1), old, new


def run_demo(say: Callable[[str], None] = print, manifest: str | Path | None = None) -> int:
    from sagemaker_reconciler.endpoint import start_endpoint  # moto is only needed here

    path = Path(manifest) if manifest else DEFAULT_MANIFEST
    shown = os.path.relpath(path) if path.is_absolute() and not os.path.relpath(path).startswith("..") else str(path)
    text = path.read_text(encoding="utf-8")
    stack = parse_manifest(text, shown)  # a broken manifest stops the demo before anything starts

    with start_endpoint() as endpoint, _embedded_environment(endpoint.url):
        config = AwsConfig(region=REGION, endpoint_url=endpoint.url)
        options = gitops.RunOptions(config=config, backoff=DEMO_BACKOFF)
        say(f"embedded endpoint: {endpoint.url} (S3 and SageMaker, in memory; nothing to configure)")
        _upload_models(stack, config, say)
        _prepare_local_jobs(stack, say)

        steps: list[tuple[str, int, int]] = []

        def step(title: str, command: str, target: Manifest, expected: int) -> Report:
            say(f"\n# {title}")
            report = getattr(gitops, command)(target, options)
            say(render_report(report, "text"))
            say(f"(exit code {report.exit_code})")
            steps.append((title, report.exit_code, expected))
            return report

        step("1. plan: a new stack, everything to create", "plan", stack, EXIT_CHANGES)
        step("2. apply: create the work team, compile both models, print the outputs", "apply", stack, EXIT_IN_SYNC)
        step("3. plan again: nothing to do", "plan", stack, EXIT_IN_SYNC)

        edited_text, old, new = _edited(text, stack)
        edited = parse_manifest(edited_text, f"{shown} (edited)")
        say("\n# 4. a pull request edits the work team's description")
        say(
            "".join(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    edited_text.splitlines(keepends=True),
                    fromfile=f"a/{shown}",
                    tofile=f"b/{shown}",
                    n=1,
                )
            ).rstrip()
        )
        step("4. plan the edit: an in-place update, one UpdateWorkteam", "plan", edited, EXIT_CHANGES)
        step("5. apply the edit", "apply", edited, EXIT_IN_SYNC)
        step("5. plan again: in sync", "plan", edited, EXIT_IN_SYNC)

        SageMakerGateway(config).call(
            "CreateWorkteam",
            "console-made",
            WorkteamName="console-made",
            Description="Made in the console",
            MemberDefinitions=[
                {
                    "CognitoMemberDefinition": {
                        "UserPool": "us-east-1_Demo1234",
                        "UserGroup": "console",
                        "ClientId": "demo-client",
                    }
                }
            ],
        )
        say("\n(someone creates the work team 'console-made' in the console)")
        step(
            "6. drift: the stack is in sync, but the account has a team the manifest does not declare",
            "drift",
            edited,
            EXIT_CHANGES,
        )

    failed = [(title, got, want) for title, got, want in steps if got != want]
    for title, got, want in failed:
        say(f"demo step {title!r} exited {got}, expected {want}")
    say("\ndemo finished: every step did what it should" if not failed else "\ndemo FAILED")
    return 0 if not failed else 1
