"""The ``DeploymentVerifier`` port: reference vs deployed on any inference backend.

Runs both models through the given backend (so the figures are the deployed runtime's), and
reads the deployed ONNX graph for its operators, opset and a byte breakdown of its size.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from application.errors import InvalidInput
from application.ports.inference import InferenceBackend
from application.ports.optimization import VerificationRun

_BATCHES = (1, 64)


def _rss_bytes(field: str) -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS mark for this process (Linux: write 5 to clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _percentiles(times: list[float]) -> dict[str, float]:
    import numpy as np

    arr = np.asarray(times)
    return {"p50": float(np.percentile(arr, 50)), "p95": float(np.percentile(arr, 95)),
            "p99": float(np.percentile(arr, 99)), "mean": float(arr.mean()), "runs": len(times)}


def size_breakdown(path: str) -> tuple[dict[str, int], dict[str, int], int]:
    """Bytes of weights, scales (and zero points), biases and graph; operator counts; opset."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(path)
    except Exception as exc:  # protobuf DecodeError and friends
        raise InvalidInput(f"{path} is not an ONNX model: {exc}") from exc
    init = {i.name: i for i in model.graph.initializer}
    role: dict[str, str] = {}
    for node in model.graph.node:
        ins = list(node.input)
        if node.op_type == "DequantizeLinear" and ins and ins[0] in init:
            is_bias = init[ins[0]].data_type == onnx.TensorProto.INT32
            role.setdefault(ins[0], "biases" if is_bias else "weights")
            for extra in ins[1:]:
                role.setdefault(extra, "scales")
        elif node.op_type in {"QuantizeLinear", "QLinearConv", "QLinearMatMul"}:
            for extra in ins[1:]:
                role.setdefault(extra, "scales")
        elif node.op_type in {"Conv", "Gemm", "MatMul", "ConvTranspose"}:
            if len(ins) > 1:
                role.setdefault(ins[1], "weights")
            if len(ins) > 2:
                role.setdefault(ins[2], "biases")
    sizes = {"weights": 0, "scales": 0, "biases": 0, "other_constants": 0}
    for name, tensor in init.items():
        nbytes = int(numpy_helper.to_array(tensor).nbytes) if tensor.dims else int(
            np.asarray(numpy_helper.to_array(tensor)).nbytes)
        sizes[role.get(name, "other_constants")] += nbytes
    total = Path(path).stat().st_size
    sizes["graph"] = max(0, total - sum(sizes.values()))
    sizes["total"] = total
    operators = Counter(f"{n.domain}::{n.op_type}" if n.domain else n.op_type
                        for n in model.graph.node)
    opset = next((o.version for o in model.opset_import if o.domain in {"", "ai.onnx"}), 0)
    return sizes, dict(sorted(operators.items())), int(opset)


def load_heldout(path: str) -> tuple[Any, Any]:
    """The held-out split of a data ``.npz`` (or its whole pool when it has none)."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as npz:
            if "heldout_inputs" in npz.files:
                return npz["heldout_inputs"].astype(np.float32), npz["heldout_labels"]
            return npz["inputs"].astype(np.float32), npz["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"verification data {path} is unreadable: {exc}") from exc


class OnnxDeploymentVerifier:
    """Measures a deployed ONNX model against its reference on a given backend."""

    def measure(self, reference_path: str, deployed_path: str, data_path: str, *,
                runtime: InferenceBackend, device: str = "cpu", latency_runs: int = 50,
                deployed_options: Mapping[str, Any] | None = None) -> VerificationRun:
        """Accuracy, agreement, logit difference, NaN/Inf, smoke, latency, memory, size."""
        import numpy as np

        x, y = load_heldout(data_path)
        reference = runtime.load(reference_path, device=device)
        try:
            ref_name = reference.inputs[0].name
            ref_logits = np.concatenate([np.asarray(next(iter(reference.run(
                {ref_name: x[i:i + 256]}).values()))) for i in range(0, len(x), 256)])
        finally:
            reference.close()
        _reset_peak()
        before = _rss_bytes("VmRSS")
        deployed = runtime.load(deployed_path, device=device, options=deployed_options)
        try:
            name = deployed.inputs[0].name
            smoke_out = np.asarray(next(iter(deployed.run({name: x[:1]}).values())))
            smoke = smoke_out.shape[0] == 1 and bool(np.isfinite(smoke_out).all())
            logits = np.concatenate([np.asarray(next(iter(deployed.run(
                {name: x[i:i + 256]}).values()))) for i in range(0, len(x), 256)])
            latency: dict[str, dict[str, float]] = {}
            for batch in _BATCHES:
                feed = {name: np.ascontiguousarray(
                    np.concatenate([x] * (-(-batch // len(x))))[:batch])}
                for _ in range(5):
                    deployed.run(feed)
                times = []
                for _ in range(latency_runs):
                    start = time.perf_counter()
                    deployed.run(feed)
                    times.append((time.perf_counter() - start) * 1000.0)
                latency[f"batch_{batch}"] = _percentiles(times)
        finally:
            deployed.close()
        peak = max(0, _rss_bytes("VmHWM") - before)
        finite = np.isfinite(logits)
        diff = np.abs(np.where(finite, logits, 0.0) - ref_logits)
        if deployed_path.endswith(".onnx"):
            size, operators, opset = size_breakdown(deployed_path)
        else:  # TorchScript and exported programs: only the total is meaningful
            size, operators, opset = {"total": Path(deployed_path).stat().st_size}, {}, 0
        return VerificationRun(
            reference_accuracy=float((ref_logits.argmax(1) == y).mean() * 100),
            deployed_accuracy=float((logits.argmax(1) == y).mean() * 100),
            top1_agreement=float((logits.argmax(1) == ref_logits.argmax(1)).mean()),
            max_abs_logit_diff=float(diff.max()) if diff.size else 0.0,
            nonfinite_outputs=int((~finite).sum()), samples=len(y), smoke=smoke,
            latency_ms=latency, peak_memory_bytes=int(peak), size=size, operators=operators,
            opset=opset)
