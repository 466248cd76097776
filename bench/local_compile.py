"""Benchmark local-compile mode on three model families it generates itself (seeded, never stored).

ResNet-style (12 convs), MobileNetV2-style (inverted residuals with depthwise
convs and squeeze-excite) and a BERT-style encoder (embedding gather, 4 layers,
hidden 256, 4 heads, seq 128, erf GELU).  Per model: compile seconds, the
schedule counts of the artifact's manifest (``unscheduled`` is the number of
functions left as naive loop nests), and the latency over onnxruntime's (same
thread count), untuned and, with ``--trials`` and/or ``--budget-minutes``,
tuned, measured in interleaved rounds and reported as medians.

    python bench/local_compile.py                               # untuned, all three
    python bench/local_compile.py --models mobilenet --trials 400
    python bench/local_compile.py --models resnet --budget-minutes 15   # as many trials as fit in 15 min
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def resnet_style(seed: int = 0) -> onnx.ModelProto:
    """Stem conv + max-pool, four residual blocks (two with 1x1 projections), a 1x1 head conv: 12 convs."""
    rng = np.random.default_rng(seed)
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    count = [0]

    def fresh(prefix: str) -> str:
        count[0] += 1
        return f"{prefix}{count[0]}"

    def conv(x: str, cin: int, cout: int, k: int, stride: int, relu: bool = True) -> str:
        w, b, y = fresh("w"), fresh("b"), fresh("conv")
        scale = np.sqrt(2.0 / (cin * k * k))
        inits.append(numpy_helper.from_array((rng.standard_normal((cout, cin, k, k)) * scale).astype(np.float32), w))
        inits.append(numpy_helper.from_array((rng.standard_normal(cout) * 0.01).astype(np.float32), b))
        nodes.append(
            helper.make_node("Conv", [x, w, b], [y], kernel_shape=[k, k], strides=[stride] * 2, pads=[k // 2] * 4)
        )
        if not relu:
            return y
        r = fresh("relu")
        nodes.append(helper.make_node("Relu", [y], [r]))
        return r

    def block(x: str, cin: int, cout: int, stride: int) -> str:
        h = conv(conv(x, cin, cout, 3, stride), cout, cout, 3, 1, relu=False)
        shortcut = x if (cin == cout and stride == 1) else conv(x, cin, cout, 1, stride, relu=False)
        added, out = fresh("add"), fresh("relu")
        nodes.append(helper.make_node("Add", [h, shortcut], [added]))
        nodes.append(helper.make_node("Relu", [added], [out]))
        return out

    x = conv("input", 3, 32, 3, 2)  # 112x112
    pooled = fresh("pool")
    nodes.append(helper.make_node("MaxPool", [x], [pooled], kernel_shape=[3, 3], strides=[2, 2], pads=[1] * 4))  # 56
    x = block(pooled, 32, 32, 1)
    x = block(x, 32, 32, 1)
    x = block(x, 32, 64, 2)  # 28
    x = block(x, 64, 128, 2)  # 14
    x = conv(x, 128, 256, 1, 1)
    gap, flat = fresh("gap"), fresh("flat")
    nodes.append(helper.make_node("GlobalAveragePool", [x], [gap]))
    nodes.append(helper.make_node("Flatten", [gap], [flat]))
    inits.append(numpy_helper.from_array((rng.standard_normal((10, 256)) * 0.05).astype(np.float32), "fc_w"))
    inits.append(numpy_helper.from_array(np.zeros(10, np.float32), "fc_b"))
    nodes.append(helper.make_node("Gemm", [flat, "fc_w", "fc_b"], ["logits"], transB=1))
    graph = helper.make_graph(
        nodes,
        "resnet_style",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


class _Builder:
    """Nodes and seeded initializers for the generated models."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, array: np.ndarray, prefix: str = "c") -> str:
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs) -> str:
        out = self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def conv(
        self, x: str, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: str | None = "relu6"
    ) -> str:
        scale = np.sqrt(2.0 / (cin // groups * k * k))
        w = self.const((self.rng.standard_normal((cout, cin // groups, k, k)) * scale).astype(np.float32), "w")
        b = self.const((self.rng.standard_normal(cout) * 0.01).astype(np.float32), "b")
        y = self.op("Conv", [x, w, b], kernel_shape=[k, k], strides=[stride] * 2, pads=[k // 2] * 4, group=groups)
        if act == "relu6":
            return self.op("Clip", [y, self.const(np.array(0, np.float32)), self.const(np.array(6, np.float32))])
        return self.op("Relu", [y]) if act == "relu" else y

    def model(self, name: str, inputs: list, outputs: list) -> onnx.ModelProto:
        model = helper.make_model(
            helper.make_graph(self.nodes, name, inputs, outputs, self.inits),
            opset_imports=[helper.make_opsetid("", 17)],
        )
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


MOBILENET_BLOCKS = [
    (1, 16, 1, False),
    (6, 24, 2, False),
    (6, 24, 1, False),
    (6, 32, 2, True),
    (6, 32, 1, True),
    (6, 64, 2, True),
    (6, 64, 1, True),
    (6, 96, 1, True),
]


def mobilenet_v2_style(seed: int = 0, size: int = 224, blocks: list | None = None) -> onnx.ModelProto:
    """MobileNetV2-style: inverted residuals (1x1 expand, 3x3 depthwise, 1x1 project) with
    squeeze-excite (global pool, two 1x1 convs, HardSigmoid, Mul) in the later blocks; 1x3x224x224 -> 1x10."""
    m = _Builder(seed)
    x = m.conv("input", 3, 32, 3, 2)  # 112
    cin = 32
    for expand, cout, stride, se in blocks or MOBILENET_BLOCKS:
        hidden = cin * expand
        h = m.conv(x, cin, hidden, 1) if expand != 1 else x
        h = m.conv(h, hidden, hidden, 3, stride, groups=hidden)
        if se:
            squeezed = m.conv(m.op("GlobalAveragePool", [h]), hidden, hidden // 4, 1, act="relu")
            gate = m.op("HardSigmoid", [m.conv(squeezed, hidden // 4, hidden, 1, act=None)])
            h = m.op("Mul", [h, gate])
        h = m.conv(h, hidden, cout, 1, act=None)
        x = m.op("Add", [h, x]) if stride == 1 and cin == cout else h
        cin = cout
    x = m.conv(x, cin, 320, 1)
    flat = m.op("Flatten", [m.op("ReduceMean", [x], axes=[2, 3], keepdims=1)])
    w = m.const((m.rng.standard_normal((10, 320)) * 0.05).astype(np.float32))
    m.nodes.append(
        helper.make_node("Gemm", [flat, w, m.const(np.zeros(10, np.float32))], ["logits"], transB=1, name="head")
    )
    return m.model(
        "mobilenet_v2_style",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
    )


def bert_style(
    seed: int = 0, layers: int = 4, hidden: int = 256, heads: int = 4, seq: int = 128, vocab: int = 1000
) -> onnx.ModelProto:
    """BERT-style encoder: token embedding Gather + position embedding, LayerNorm, ``layers`` x
    (self-attention with ``heads`` heads, erf-GELU feed-forward of 4x hidden); ids 1x128 -> 1x128x256."""
    m = _Builder(seed)
    head_dim = hidden // heads

    def weight(rows: int, cols: int) -> str:
        return m.const((m.rng.standard_normal((rows, cols)) * np.sqrt(1.0 / rows)).astype(np.float32), "w")

    def dense(x: str, cin: int, cout: int) -> str:
        return m.op(
            "Add",
            [
                m.op("MatMul", [x, weight(cin, cout)]),
                m.const((m.rng.standard_normal(cout) * 0.01).astype(np.float32), "b"),
            ],
        )

    def layer_norm(x: str) -> str:
        return m.op(
            "LayerNormalization",
            [x, m.const(np.ones(hidden, np.float32)), m.const(np.zeros(hidden, np.float32))],
            axis=-1,
            epsilon=1e-12,
        )

    def heads_first(x: str) -> str:  # [1, seq, hidden] -> [1, heads, seq, head_dim]
        return m.op(
            "Transpose",
            [m.op("Reshape", [x, m.const(np.array([1, seq, heads, head_dim], np.int64))])],
            perm=[0, 2, 1, 3],
        )

    table = m.const((m.rng.standard_normal((vocab, hidden)) * 0.02).astype(np.float32), "embedding")
    x = m.op("Gather", [table, "input_ids"], axis=0)
    x = layer_norm(
        m.op("Add", [x, m.const((m.rng.standard_normal((1, seq, hidden)) * 0.02).astype(np.float32), "position")])
    )
    for _ in range(layers):
        q, k, v = (heads_first(dense(x, hidden, hidden)) for _ in range(3))
        scores = m.op(
            "Div",
            [
                m.op("MatMul", [q, m.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                m.const(np.array(np.sqrt(head_dim), np.float32)),
            ],
        )
        context = m.op("MatMul", [m.op("Softmax", [scores], axis=-1), v])
        context = m.op(
            "Reshape", [m.op("Transpose", [context], perm=[0, 2, 1, 3]), m.const(np.array([1, seq, hidden], np.int64))]
        )
        x = layer_norm(m.op("Add", [dense(context, hidden, hidden), x]))
        up = dense(x, hidden, 4 * hidden)
        erf = m.op("Erf", [m.op("Div", [up, m.const(np.array(np.sqrt(2.0), np.float32))])])
        gelu = m.op(
            "Mul",
            [
                m.op("Mul", [up, m.op("Add", [erf, m.const(np.array(1.0, np.float32))])]),
                m.const(np.array(0.5, np.float32)),
            ],
        )
        x = layer_norm(m.op("Add", [dense(gelu, 4 * hidden, hidden), x]))
    m.nodes.append(helper.make_node("Identity", [x], ["hidden_states"], name="output"))
    return m.model(
        "bert_style",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, seq])],
        [helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, [1, seq, hidden])],
    )


def _archive(model: onnx.ModelProto, path: Path) -> Path:
    data = model.SerializeToString()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("model.onnx")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return path


def _timed(fn, repeat: int) -> tuple[float, float]:
    """(median, min) seconds of ``repeat`` calls after a warm-up."""
    for _ in range(5):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return float(np.median(samples)), float(np.min(samples))


def _paired(
    runners: dict, repeat: int, rounds: int = 7, gap_s: float = 0.25
) -> dict[str, tuple[float, float, float, float]]:
    """Interleave the runners in rotating order so a noisy neighbour hits all alike; a gap after each
    batch lets TVM's spinning pool workers (~90 ms) settle.  Returns name -> (median s, median of the
    per-round ratios to "onnxruntime", best s, best / onnxruntime's best).  On a loaded machine the
    best-of figures are the nearer estimate of a quiet one."""
    names = list(runners)
    medians: dict[str, list[float]] = {n: [] for n in names}
    bests: dict[str, list[float]] = {n: [] for n in names}
    ratios: dict[str, list[float]] = {n: [] for n in names}
    for round_index in range(rounds):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        this_round = {}
        for name in order:
            this_round[name] = _timed(runners[name], repeat)
            time.sleep(gap_s)
        for name in names:
            medians[name].append(this_round[name][0])
            bests[name].append(this_round[name][1])
            ratios[name].append(this_round[name][0] / this_round["onnxruntime"][0])
    best_ort = min(bests["onnxruntime"])
    return {
        n: (float(np.median(medians[n])), float(np.median(ratios[n])), min(bests[n]), min(bests[n]) / best_ort)
        for n in names
    }


def _onnxruntime_runner(model: onnx.ModelProto, feeds: dict[str, np.ndarray], threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return lambda: session.run(None, feeds)


def _artifact_runner(artifact: Path, inputs: list[np.ndarray], workdir: Path):
    import tvm

    target_dir = workdir / artifact.stem
    with tarfile.open(artifact) as tar:
        tar.extractall(target_dir, filter="data")
    vm = tvm.relax.VirtualMachine(tvm.runtime.load_module(str(target_dir / "model.so")), tvm.cpu())
    main, args = vm["main"], [tvm.runtime.tensor(x, tvm.cpu()) for x in inputs]
    return lambda: main(*args)


MODELS = {
    "resnet": ("ResNet-style, 12 convs, 1x3x224x224", resnet_style),
    "mobilenet": ("MobileNetV2-style, depthwise + squeeze-excite, 1x3x224x224", mobilenet_v2_style),
    "bert": ("BERT-style encoder, 4 layers, hidden 256, 4 heads, seq 128", bert_style),
}


def _feeds(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(1)
    feeds = {}
    for value in model.graph.input:
        shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
        if value.type.tensor_type.elem_type == TensorProto.INT64:
            feeds[value.name] = rng.integers(0, 1000, shape).astype(np.int64)
        else:
            feeds[value.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds


def bench_model(key: str, args: argparse.Namespace, workdir: Path, progress) -> None:
    from sagemaker_reconciler.local_compile import CompileRequest, TuningOptions, compile_model

    title, build = MODELS[key]
    model = build()
    feeds = _feeds(model)
    archive = _archive(model, workdir / f"{key}.tar.gz")
    tuning_db = args.tuning_db or workdir / "tuning"
    shapes = {name: list(x.shape) for name, x in feeds.items()}

    def request(trials: int, minutes: float | None = None) -> CompileRequest:
        tuning = TuningOptions(
            trials=trials,
            trials_per_iteration=args.trials_per_iteration,
            database_dir=tuning_db,
            max_minutes=minutes,
        )
        return CompileRequest(archive, "ONNX", shapes, target_device=args.target, tuning=tuning)

    print(f"== {key}: {title}; target {args.target}; {args.threads} threads", flush=True)
    untuned = compile_model(request(0), cache_dir=workdir / "cache", progress=progress)
    schedules = untuned.manifest["tuning"].get("schedules", {})
    print(
        f"untuned: compile {untuned.seconds:.1f} s; schedules {schedules} (unscheduled {schedules.get('unscheduled')})",
        flush=True,
    )
    runners = {
        "onnxruntime": _onnxruntime_runner(model, feeds, args.threads),
        "untuned": _artifact_runner(untuned.artifact, list(feeds.values()), workdir),
    }
    tuned = None
    if args.trials > 0 or args.budget_minutes:
        tuned = compile_model(request(args.trials, args.budget_minutes), cache_dir=workdir / "cache", progress=progress)
        budget = f"{args.trials or 'as many trials as fit'}" + (
            f" within {args.budget_minutes:g} min" if args.budget_minutes else ""
        )
        print(
            f"tuned ({tuned.trials_done} trials; budget {budget}): tuning {tuned.tuning_seconds:.1f} s, "
            f"compile {tuned.compile_seconds:.1f} s, total {tuned.seconds:.1f} s; "
            f"schedules {tuned.manifest['tuning'].get('schedules')}; "
            f"stopped by time: {tuned.manifest['tuning'].get('stopped_by_time', False)}",
            flush=True,
        )
        runners["tuned"] = _artifact_runner(tuned.artifact, list(feeds.values()), workdir)
    timings = _paired(runners, args.repeat, args.rounds)
    line = f"latency (median): onnxruntime {timings['onnxruntime'][0] * 1e3:.2f} ms"
    best = f"latency (best):   onnxruntime {timings['onnxruntime'][2] * 1e3:.2f} ms"
    for name in ("untuned", "tuned"):
        if name in timings:
            line += f"; {name} {timings[name][0] * 1e3:.2f} ms = {timings[name][1]:.2f}x onnxruntime"
            best += f"; {name} {timings[name][2] * 1e3:.2f} ms = {timings[name][3]:.2f}x onnxruntime"
    print(line, flush=True)
    print(best, flush=True)
    if tuned is not None:
        hit = compile_model(request(args.trials, args.budget_minutes), cache_dir=workdir / "cache")
        print(f"cache hit: {hit.seconds:.3f} s (hit={hit.cache_hit})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet,mobilenet,bert", help=f"comma-separated, of {', '.join(MODELS)}")
    parser.add_argument(
        "--trials", type=int, default=0, help="tuning budget for a tuned build as well (0: untuned only)"
    )
    parser.add_argument(
        "--budget-minutes",
        type=float,
        default=None,
        help="wall-clock tuning budget for a tuned build (alone: as many trials as fit)",
    )
    parser.add_argument("--trials-per-iteration", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2, help="inference threads for both runtimes")
    parser.add_argument("--target", default="ml_c5")
    parser.add_argument("--repeat", type=int, default=20, help="timed inferences per measurement")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds; medians are reported")
    parser.add_argument(
        "--tuning-db", type=Path, default=None, help="persistent tuning database (default: fresh temp dir)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)

    os.environ["TVM_NUM_THREADS"] = str(args.threads)
    progress = None if args.quiet else (lambda p: print(f"  {p}", flush=True))
    unknown = [m for m in args.models.split(",") if m not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    with tempfile.TemporaryDirectory(prefix="bench-local-compile-") as tmp:
        for key in args.models.split(","):
            bench_model(key, args, Path(tmp), progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
