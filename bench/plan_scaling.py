"""Plan wall time for N resources vs 1, through the GitOps CLI's bounded pool, on the embedded endpoint.

Prints ratios (200-resource plan time / 1-resource plan time, and per-resource cost relative to a
lone resource), at parallelism 1 and 8, optionally with per-call latency added by the endpoint's
`slow` fault so the pool's effect shows as it would against a remote service.

    python bench/plan_scaling.py [--n 200] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sagemaker_reconciler import gitops  # noqa: E402
from sagemaker_reconciler.aws import AwsConfig  # noqa: E402
from sagemaker_reconciler.endpoint import start_endpoint  # noqa: E402
from sagemaker_reconciler.manifest import parse_manifest  # noqa: E402


def _api_calls_bench():
    spec = importlib.util.spec_from_file_location("bench_api_calls", ROOT / "bench" / "api_calls.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _manifest(teams, jobs):
    resources = {
        f"team{i}": {"type": "sagemaker-reconciler:Workteam", "properties": s.to_props()} for i, s in enumerate(teams)
    }
    resources.update(
        {
            f"job{i}": {"type": "sagemaker-reconciler:CompilationJob", "properties": s.to_props()}
            for i, s in enumerate(jobs)
        }
    )
    return parse_manifest(json.dumps({"resources": resources}), "bench.yaml")


def _seconds(manifest, url, parallelism, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        report = gitops.plan(manifest, gitops.RunOptions(config=AwsConfig(endpoint_url=url), parallelism=parallelism))
        best = min(best, time.perf_counter() - started)
        assert report.exit_code == 0, report
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="work teams and compilation jobs each")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to each SageMaker call")
    args = parser.parse_args()
    bench = _api_calls_bench()
    with start_endpoint() as endpoint:
        os.environ.update(
            AWS_ACCESS_KEY_ID="bench",
            AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_ENDPOINT_URL=endpoint.url,
        )
        teams, jobs = bench.build_stack(endpoint, args.n)
        big, one = _manifest(teams, jobs), _manifest(teams[:1], [])
        print(
            f"{'latency':>8} {'parallelism':>11} {'1 resource':>10} {f'{2 * args.n} resources':>14} "
            f"{'ratio':>7} {'per resource vs lone':>21}"
        )
        for latency in (0.0, args.latency):
            endpoint.clear_faults()
            if latency:
                endpoint.inject_fault("slow", "*", delay_seconds=latency)
            for parallelism in (1, 8):
                lone = _seconds(one, endpoint.url, parallelism)
                total = _seconds(big, endpoint.url, parallelism, repeat=1)
                ratio = total / lone
                print(
                    f"{latency:>7.2f}s {parallelism:>11} {lone:>9.3f}s {total:>13.2f}s {ratio:>6.0f}x "
                    f"{ratio / (2 * args.n):>20.2f}x"
                )


if __name__ == "__main__":
    main()
