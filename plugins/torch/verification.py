"""The ``DeploymentVerifier`` port: reference vs deployed on any inference backend.

Runs both models through the given backend (so the figures are the deployed runtime's), and
reads the deployed ONNX graph for its operators, opset and a byte breakdown of its size. On the
same held-out split it measures per-class recall and accuracy under Gaussian input noise, probes
the input guard the deployed model runs behind, and counts what the data file says about its
split (held-out independence and balance, calibration coverage).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.inference import InferenceBackend
from edgedeploy.application.ports.optimization import VerificationRun
from edgedeploy.domain.input_contract import InvalidInputContract
from edgedeploy.domain.verification import DatasetFacts, NoiseRobustness
from edgedeploy.plugins.torch.input_guard import (
    GuardedSession,
    contract_for,
    probe_guard,
    summarize,
)

_BATCHES = (1, 64)
LATENCY_WARMUP = 10
_MIN_BATCH_RUNS = 20
"""Untimed runs of each model per batch size: first runs pay for allocation and caches."""
NOISE_SEED = 20240611
"""Seed of the input noise, so the robustness figure is the same on every run."""
_PROBE_SAMPLES = 4
_CHUNK = 256


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


def is_onnx_model(path: str) -> bool:
    """Whether the file's bytes are an ONNX model, whatever its name says.

    Protobuf parses many byte strings without complaint, so a parse alone is not enough: an
    ONNX model also declares an IR version, an operator set and at least one node. A zip
    archive (TorchScript, exported program) is never one.
    """
    import zipfile

    import onnx

    file = Path(path)
    if not file.is_file() or zipfile.is_zipfile(file):
        return False
    try:
        model = onnx.load(str(file), load_external_data=False)
    except Exception:  # protobuf DecodeError and friends: not ONNX
        return False
    return bool(model.ir_version and len(model.opset_import) and len(model.graph.node))


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


def _labels(values: Any) -> list[str]:
    return [str(int(v)) for v in values]


def per_class_recall(predicted: Any, labels: Any) -> tuple[dict[str, float], dict[str, int]]:
    """Recall (0-1) and support of every class present in ``labels``."""
    import numpy as np

    recall: dict[str, float] = {}
    support: dict[str, int] = {}
    for cls in np.unique(labels):
        members = labels == cls
        key = str(int(cls))
        support[key] = int(members.sum())
        recall[key] = float((predicted[members] == cls).mean())
    return recall, support


def _row_digests(x: Any) -> list[bytes]:
    import hashlib

    import numpy as np

    rows = np.ascontiguousarray(x, dtype=np.float32).reshape(len(x), -1)
    return [hashlib.sha256(row.tobytes()).digest() for row in rows]


def dataset_facts(arrays: Mapping[str, Any]) -> tuple[DatasetFacts | None, str]:
    """What a data file's arrays say about its split, or why nothing can be said.

    Applies when the file holds a training pool (``inputs``/``labels``), a separate held-out
    split (``heldout_inputs``/``heldout_labels``) and the calibration set it declares
    (``calibration_index``: positions in the pool). ``train_source_index`` and
    ``heldout_source_index`` (each sample's index in the source data set), when present, find
    overlaps that identical content alone would miss (e.g. a re-encoded copy).

    Raises:
        InvalidInput: the split arrays contradict the data (indices out of range, lengths).
    """
    import numpy as np

    if not {"inputs", "labels"} <= set(arrays):
        return None, "the data file has no training pool ('inputs'/'labels')"
    if not {"heldout_inputs", "heldout_labels"} <= set(arrays):
        return None, "the data file has no separate held-out split"
    if "calibration_index" not in arrays:
        return None, "the data file does not declare its calibration set ('calibration_index')"
    pool_x, pool_y = arrays["inputs"], np.asarray(arrays["labels"])
    held_x, held_y = arrays["heldout_inputs"], np.asarray(arrays["heldout_labels"])
    calibration = np.unique(np.asarray(arrays["calibration_index"]).astype(np.int64))
    if calibration.size and (calibration.min() < 0 or calibration.max() >= len(pool_y)):
        raise InvalidInput(f"'calibration_index' points outside the {len(pool_y)} pool samples")
    seen = set(_row_digests(pool_x))
    by_content = np.array([d in seen for d in _row_digests(held_x)], dtype=bool)
    by_index = np.zeros(len(held_y), dtype=bool)
    if {"train_source_index", "heldout_source_index"} <= set(arrays):
        train_src = np.asarray(arrays["train_source_index"])
        held_src = np.asarray(arrays["heldout_source_index"])
        if len(train_src) != len(pool_y) or len(held_src) != len(held_y):
            raise InvalidInput("source indices do not match the number of samples")
        by_index = np.isin(held_src, train_src)
    classes = np.union1d(np.unique(pool_y), np.unique(held_y))
    share = {str(int(c)): float((held_y == c).sum() / ((held_y == c).sum() + (pool_y == c).sum()))
             for c in classes}
    return DatasetFacts(
        heldout_overlap=int((by_content | by_index).sum()),
        overlap_by_content=int(by_content.sum()), overlap_by_source_index=int(by_index.sum()),
        heldout_class_share=share, calibration_samples=int(calibration.size),
        calibration_classes=tuple(_labels(np.unique(pool_y[calibration]))),
        classes=tuple(_labels(classes))), ""


@dataclass(frozen=True, slots=True)
class VerificationData:
    """The held-out split, the reference data (held-out and pool) and the split's facts."""

    x: Any
    y: Any
    reference: Any
    dataset: DatasetFacts | None
    dataset_reason: str


def load_verification_data(path: str) -> VerificationData:
    """Read the held-out split (or the whole pool when there is none) and the split's facts.

    Raises:
        InvalidInput: the file is unreadable or its split arrays contradict its data.
    """
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        if "heldout_inputs" in arrays:
            x, y = arrays["heldout_inputs"].astype(np.float32), arrays["heldout_labels"]
        else:
            x, y = arrays["inputs"].astype(np.float32), arrays["labels"]
    except (OSError, KeyError, ValueError) as exc:
        raise InvalidInput(f"verification data {path} is unreadable: {exc}") from exc
    pool = arrays.get("inputs")
    reference = x
    if "heldout_inputs" in arrays and pool is not None and pool.shape[1:] == x.shape[1:]:
        reference = np.concatenate([x, pool.astype(np.float32)])
    facts, reason = dataset_facts(arrays)
    return VerificationData(x, y, reference, facts, reason)


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
                deployed_options: Mapping[str, Any] | None = None,
                noise_sigma: float = 0.1) -> VerificationRun:
        """Measure everything the verdict judges, on ``runtime``.

        Accuracy, agreement, logit difference, NaN/Inf, smoke, latency, memory and size; then
        per-class recall, accuracy under noise, the input guard's probes and the split's facts.
        """
        import numpy as np

        data = load_verification_data(data_path)
        x, y = data.x, data.y
        observed = summarize(data.reference)
        if observed.lowest is None or observed.highest is None:
            raise InvalidInput(f"verification data {data_path} holds no finite input value")
        lowest, highest = observed.lowest, observed.highest
        std = noise_sigma * (highest - lowest)
        rng = np.random.default_rng(NOISE_SEED)
        noisy = (x + rng.normal(0.0, std, size=x.shape)).astype(np.float32)
        reference = runtime.load(reference_path, device=device)
        try:
            ref_name = reference.inputs[0].name
            ref_logits = _predict(reference, ref_name, x)
            ref_noisy = _predict(reference, ref_name, noisy)
        finally:
            reference.close()
        _reset_peak()
        before = _rss_bytes("VmRSS")
        deployed = runtime.load(deployed_path, device=device, options=deployed_options)
        try:
            name = deployed.inputs[0].name
            smoke_out = np.asarray(next(iter(deployed.run({name: x[:1]}).values())))
            smoke = smoke_out.shape[0] == 1 and bool(np.isfinite(smoke_out).all())
            logits = _predict(deployed, name, x)
            noisy_logits = _predict(deployed, name, noisy)
            try:
                contract = contract_for(deployed.inputs[0], data.reference)
            except InvalidInputContract as exc:
                raise InvalidInput(f"verification data {data_path}: {exc}") from exc
            cases = probe_guard(GuardedSession(deployed, contract), x[:_PROBE_SAMPLES])
        finally:
            deployed.close()
        peak = max(0, _rss_bytes("VmHWM") - before)
        latency, pairs = _interleaved_latency(runtime, reference_path, deployed_path, x,
                                              device=device, options=deployed_options,
                                              runs=latency_runs)
        finite = np.isfinite(logits)
        diff = np.abs(np.where(finite, logits, 0.0) - ref_logits)
        # Registered models are stored by digest, without a suffix: judge the bytes.
        if is_onnx_model(deployed_path):
            size, operators, opset = size_breakdown(deployed_path)
        else:  # TorchScript and exported programs: only the total is meaningful
            size, operators, opset = {"total": Path(deployed_path).stat().st_size}, {}, 0
        predicted = logits.argmax(1)
        deployed_accuracy = float((predicted == y).mean() * 100)
        recall, support = per_class_recall(predicted, y)
        noise = NoiseRobustness(
            sigma=noise_sigma, std=std, seed=NOISE_SEED, clean_accuracy=deployed_accuracy,
            noisy_accuracy=float((noisy_logits.argmax(1) == y).mean() * 100),
            reference_noisy_accuracy=float((ref_noisy.argmax(1) == y).mean() * 100))
        return VerificationRun(
            reference_accuracy=float((ref_logits.argmax(1) == y).mean() * 100),
            deployed_accuracy=deployed_accuracy,
            top1_agreement=float((predicted == ref_logits.argmax(1)).mean()),
            max_abs_logit_diff=float(diff.max()) if diff.size else 0.0,
            nonfinite_outputs=int((~finite).sum()), samples=len(y), smoke=smoke,
            latency_ms=latency, peak_memory_bytes=int(peak), size=size, operators=operators,
            opset=opset, per_class_recall=recall, class_support=support, noise=noise,
            input_contract=contract, input_range=(lowest, highest), input_validation=cases,
            dataset=data.dataset, dataset_reason=data.dataset_reason, latency_pairs=pairs,
            latency_warmup=LATENCY_WARMUP)


