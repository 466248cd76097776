"""Run one hostile case in a child process under an address-space limit, and report how it ended.

The child sets ``RLIMIT_AS`` before importing anything of ours, so a case that
tries to allocate gigabytes fails there instead of slowing the machine; a
bounded implementation never gets near the limit. The child's peak RSS comes
back with the outcome (``VmHWM``), so the corpus can say what its largest case cost.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 768 << 20
"""Address space for a case that does not import TVM (the CLI with boto3 peaks near 60 MB of it)."""
TVM_MEMORY_LIMIT = 6 << 30
"""TVM's shared libraries alone map ~3.7 GB of address space."""

_RUNNER = """
import json, resource, sys
limit, result, kind, *args = sys.argv[1:]
resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
code = 0
try:
    if kind == "cli":
        from sagemaker_reconciler.cli import main
        code = main(args)
    else:
        from sagemaker_reconciler.local_compile.archive import UnsafeArchive, extract_archive
        try:
            files = extract_archive(args[0], args[1])
            print("extracted", *[str(p) for p in files])
        except UnsafeArchive as exc:
            print(f"UnsafeArchive: {exc}")
            code = 1
finally:
    # VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across fork and exec.
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    with open(result, "w") as handle:
        json.dump({"peak_kib": peak}, handle)
sys.exit(code)
"""

PEAKS: dict[str, int] = {}
"""Case name -> peak RSS in KiB, for the summary at the end of the session."""


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str
    peak_kib: int

    @property
    def text(self) -> str:
        return self.out + self.err

    def assert_refused(self, *expected: str) -> None:
        """Exit 1, each expected text shown, no traceback (and no raw MemoryError) anywhere."""
        assert self.code == 1, self.text
        assert "Traceback" not in self.text and "MemoryError" not in self.text, self.text
        for text in expected:
            assert text in self.text, self.text


def child_env(root: Path, **extra: str) -> dict[str, str]:
    """A clean environment whose home, temp dir and compile cache all live under `root`."""
    for name in ("home", "tmp", "cache"):
        (root / name).mkdir(parents=True, exist_ok=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        PYTHONPATH=str(REPO),
        HOME=str(root / "home"),
        TMPDIR=str(root / "tmp"),
        SAGEMAKER_RECONCILER_CACHE=str(root / "cache"),
        MALLOC_ARENA_MAX="2",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(root / "home" / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(root / "home" / "no-credentials"),
    )
    env.pop("SAGEMAKER_RECONCILER_DEBUG", None)
    env.update(extra)
    return env


def run_case(
    name: str,
    kind: str,
    args: list[str],
    root: Path,
    *,
    limit: int = MEMORY_LIMIT,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
    timeout: float = 300,
) -> Outcome:
    """`kind` is ``cli`` (args go to sagemaker_reconciler.cli.main) or ``extract`` (args: archive, destination)."""
    result = root / (re.sub(r"[^A-Za-z0-9]+", "-", name) + ".result.json")
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(limit), str(result), kind, *args],
        input=stdin,
        capture_output=True,
        env=env or child_env(root),
        cwd=root,
        timeout=timeout,
        check=False,
    )
    peak = json.loads(result.read_text())["peak_kib"] if result.exists() else -1
    PEAKS[name] = peak
    return Outcome(proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"), peak)


def snapshot(root: Path, *, skip: tuple[Path, ...] = ()) -> dict[str, bytes | None]:
    """Every path under `root` (outside `skip`) with a regular file's bytes: what "nothing changed" compares."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        if any(path == s or s in path.parents for s in skip) or path.name.endswith(".result.json"):
            continue
        found[str(path.relative_to(root))] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return found


def write_local_job(root: Path, model: str, output: str, outputs: dict[str, str] | None = None) -> Path:
    """A manifest of one local-mode CompilationJob (a tiny ONNX input) at `root`/stack.yaml."""
    manifest = root / "stack.yaml"
    job = {
        "type": "sagemaker-reconciler:CompilationJob",
        "properties": {
            "compilationJobName": "tiny",
            "roleArn": "arn:aws:iam::123456789012:role/unused",
            "mode": "local",
            "inputConfig": {"s3Uri": model, "framework": "ONNX", "dataInputConfig": '{"data": [1, 3, 8, 8]}'},
            "outputConfig": {"s3OutputLocation": output, "targetDevice": "ml_c5"},
        },
    }
    manifest.write_text(json.dumps({"resources": {"job": job}, **({"outputs": outputs} if outputs else {})}))
    return manifest
