"""API calls per resource for a real `pulumi preview` of an unchanged stack (the Pulumi CLI's engine).

Deploys N resources (default 20: half work teams, half compilation jobs, half of each declaring tags)
with `pulumi up` through the Automation API against the embedded endpoint, then previews the same
program and counts, from the endpoint's request log, what each resource cost. The goal: 1 Describe
per resource, +1 ListTags where tags are declared, 0 writes. Needs the CLI: `./dev pulumi-cli`.

    python bench/engine_preview_calls.py          # N = 20
    python bench/engine_preview_calls.py --n 40
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import boto3  # noqa: E402
from engine_real.pulumi_env import PulumiEnv, aws_env, changes, cli_root, missing_cli_reason  # noqa: E402

from sagemaker_reconciler import CompilationJob, Workteam  # noqa: E402
from sagemaker_reconciler.endpoint import WRITE_OPERATIONS, start_endpoint  # noqa: E402

WRITES = WRITE_OPERATIONS


def program(n: int):
    teams, jobs = (n + 1) // 2, n // 2

    def run() -> None:
        for i in range(teams):
            Workteam(
                f"team-{i}",
                workteam_name=f"team-{i:03d}",
                description=f"Labelers {i}",
                member_definitions=[
                    {
                        "cognito_member_definition": {
                            "user_pool": "us-east-1_AbCdEf123",
                            "user_group": f"group-{i}",
                            "client_id": "client1",
                        }
                    }
                ],
                tags={"team": "vision"} if i % 2 == 0 else None,
            )
        for i in range(jobs):
            CompilationJob(
                f"job-{i}",
                compilation_job_name=f"job-{i:03d}",
                role_arn="arn:aws:iam::123456789012:role/neo",
                input_config={
                    "s3_uri": "s3://bench-models/m.tar.gz",
                    "framework": "ONNX",
                    "data_input_config": '{"data": [1, 3, 224, 224]}',
                },
                output_config={"s3_output_location": "s3://bench-models/out", "target_device": "ml_c5"},
                tags={"stage": "bench"} if i % 2 == 0 else None,
            )

    return run, teams, jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="resources in the stack (default 20)")
    args = parser.parse_args()
    reason = missing_cli_reason()
    if reason:
        print(f"engine_preview_calls: {reason}", file=sys.stderr)
        return 1
    with start_endpoint() as endpoint, tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        endpoint.set_workteam_limit(max(25, args.n))
        endpoint.set_compilation_timing(starting_seconds=0.05, compiling_seconds=0.1)
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket="bench-models")
        s3.put_object(Bucket="bench-models", Key="m.tar.gz", Body=b"\x1f\x8b model stand-in")
        env = PulumiEnv(root=cli_root(), base_dir=Path(tmp), env=aws_env(endpoint.url))
        run, teams, jobs = program(args.n)
        stack = env.stack("bench", run)
        started = time.perf_counter()
        stack.up()
        up_seconds = time.perf_counter() - started

        endpoint.clear_requests()
        started = time.perf_counter()
        preview = stack.preview()
        preview_seconds = time.perf_counter() - started
        calls = Counter(r.operation for r in endpoint.all_requests)
        pending = changes(preview.change_summary)
        tagged = (teams + 1) // 2 + (jobs + 1) // 2
        writes = sum(count for op, count in calls.items() if op in WRITES)

        print(
            f"real `pulumi preview` of an unchanged {args.n}-resource stack ({teams} work teams, {jobs} "
            f"compilation jobs, {tagged} with tags); changes reported: {pending or 'none'}"
        )
        print(
            f"  DescribeWorkteam       {calls['DescribeWorkteam']:4d}  = {calls['DescribeWorkteam'] / teams:.2f} per team"
        )
        print(
            f"  DescribeCompilationJob {calls['DescribeCompilationJob']:4d}  = "
            f"{calls['DescribeCompilationJob'] / max(jobs, 1):.2f} per job"
        )
        print(
            f"  ListTags               {calls['ListTags']:4d}  = {calls['ListTags'] / tagged:.2f} per tagged resource"
        )
        print(
            f"  HeadObject (S3)        {calls['HeadObject']:4d}  = {calls['HeadObject'] / max(jobs, 1):.2f} per job "
            "(is the artifact still there?)"
        )
        print(f"  writes                 {writes:4d}")
        other = {
            op: c
            for op, c in calls.items()
            if op not in {"DescribeWorkteam", "DescribeCompilationJob", "ListTags", "HeadObject"}
        }
        if other:
            print(f"  other calls: {dict(other)}")
        print(f"  (up {up_seconds:.1f} s, preview {preview_seconds:.1f} s on this machine)")
        stack.destroy()
        return 0 if writes == 0 and not pending else 1


if __name__ == "__main__":
    sys.exit(main())