def _runs_for(batch: int, runs: int) -> int:
    """Timed iterations at ``batch``: all ``runs`` at batch 1, fewer for larger batches.

    The frame budget is judged at batch 1; larger batches are throughput figures, for which a
    median over ``_MIN_BATCH_RUNS`` iterations (or all ``runs``, if fewer) says enough.
    """
    return runs if batch == 1 else max(min(runs, _MIN_BATCH_RUNS), runs * 8 // batch)


def _interleaved_latency(runtime: InferenceBackend, reference_path: str, deployed_path: str,
                         x: Any, *, device: str, options: Mapping[str, Any] | None,
                         runs: int) -> tuple[dict[str, dict[str, float]],
                                             dict[str, tuple[tuple[float, float], ...]]]:
    """Time reference and deployed model in alternation, per batch size.

    Each iteration runs both models back to back, alternating which goes first, so whatever
    else the host is doing slows both alike; the per-iteration ratio then speaks of the
    models, not of the host. Memory was measured before, so the second session costs nothing
    there.
    """
    import numpy as np

    reference = runtime.load(reference_path, device=device)
    try:
        deployed = runtime.load(deployed_path, device=device, options=options)
        try:
            ref_name, name = reference.inputs[0].name, deployed.inputs[0].name
            latency: dict[str, dict[str, float]] = {}
            pairs: dict[str, tuple[tuple[float, float], ...]] = {}
            for batch in _BATCHES:
                frames = np.ascontiguousarray(np.concatenate([x] * (-(-batch // len(x))))[:batch])
                sessions = ((reference, {ref_name: frames}), (deployed, {name: frames}))
                for _ in range(LATENCY_WARMUP):
                    for session, feed in sessions:
                        session.run(feed)
                timed: list[tuple[float, float]] = []
                for i in range(_runs_for(batch, runs)):
                    took = [0.0, 0.0]
                    order = (0, 1) if i % 2 == 0 else (1, 0)
                    for which in order:
                        session, feed = sessions[which]
                        start = time.perf_counter()
                        session.run(feed)
                        took[which] = (time.perf_counter() - start) * 1000.0
                    timed.append((took[0], took[1]))
                key = f"batch_{batch}"
                pairs[key] = tuple(timed)
                stats = _percentiles([d for _, d in timed])
                reference_stats = _percentiles([r for r, _ in timed])
                stats.update({f"reference_{k}": v for k, v in reference_stats.items()
                              if k != "runs"})
                stats["ratio_p50"] = float(np.median([d / r for r, d in timed if r > 0]))
                latency[key] = stats
        finally:
            deployed.close()
    finally:
        reference.close()
    return latency, pairs


def _predict(session: Any, name: str, x: Any) -> Any:
    import numpy as np

    return np.concatenate([np.asarray(next(iter(session.run({name: x[i:i + _CHUNK]}).values())))
                           for i in range(0, len(x), _CHUNK)])
