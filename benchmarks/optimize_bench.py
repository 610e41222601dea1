"""Optimize benchmark: edgedeploy's plan against the usual one-call quantizers, on both examples.

For each example model (small ~0.3M, medium >=1M parameters): FP32, torch ``quantize_dynamic``,
ONNX Runtime ``quantize_dynamic``, ONNX Runtime ``quantize_static`` (QDQ, per-channel, default
settings otherwise), and edgedeploy's sensitivity-guided plan. For each: accuracy on the runtime
that executes it (held-out split), retention vs FP32, top-1 agreement with FP32, size ratio, p50
and p95 latency at batch 1 and 64 after warm-up, and the optimization's wall time.

    .venv/bin/python benchmarks/optimize_bench.py --home ~/.edgedeploy/models \
        --out docs/benchmarks/optimize.md          # full run (trains the examples once)
    .venv/bin/python benchmarks/optimize_bench.py --quick   # small model, fewer runs

Figures are printed last and written as a Markdown section to ``--out``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

GOALS = {"retention": 99.5, "agreement": 99.0, "size_small": 3.6, "size_medium": 3.85,
         "sensitivity_s_per_layer": 2.0, "optimize_s": 300.0}


@dataclass
class Row:
    model: str
    method: str
    runtime: str
    accuracy: float
    retention: float
    agreement: float
    size_bytes: int
    size_ratio: float
    lat: dict[str, tuple[float, float]]
    wall_s: float
    note: str = ""


def _percentiles(times: list[float]) -> tuple[float, float]:
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def _time(fn: Any, runs: int, warmup: int = 5) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return _percentiles(times)


def _batch(x: np.ndarray, n: int) -> np.ndarray:
    return np.ascontiguousarray(np.concatenate([x] * (-(-n // len(x))))[:n])


def ort_row(model: str, method: str, path: Path, x: np.ndarray, y: np.ndarray,
            ref: np.ndarray, fp32_size: int, wall: float, runs: dict[int, int],
            note: str = "") -> tuple[Row, np.ndarray]:
    from edgedeploy.plugins.torch import onnx_tools

    sess = onnx_tools.session(path)
    logits = onnx_tools.predict(sess, x)
    name = sess.get_inputs()[0].name
    lat = {}
    for b, n in runs.items():
        feed = {name: _batch(x, b)}
        lat[f"b{b}"] = _time(lambda feed=feed: sess.run(None, feed), n)
    acc = onnx_tools.accuracy(logits, y)
    ref_acc = onnx_tools.accuracy(ref, y)
    size = path.stat().st_size
    return Row(model, method, "onnxruntime", acc, 100 * acc / ref_acc,
               100 * onnx_tools.agreement(logits, ref), size, fp32_size / size, lat, wall,
               note), logits


def torch_dynamic_row(model: str, module: Any, x: np.ndarray, y: np.ndarray, ref: np.ndarray,
                      fp32_size: int, runs: dict[int, int]) -> Row:
    import torch
    from torch.ao.quantization import quantize_dynamic

    start = time.perf_counter()
    quantized = quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8)
    wall = time.perf_counter() - start
    buffer = io.BytesIO()
    torch.save(quantized.state_dict(), buffer)
    size = buffer.tell()
    with torch.inference_mode():
        logits = quantized(torch.from_numpy(x)).numpy()
        lat = {}
        for b, n in runs.items():
            xb = torch.from_numpy(_batch(x, b))
            lat[f"b{b}"] = _time(lambda xb=xb: quantized(xb), n)
    acc = float((logits.argmax(1) == y).mean() * 100)
    ref_acc = float((ref.argmax(1) == y).mean() * 100)
    return Row(model, "torch quantize_dynamic", "torch (CPU)", acc, 100 * acc / ref_acc,
               100 * float((logits.argmax(1) == ref.argmax(1)).mean()), size,
               fp32_size / size, lat, wall,
               "Linear layers only (torch has no dynamic Conv); size = state dict")


def bench_model(name: str, home: Path, work: Path, epochs: int, runs: dict[int, int],
                calibration_samples: int) -> tuple[list[Row], dict[str, Any]]:
    import torch
    from onnxruntime.quantization import QuantFormat, quantize_dynamic, quantize_static

    from edgedeploy.application.optimization import OptimizeModel, OptimizeRequest
    from edgedeploy.application.ports.optimization import ModelSource
    from edgedeploy.plugins.onnxruntime import factory as ort_factory
    from edgedeploy.plugins.torch import TorchQuantizationToolkit, ensure_example_model, onnx_tools
    from edgedeploy.plugins.torch.loading import load_dataset, load_model, stratified_sample

    example = ensure_example_model(name, home, epochs=epochs)
    loaded = load_model(ModelSource(str(example.checkpoint)))
    data = load_dataset(str(example.data), input_shape=loaded.input_shape, classes=10)
    x, y = data.heldout_inputs, data.heldout_labels
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = onnx_tools.export_onnx(loaded.module, loaded.input_shape or (1, 1, 32, 32),
                                  folder / "fp32.onnx")
    fp32_size = fp32.stat().st_size
    ref = onnx_tools.predict(onnx_tools.session(fp32), x)
    rows: list[Row] = []
    row, _ = ort_row(name, "FP32", fp32, x, y, ref, fp32_size, 0.0, runs)
    rows.append(row)
    with torch.inference_mode():
        torch_ref = loaded.module(torch.from_numpy(x)).numpy()
    rows.append(torch_dynamic_row(name, loaded.module, x, y, torch_ref, fp32_size, runs))

    start = time.perf_counter()
    quantize_dynamic(str(fp32), str(folder / "ort_dynamic.onnx"))
    row, _ = ort_row(name, "ORT quantize_dynamic", folder / "ort_dynamic.onnx", x, y, ref,
                     fp32_size, time.perf_counter() - start, runs, "defaults")
    rows.append(row)

    picked = stratified_sample(data.labels, calibration_samples, 0)
    reader = onnx_tools.ArrayReader(np.ascontiguousarray(data.inputs[picked]))
    start = time.perf_counter()
    quantize_static(str(fp32), str(folder / "ort_static.onnx"), reader,
                    quant_format=QuantFormat.QDQ, per_channel=True)
    row, _ = ort_row(name, "ORT quantize_static (QDQ, per-channel)",
                     folder / "ort_static.onnx", x, y, ref, fp32_size,
                     time.perf_counter() - start, runs,
                     f"defaults, {calibration_samples} stratified calibration samples")
    rows.append(row)

    start = time.perf_counter()
    result = OptimizeModel(TorchQuantizationToolkit(), ort_factory())(OptimizeRequest(
        ModelSource(str(example.checkpoint)), str(example.data), str(folder / "edgedeploy"),
        calibration_samples=calibration_samples))
    wall = time.perf_counter() - start
    plan = result.plan
    kept = [d.layer for d in plan.decisions if d.precision.value != "int8"]
    row, _ = ort_row(name, "edgedeploy plan", Path(result.model_path), x, y, ref, fp32_size,
                     wall, runs, f"chosen '{plan.chosen.name}', float layers: "
                     f"{', '.join(kept) or 'none'}")
    rows.append(row)
    sens = [s.seconds for s in result.sensitivities]
    extra = {"params": example.params, "fp32_accuracy": example.accuracy,
             "layers": len(sens), "sensitivity_max_s": max(sens),
             "sensitivity_mean_s": sum(sens) / len(sens),
             "optimize_without_training_s": result.timings["optimize_without_training"],
             "divergent": [s.layer for s in result.sensitivities if s.divergent],
             "chosen": plan.chosen.name, "heldout": len(y)}
    return rows, extra


def render(rows: list[Row], extras: dict[str, dict[str, Any]], command: str,
           vnni: bool) -> str:
    lines = ["## Optimize: sensitivity-guided mixed precision vs one-call quantizers", "",
             f"Command: `{command}`", "",
             f"Machine: {os.cpu_count()} CPU cores ({platform.machine()}, "
             f"{'with' if vnni else 'without'} VNNI), Python {platform.python_version()}; "
             f"1-minute load average {os.getloadavg()[0]:.1f} when the figures were written "
             "(other work on the cores inflates latencies and sensitivity times).", "",
             "| model | method | runtime | accuracy % | retention % | agreement % | size ratio "
             "| p50/p95 ms b1 | p50/p95 ms b64 | optimize s | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        b1, b64 = r.lat["b1"], r.lat["b64"]
        lines.append(f"| {r.model} | {r.method} | {r.runtime} | {r.accuracy:.2f} | "
                     f"{r.retention:.2f} | {r.agreement:.2f} | {r.size_ratio:.2f}x | "
                     f"{b1[0]:.3f}/{b1[1]:.3f} | {b64[0]:.2f}/{b64[1]:.2f} | {r.wall_s:.1f} | "
                     f"{r.note} |")
    lines += ["", "| model | params | held-out | layers | sensitivity s/layer (max, mean) "
              "| optimize without training s | chosen | divergent layers |",
              "|---|---|---|---|---|---|---|---|"]
    for model, e in extras.items():
        lines.append(f"| {model} | {e['params']} | {e['heldout']} | {e['layers']} | "
                     f"{e['sensitivity_max_s']:.2f}, {e['sensitivity_mean_s']:.2f} | "
                     f"{e['optimize_without_training_s']:.1f} | {e['chosen']} | "
                     f"{', '.join(e['divergent']) or 'none'} |")
    lines += ["", "Goals (2-core CPU):", ""]
    for model in extras:
        ours = next(r for r in rows if r.model == model and r.method == "edgedeploy plan")
        fp32 = next(r for r in rows if r.model == model and r.method == "FP32")
        size_goal = GOALS["size_small"] if model == "small" else GOALS["size_medium"]
        checks = [
            (f"retention >= {GOALS['retention']}%", ours.retention >= GOALS["retention"],
             f"{ours.retention:.2f}%"),
            (f"agreement >= {GOALS['agreement']}%", ours.agreement >= GOALS["agreement"],
             f"{ours.agreement:.2f}%"),
            (f"size ratio >= {size_goal}x", ours.size_ratio >= size_goal,
             f"{ours.size_ratio:.2f}x"),
            ("p50 at batch 64 no slower than FP32", ours.lat["b64"][0] <= fp32.lat["b64"][0],
             f"{ours.lat['b64'][0]:.2f} vs {fp32.lat['b64'][0]:.2f} ms "
             f"({fp32.lat['b64'][0] / ours.lat['b64'][0]:.2f}x faster)"),
            (f"sensitivity <= {GOALS['sensitivity_s_per_layer']} s per layer",
             extras[model]["sensitivity_max_s"] <= GOALS["sensitivity_s_per_layer"],
             f"max {extras[model]['sensitivity_max_s']:.2f} s"),
            (f"optimize without training <= {GOALS['optimize_s']:.0f} s",
             extras[model]["optimize_without_training_s"] <= GOALS["optimize_s"],
             f"{extras[model]['optimize_without_training_s']:.1f} s"),
        ]
        for label, ok, value in checks:
            lines.append(f"- {model}: {label}: {'met' if ok else 'MISSED'} ({value})")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get(
        "EDGEDEPLOY_HOME", Path.home() / ".edgedeploy")) / "models")
    parser.add_argument("--quick", action="store_true",
                        help="small model only, 3 training epochs, fewer timed runs")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--calibration-samples", type=int, default=256)
    parser.add_argument("--out", type=Path, default=None,
                        help="write the Markdown section here")
    args = parser.parse_args()
    from edgedeploy.plugins.torch.cpu import has_vnni

    models = ["small"] if args.quick else ["small", "medium"]
    epochs = 3 if args.quick else args.epochs
    runs = {1: 20, 64: 5} if args.quick else {1: 200, 64: 30}
    work = Path(tempfile.mkdtemp(prefix="edgedeploy-bench-"))
    rows: list[Row] = []
    extras: dict[str, dict[str, Any]] = {}
    try:
        for name in models:
            model_rows, extra = bench_model(name, args.home, work, epochs, runs,
                                            args.calibration_samples)
            rows += model_rows
            extras[name] = extra
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = "python " + " ".join(["benchmarks/optimize_bench.py", *sys.argv[1:]])
    text = render(rows, extras, command, has_vnni())
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
