"""GPU figures for the optimize benchmark: the torch plugin's CUDA path at FP32 vs FP16.

Both example models are verified exactly as on the CPU (``VerifyModel`` with the torch
reference backend on ``cuda``): accuracy on the held-out split, top-1 agreement and largest
logit difference against the FP32 model, NaN/Inf, single-batch smoke, p50/p95/p99 latency at
batch 1 and 64 after warm-up (end to end: host-to-device copy, forward, copy back), and peak
GPU memory. ONNX Runtime's CUDA provider is measured too where onnxruntime-gpu is installed.

    python benchmarks/optimize_gpu_bench.py --models DIR --out FILE

``DIR`` holds ``<name>-e<epochs>/model.pt`` and ``digits.npz`` as the CPU benchmark's
``--home``/examples folder has them, so both benchmarks measure the same weights.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rows(name: str, folder: Path, work: Path, runs: int) -> list[dict[str, Any]]:
    import torch

    from edgedeploy.application.optimization import VerifyModel, VerifyRequest
    from edgedeploy.application.ports.optimization import ModelSource
    from edgedeploy.plugins.torch import OnnxDeploymentVerifier, TorchBackend
    from edgedeploy.plugins.torch.loading import load_model

    loaded = load_model(ModelSource(str(folder / "model.pt")))
    scripted = work / f"{name}.ts.pt"
    torch.jit.save(torch.jit.script(loaded.module), str(scripted))
    data = str(folder / "digits.npz")
    rows = []
    for precision in ("fp32", "fp16"):
        torch.cuda.reset_peak_memory_stats()
        result = VerifyModel(OnnxDeploymentVerifier(), TorchBackend())(VerifyRequest(
            f"{name}-{precision}", str(scripted), str(scripted), data, str(work / precision),
            device="cuda", latency_runs=runs, deployed_options={"precision": precision}))
        r = result.report
        rows.append({"model": name, "runtime": "torch (CUDA)", "precision": precision,
                     "accuracy": r["deployed_runtime_accuracy"],
                     "agreement": r["top1_agreement"], "max_diff": r["max_abs_logit_diff"],
                     "nonfinite": r["nonfinite_outputs"], "smoke": r["smoke_single_batch"],
                     "passed": r["passed"], "lat": r["latency_ms"],
                     "gpu_peak_mib": torch.cuda.max_memory_allocated() / 2**20})
    rows += _ort_cuda_rows(name, loaded, data, work, runs)
    return rows


def _ort_cuda_rows(name: str, loaded: Any, data: str, work: Path,
                   runs: int) -> list[dict[str, Any]]:
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return [{"model": name, "runtime": "onnxruntime (CUDA)", "precision": "-",
                 "absent": f"CUDA provider not present in onnxruntime {ort.__version__} "
                           f"(providers: {', '.join(ort.get_available_providers())})"}]
    from edgedeploy.application.optimization import VerifyModel, VerifyRequest
    from edgedeploy.plugins.onnxruntime import factory
    from edgedeploy.plugins.torch import OnnxDeploymentVerifier, onnx_tools

    fp32 = onnx_tools.export_onnx(loaded.module, (1, 1, 32, 32), work / f"{name}.onnx")
    fp16 = onnx_tools.to_fp16(fp32, work / f"{name}.fp16.onnx")
    rows = []
    for precision, path in (("fp32", fp32), ("fp16", fp16)):
        r = VerifyModel(OnnxDeploymentVerifier(), factory())(VerifyRequest(
            f"{name}-{precision}", str(fp32), str(path), data, str(work / f"ort-{precision}"),
            device="cuda", latency_runs=runs)).report
        rows.append({"model": name, "runtime": "onnxruntime (CUDA)", "precision": precision,
                     "accuracy": r["deployed_runtime_accuracy"],
                     "agreement": r["top1_agreement"], "max_diff": r["max_abs_logit_diff"],
                     "nonfinite": r["nonfinite_outputs"], "smoke": r["smoke_single_batch"],
                     "passed": r["passed"], "lat": r["latency_ms"], "gpu_peak_mib": 0.0})
    return rows


def render(rows: list[dict[str, Any]], command: str, device: str) -> str:
    lines = ["## Optimize on GPU: torch CUDA path, FP32 vs FP16", "",
             f"Command: `{command}`", "", f"Machine: {device}; Python "
             f"{platform.python_version()}. Latency is end to end per call (copy in, forward, "
             "copy out), after 5 warm-up calls.", "",
             "| model | runtime | precision | accuracy % | agreement % | max abs logit diff "
             "| NaN/Inf | verdict | p50/p95/p99 ms b1 | p50/p95/p99 ms b64 | peak GPU MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "absent" in r:
            lines.append(f"| {r['model']} | {r['runtime']} | - | {r['absent']} |||||||| |")
            continue
        b1, b64 = r["lat"]["batch_1"], r["lat"]["batch_64"]
        lines.append(
            f"| {r['model']} | {r['runtime']} | {r['precision']} | {r['accuracy']:.2f} | "
            f"{100 * r['agreement']:.2f} | {r['max_diff']:.4f} | {r['nonfinite']} | "
            f"{'pass' if r['passed'] else 'FAIL'} | {b1['p50']:.3f}/{b1['p95']:.3f}/"
            f"{b1['p99']:.3f} | {b64['p50']:.3f}/{b64['p95']:.3f}/{b64['p99']:.3f} | "
            f"{r['gpu_peak_mib']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        sys.exit("no CUDA device: the GPU figures need one")
    work = Path(tempfile.mkdtemp(prefix="edgedeploy-gpu-bench-"))
    rows: list[dict[str, Any]] = []
    for name in ("small", "medium"):
        folders = sorted(args.models.glob(f"{name}-e*"))
        if folders:
            rows += _rows(name, folders[-1], work, args.runs)
    device = (f"{torch.cuda.get_device_name(0)}, torch {torch.__version__}, "
              f"CUDA {torch.version.cuda}")
    text = render(rows, "python " + " ".join(["benchmarks/optimize_gpu_bench.py",
                                               *sys.argv[1:]]), device)
    if args.out is not None:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
