"""The native plugin under the real engine: start-up, and API calls of an unchanged preview.

Packs the plugin, installs it into a temporary PULUMI_HOME (`pulumi plugin install --file`),
runs an inline program of N resources (half work teams, half cloud compilation jobs; half of
each declare tags) against the embedded endpoint, then previews it unchanged several times:

- API calls per resource in the preview, by operation (goal: 1 Describe each, +1 ListTags only
  where tags are declared, 0 writes; a job also HEADs its S3 artifact, to notice it gone);
- plugin start-up: from the engine launching the plugin to the plugin's first answer (its
  Handshake), read from the engine's own -v=9 log timestamps; the median of the previews.

    python bench/plugin_preview.py            # 20 resources, 3 previews
    python bench/plugin_preview.py --n 40 --runs 5
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

MEMBERS = [
    {"cognito_member_definition": {"user_pool": "us-east-1_AbCdEf123", "user_group": "g", "client_id": "client1"}}
]


def _entries(log: str):
    """(time, message) of each JSON line of the engine's -v=9 log."""
    for line in log.splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            yield datetime.fromisoformat(entry["time"][:26].rstrip("Z")), entry.get("msg", "")


def startup_seconds(log: str) -> tuple[float, float] | None:
    """Engine log: 'Launching plugin' of sagemaker-reconciler -> its Handshake answered, and -> its first
    Check answered (the core is loaded in the background meanwhile)."""
    launched = handshake = None
    for when, message in _entries(log):
        if launched is None and "Launching plugin 'sagemaker-reconciler" in message:
            launched = when
        elif (
            launched
            and not handshake
            and message.startswith("Handshake: success")
            and "sagemaker-reconciler" in message
        ):
            handshake = when
        elif (
            handshake
            and "].Check(urn:" in message
            and ") success" in message
            and "sagemaker-reconciler:index" in message
        ):
            return (handshake - launched).total_seconds(), (when - launched).total_seconds()
    return None


def program(n: int):
    import pulumi

    from sagemaker_reconciler.sdk import CompilationJob, Workteam

    def run() -> None:
        for i in range(n // 2):
            Workteam(
                f"team-{i}", description="bench", member_definitions=MEMBERS, tags={"bench": "yes"} if i % 2 else None
            )
        for i in range(n - n // 2):
            CompilationJob(
                f"job-{i}",
                role_arn="arn:aws:iam::123456789012:role/neo",
                input_config={
                    "s3_uri": "s3://models/m.tar.gz",
                    "framework": "ONNX",
                    "data_input_config": '{"data": [1, 3, 224, 224]}',
                },
                output_config={"s3_output_location": "s3://models/out", "target_device": "ml_c5"},
                tags={"bench": "yes"} if i % 2 else None,
                opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="5m")),
            )

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20, help="resources in the program (default 20)")
    parser.add_argument("--runs", type=int, default=3, help="unchanged previews (default 3)")
    args = parser.parse_args()

    import boto3
    from pulumi import automation as auto

    from sagemaker_reconciler.endpoint import start_endpoint
    from sagemaker_reconciler.plugin.pack import pack
    from sagemaker_reconciler.plugin.server import plugin_version

    root = Path(
        subprocess.run(["bash", str(REPO / ".ci" / "pulumi-cli.sh")], check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    with tempfile.TemporaryDirectory() as tmp, start_endpoint() as endpoint:
        home, work = Path(tmp) / "home", Path(tmp) / "work"
        work.mkdir()
        env = {
            "PULUMI_HOME": str(home),
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
            "PULUMI_CONFIG_PASSPHRASE": "bench",
            "PULUMI_BACKEND_URL": (Path(tmp) / "state").as_uri(),
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        (Path(tmp) / "state").mkdir()
        tarball = pack(Path(tmp) / "dist")
        subprocess.run(
            [
                str(root / "bin" / "pulumi"),
                "plugin",
                "install",
                "resource",
                "sagemaker-reconciler",
                plugin_version(),
                "--file",
                str(tarball),
            ],
            check=True,
            capture_output=True,
            env={**os.environ, **env},
        )
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        os.environ["AWS_ENDPOINT_URL"] = endpoint.url
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket="models")
        s3.put_object(Bucket="models", Key="m.tar.gz", Body=b"model")
        stack = auto.create_or_select_stack(
            stack_name="bench",
            project_name="plugin-bench",
            program=program(args.n),
            opts=auto.LocalWorkspaceOptions(
                work_dir=str(work),
                pulumi_home=str(home),
                env_vars=env,
                pulumi_command=auto.PulumiCommand(root=str(root), skip_version_check=True),
                project_settings=auto.ProjectSettings(name="plugin-bench", runtime="python"),
            ),
        )
        stack.set_config("sagemaker-reconciler:endpoint", auto.ConfigValue(endpoint.url))
        stack.up()
        startups, counts = [], collections.Counter()
        for _ in range(args.runs):
            endpoint.clear_requests()
            preview = stack.preview(log_verbosity=9, log_to_std_err=True)
            assert set(preview.change_summary) == {"same"}, preview.change_summary
            counts = collections.Counter(r.operation for r in endpoint.all_requests)
            log = preview.stderr
            startups.append(startup_seconds(log))
        stack.destroy()

    tagged = (args.n // 2) // 2 + (args.n - args.n // 2) // 2
    print(f"unchanged preview of {args.n} resources ({tagged} with tags) through the plugin, last of {args.runs}:")
    for operation, count in sorted(counts.items()):
        print(f"  {operation:24s} {count:3d}  ({count / args.n:.2f} per resource)")
    writes = sum(c for op, c in counts.items() if not op.startswith(("Describe", "List", "Get", "Head")))
    print(f"  writes: {writes}")
    known = [s for s in startups if s is not None]
    if known:
        first = [s[0] for s in known]
        check = [s[1] for s in known]
        print(
            f"plugin start-up, engine launch -> Handshake answered: median {statistics.median(first):.2f} s "
            f"({', '.join(f'{s:.2f}' for s in first)}); -> first Check answered: median "
            f"{statistics.median(check):.2f} s ({', '.join(f'{s:.2f}' for s in check)})"
        )
    else:
        print("plugin start-up: not found in the engine log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
