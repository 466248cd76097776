"""Provider process start-up: what importing the provider costs beside importing pulumi, and that tvm stays out.

The engine starts ``python -m pulumi.dynamic`` and unpickles the provider, which
imports ``sagemaker_reconciler.pulumi_resources``; that import must not pull in TVM (~300 MB,
the ``local`` extra) nor anything else heavy. Each import runs in a fresh
interpreter, alternately, several times; the medians are printed as ratios to
``import pulumi`` (the floor any dynamic provider pays), which hold on a noisy
machine. Also prints what building the first and the next gateway (boto3 session
+ client) costs inside one process, since the provider builds one per call.

    python bench/startup.py            # 7 runs of each
    python bench/startup.py --runs 15
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CASES = {
    "python (no import)": "pass",
    "import pulumi": "import pulumi",
    "import sagemaker_reconciler.pulumi_resources": "import sagemaker_reconciler.pulumi_resources",
    "import pulumi.dynamic + provider": "import pulumi.dynamic, sagemaker_reconciler.pulumi_resources",
}

PROBE = """
import json, sys, time
started = time.perf_counter()
import sagemaker_reconciler
lazy = sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'boto3', 'botocore', 'tvm', 'moto', 'numpy', 'onnx'})
sagemaker_reconciler.Workteam, sagemaker_reconciler.CompilationJob
import sagemaker_reconciler.pulumi_resources
heavy = sorted(m for m in sys.modules if m.split('.')[0] in {'tvm', 'tvm_ffi', 'onnx', 'onnxruntime', 'torch', 'moto'})
from sagemaker_reconciler.aws import AwsConfig, SageMakerGateway
config = AwsConfig(region='us-east-1', endpoint_url='http://127.0.0.1:9')
first = time.perf_counter(); SageMakerGateway(config); first = time.perf_counter() - first
nxt = time.perf_counter()
for _ in range(5):
    SageMakerGateway(config)
nxt = (time.perf_counter() - nxt) / 5
print(json.dumps({'lazy': lazy, 'heavy': heavy, 'first_gateway': first, 'next_gateway': nxt}))
"""


def seconds(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, env=_env())
    return time.perf_counter() - started


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("AWS_ACCESS_KEY_ID", "bench")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    for code in CASES.values():  # warm the OS file cache and .pyc files first
        seconds(code)
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.runs):
        for name, code in CASES.items():
            samples[name].append(seconds(code))
    median = {name: statistics.median(values) for name, values in samples.items()}
    base = median["import pulumi"]
    bare = median["python (no import)"]
    print(f"process start-up, median of {args.runs} fresh interpreters each\n")
    print(f"{'':<36}{'seconds':>9}{'vs import pulumi':>18}{'import cost vs pulumi':>23}")
    for name in CASES:
        cost_ratio = (median[name] - bare) / (base - bare) if base > bare else float("nan")
        print(f"{name:<36}{median[name]:>9.3f}{median[name] / base:>18.2f}{cost_ratio:>23.2f}")

    probe = json.loads(
        subprocess.run(
            [sys.executable, "-c", PROBE], cwd=REPO, env=_env(), check=True, capture_output=True, text=True
        ).stdout
    )
    print(f"\n`import sagemaker_reconciler` alone loads: {', '.join(probe['lazy']) or 'none of pulumi/boto3/tvm'}")
    print(f"heavy modules after importing the Pulumi resources: {', '.join(probe['heavy']) or 'none'}")
    print(
        f"gateway (boto3 session + SageMaker client): first {1000 * probe['first_gateway']:.0f} ms, "
        f"next {1000 * probe['next_gateway']:.0f} ms (ratio {probe['first_gateway'] / probe['next_gateway']:.1f})"
    )
    tvm_free = not any(m.split(".")[0] in ("tvm", "tvm_ffi") for m in probe["heavy"])
    print(f"\nimporting the provider imports tvm: {'no' if tvm_free else 'YES'}")
    return 0 if tvm_free else 1


if __name__ == "__main__":
    raise SystemExit(main())
