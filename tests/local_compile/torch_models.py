"""PyTorch models for the tests, generated in a child process (never committed as binaries).

    python -m tests.local_compile.torch_models OUTDIR

writes SageMaker-style archives (exported programs and TorchScript) and
``reference.npz`` (seeded inputs and torch's outputs).  The test process itself
never imports torch: with torch loaded, the process that tunes (and every
MetaSchedule worker it starts) was 30-55% slower on this kind of machine, which
is exactly what local mode avoids by converting in a child process.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

IMAGE = (1, 3, 32, 32)
FEATURES, EXTRA = (3, 16), (1, 32)
ARCHIVES = {  # key -> (archive file, member name)
    "convnet.pt2": ("convnet-ep.tar.gz", "model.pt2"),
    "convnet.pt": ("convnet-ts.tar.gz", "model.pt"),
    "mlp.pt2": ("mlp-ep.tar.gz", "model.pt2"),
    "mlp.pth": ("mlp-ts.tar.gz", "model.pth"),
    "state_dict.pth": ("state-dict.tar.gz", "model.pth"),
}


def generate(out: Path) -> dict[str, Path]:
    """Run this module in a child process; returns key -> archive path (plus 'reference' -> npz)."""
    out.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        [sys.executable, "-m", "tests.local_compile.torch_models", str(out)],
        check=True,
        cwd=root,
        capture_output=True,
        timeout=300,
    )
    return {**{key: out / name for key, (name, _) in ARCHIVES.items()}, "reference": out / "reference.npz"}


def _write_archive(path: Path, member: str, data: bytes) -> None:
    """One model file, plus a code/ dir as SageMaker PyTorch archives often have."""
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in ((member, data), ("code/inference.py", b"# not used by local mode\n")):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def _main(out: Path) -> None:
    import warnings

    import numpy as np
    import torch

    warnings.filterwarnings(
        "ignore", category=DeprecationWarning
    )  # torch.jit is deprecated; SageMaker users still ship it

    class ConvNet(torch.nn.Module):
        """conv-bn-relu, conv + residual, max-pool, global average, linear: 1x3x32x32 -> 1x10 (NCHW)."""

        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(8)
            self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
            self.fc = torch.nn.Linear(8, 10)

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            r = torch.relu(self.bn(self.conv1(image)))
            y = torch.relu(self.conv2(r) + r)
            y = torch.nn.functional.max_pool2d(y, 2)
            return self.fc(y.mean((2, 3)))

    class MLP(torch.nn.Module):
        """Two inputs to show call order: relu(features @ W1 + extra) @ W2 -> 3 x 4."""

        def __init__(self) -> None:
            super().__init__()
            self.fc1 = torch.nn.Linear(16, 32, bias=False)
            self.fc2 = torch.nn.Linear(32, 4)

        def forward(self, features: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
            return self.fc2(torch.relu(self.fc1(features) + extra))

    torch.manual_seed(0)
    convnet = ConvNet().eval()
    with torch.no_grad():  # non-trivial running statistics, so inference-mode BatchNorm is really checked
        convnet.bn.running_mean.uniform_(-0.5, 0.5)
        convnet.bn.running_var.uniform_(0.5, 2.0)
    mlp = MLP().eval()

    def exported(model: torch.nn.Module, *example: torch.Tensor) -> bytes:
        buffer = io.BytesIO()
        torch.export.save(torch.export.export(model, example), buffer)
        return buffer.getvalue()

    def traced(model: torch.nn.Module, *example: torch.Tensor) -> bytes:
        buffer = io.BytesIO()
        torch.jit.save(torch.jit.trace(model, example), buffer)
        return buffer.getvalue()

    def pickled(obj: object) -> bytes:
        buffer = io.BytesIO()
        torch.save(obj, buffer)
        return buffer.getvalue()

    image, features, extra = torch.zeros(IMAGE), torch.zeros(FEATURES), torch.zeros(EXTRA)
    payloads = {
        "convnet.pt2": exported(convnet, image),
        "convnet.pt": traced(convnet, image),
        "mlp.pt2": exported(mlp, features, extra),
        "mlp.pth": traced(mlp, features, extra),
        "state_dict.pth": pickled(mlp.state_dict()),
    }
    for key, (name, member) in ARCHIVES.items():
        _write_archive(out / name, member, payloads[key])
    rng = np.random.default_rng(7)
    inputs = {
        "image": rng.standard_normal(IMAGE).astype(np.float32),
        "features": rng.standard_normal(FEATURES).astype(np.float32),
        "extra": rng.standard_normal(EXTRA).astype(np.float32),
    }
    with torch.no_grad():
        outputs = {
            "convnet_out": convnet(torch.from_numpy(inputs["image"])).numpy(),
            "mlp_out": mlp(torch.from_numpy(inputs["features"]), torch.from_numpy(inputs["extra"])).numpy(),
        }
    np.savez(out / "reference.npz", **inputs, **outputs)


if __name__ == "__main__":
    _main(Path(sys.argv[1]))
