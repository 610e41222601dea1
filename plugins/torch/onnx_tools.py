"""ONNX export and ONNX Runtime quantization, evaluation and timing used by the optimizer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import CapabilityNotSupported, InvalidInput

OPSET = 17
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
QUANTIZABLE_OPS = frozenset({"Conv", "Gemm", "MatMul", "ConvTranspose"})


def export_onnx(module: Any, input_shape: tuple[int, ...], path: Path) -> Path:
    """Export ``module`` to ONNX (opset 17) with a dynamic batch dimension.

    Raises:
        CapabilityNotSupported: the exporter has no ONNX form for an operator; the message
            names it.
    """
    import torch

    example = torch.zeros((1, *input_shape[1:]), dtype=torch.float32)
    try:
        torch.onnx.export(module, (example,), str(path), dynamo=False, opset_version=OPSET,
                          input_names=[INPUT_NAME], output_names=[OUTPUT_NAME],
                          dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}})
    except Exception as exc:  # torch.onnx raises UnsupportedOperatorError and RuntimeError
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CapabilityNotSupported(f"the model cannot be exported to ONNX opset {OPSET}: "
                                     f"{first[:300]}") from exc
    return path


def quantizable_layers(path: Path) -> list[tuple[str, str, int]]:
    """(node name, op type, weight elements) of every Conv/Gemm/MatMul in graph order."""
    import numpy as np
    import onnx

    model = onnx.load(str(path))
    sizes = {i.name: int(np.prod(i.dims)) for i in model.graph.initializer}
    layers = []
    for node in model.graph.node:
        if node.op_type in QUANTIZABLE_OPS:
            params = sum(sizes.get(n, 0) for n in node.input[1:])
            layers.append((node.name, node.op_type, params))
    return layers


class ArrayReader:
    """ONNX Runtime's ``CalibrationDataReader`` over an array, in batches of 32."""

    def __init__(self, inputs: Any, batch: int = 32) -> None:
        self._batches = [inputs[i:i + batch] for i in range(0, len(inputs), batch)]
        self._pos = 0

    def get_next(self) -> dict[str, Any] | None:
        """The next batch, or None when exhausted."""
        if self._pos >= len(self._batches):
            return None
        self._pos += 1
        return {INPUT_NAME: self._batches[self._pos - 1]}

    def rewind(self) -> None:
        """Start again from the first batch."""
        self._pos = 0

    def __len__(self) -> int:
        return len(self._batches)

    def set_range(self, start_index: int, end_index: int) -> None:
        """Part of the reader protocol; strided calibration is not used."""


def quantize_qdq(fp32: Path, out: Path, calibration: Any, cache: Path, *,
                 nodes_to_quantize: Sequence[str] | None = None,
                 nodes_to_exclude: Sequence[str] = (), reduced_range: bool = False) -> Path:
    """Static per-channel QDQ quantization (S8S8), with ranges calibrated once into ``cache``."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    reader = None if cache.is_file() else ArrayReader(calibration)
    quantize_static(str(fp32), str(out), reader, quant_format=QuantFormat.QDQ,
                    per_channel=True, reduce_range=reduced_range,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    nodes_to_quantize=list(nodes_to_quantize) if nodes_to_quantize else None,
                    nodes_to_exclude=list(nodes_to_exclude),
                    calibrate_method=CalibrationMethod.MinMax,
                    calibration_cache_path=str(cache))
    return out


def to_fp16(fp32: Path, out: Path) -> Path:
    """The whole model in FP16, inputs and outputs kept FP32 for callers."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True)
    onnx.save(model, str(out))
    return out


def session(path: Path, *, optimized: bool = True, threads: int | None = None,
            providers: Sequence[str] = ("CPUExecutionProvider",)) -> Any:
    """An ONNX Runtime session, graph optimizations all on (deployed) or all off (simulated)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimized
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.log_severity_level = 3
    if threads is not None:
        options.intra_op_num_threads = threads
    try:
        return ort.InferenceSession(str(path), options, providers=list(providers))
    except Exception as exc:  # onnxruntime's untyped errors
        raise InvalidInput(f"onnxruntime cannot load {path}: {exc}") from exc


def predict(sess: Any, inputs: Any, batch: int = 256) -> Any:
    """Logits for all ``inputs``."""
    import numpy as np

    name = sess.get_inputs()[0].name
    parts = [sess.run(None, {name: inputs[i:i + batch]})[0]
             for i in range(0, len(inputs), batch)]
    return np.concatenate(parts)


def accuracy(logits: Any, labels: Any) -> float:
    """Top-1 accuracy in percent."""
    return float((logits.argmax(1) == labels).mean() * 100.0)


def agreement(logits: Any, reference: Any) -> float:
    """Share of samples whose top-1 class matches the reference."""
    return float((logits.argmax(1) == reference.argmax(1)).mean())


def sqnr_db(reference: Any, candidate: Any) -> float:
    """Signal-to-quantization-noise ratio of the logits, in dB (inf for an exact match)."""
    import numpy as np

    noise = float(np.sum((reference - candidate) ** 2))
    signal = float(np.sum(reference ** 2))
    if noise == 0.0:
        return float("inf")
    return 10.0 * float(np.log10(signal / noise)) if signal > 0 else float("-inf")


def latency_ms(sess: Any, inputs: Any, batch: int, runs: int, warmup: int = 3) -> list[float]:
    """Wall-clock latencies (ms) of ``runs`` calls at ``batch`` after ``warmup`` calls."""
    import numpy as np

    name = sess.get_inputs()[0].name
    reps = -(-batch // len(inputs))
    feed = {name: np.ascontiguousarray(np.concatenate([inputs] * reps)[:batch])}
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - start) * 1000.0)
    return times
