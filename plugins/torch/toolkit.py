"""The ``QuantizationToolkit`` port: PyTorch in, ONNX Runtime QDQ models out, measured deployed.

Every candidate is measured twice on the held-out split: with ONNX Runtime's graph optimizations
on (fused integer kernels, what the ECU will run) and off (QuantizeLinear/DequantizeLinear
executed literally, i.e. simulation). A layer whose two results disagree is flagged, because a
simulated score then says nothing about the deployed model.
"""

from __future__ import annotations

import platform
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog

from edgedeploy.application.errors import CapabilityNotSupported, InvalidInput
from edgedeploy.application.ports.inference import InferenceBackend
from edgedeploy.application.ports.optimization import (
    CandidateResult,
    CandidateSpec,
    LayerInfo,
    ModelSource,
)
from edgedeploy.domain.quantization import LayerSensitivity, ParetoPoint, Precision
from edgedeploy.plugins.torch import cpu, onnx_tools
from edgedeploy.plugins.torch.loading import (
    LoadedModel,
    load_dataset,
    load_model,
    stratified_sample,
)

_log = structlog.get_logger(__name__)

LATENCY_BATCH = 64
LATENCY_RUNS = 15
SENSITIVITY_SAMPLES = 256
"""Held-out samples (stratified) each per-layer measurement uses; candidates use them all."""


class OnnxOptimizationWorkspace:
    """One model and its data, opened for optimization; ranges are calibrated once."""

    def __init__(self, loaded: LoadedModel, data: Any, calibration: Any, workdir: Path,
                 seed: int, *, runtime: InferenceBackend | None = None,
                 device: str = "cpu") -> None:
        import numpy as np

        self._loaded = loaded
        self._data = data
        self._calibration = calibration
        self._seed = seed
        self._dir = workdir
        self._cache = workdir / "calibration.json"
        self._counter = 0
        self.model_name = loaded.name
        self.runtime = "onnxruntime"
        self.vnni = cpu.has_vnni()
        self.calibration_samples = len(calibration)
        self.heldout_samples = len(data.heldout_labels)
        shape = loaded.input_shape or (1, *data.inputs.shape[1:])
        fp32 = onnx_tools.export_onnx(loaded.module, shape, workdir / "fp32.onnx")
        self.fp32_path = str(fp32)
        self.fp32_size_bytes = fp32.stat().st_size
        if runtime is not None:
            # Judge the graph before anything runs it: a session, the baseline or calibration
            # on a graph the target cannot execute would fail with a less useful message.
            from edgedeploy.application.optimization.optimize import check_operator_coverage

            check_operator_coverage(runtime, str(fp32), device, loaded.name)
        self.layers = tuple(LayerInfo(n, op, p) for n, op, p in onnx_tools.quantizable_layers(fp32))
        if not self.layers:
            raise CapabilityNotSupported(f"{loaded.name} has no Conv, Gemm or MatMul to quantize")
        session = onnx_tools.session(fp32)
        self._reference = onnx_tools.predict(session, data.heldout_inputs)
        self.baseline_accuracy = onnx_tools.accuracy(self._reference, data.heldout_labels)
        self.fp32_latency_ms = float(sorted(onnx_tools.latency_ms(
            session, data.heldout_inputs, LATENCY_BATCH, LATENCY_RUNS))[LATENCY_RUNS // 2])
        probe = stratified_sample(data.heldout_labels, SENSITIVITY_SAMPLES, seed)
        self._probe_x = np.ascontiguousarray(data.heldout_inputs[probe])
        self._probe_y = data.heldout_labels[probe]
        self._probe_ref = self._reference[probe]
        self._probe_baseline = onnx_tools.accuracy(self._probe_ref, self._probe_y)
        # Calibrate now, once: every later quantization reads the cached ranges.
        onnx_tools.quantize_qdq(fp32, workdir / "calibrated.onnx", calibration, self._cache)

    def _path(self, stem: str) -> Path:
        self._counter += 1
        return self._dir / f"{self._counter:03d}-{stem}.onnx"

    def _score(self, path: Path, optimized: bool) -> Any:
        return onnx_tools.predict(onnx_tools.session(path, optimized=optimized),
                                  self._data.heldout_inputs)

    def measure_layer(self, layer: str, *, all_but_one: bool = True) -> LayerSensitivity:
        """Quantize only ``layer`` (and, optionally, all but it); measure deployed and simulated.

        Uses a stratified subset of the held-out split (``SENSITIVITY_SAMPLES``) to keep each
        layer's measurement short; every candidate model is then scored on the whole split.
        """
        info = next((i for i in self.layers if i.name == layer), None)
        if info is None:
            raise InvalidInput(f"{self.model_name} has no quantizable layer '{layer}'")
        start = time.perf_counter()
        fp32 = Path(self.fp32_path)
        x, labels, base = self._probe_x, self._probe_y, self._probe_baseline

        def score(path: Path, optimized: bool) -> Any:
            return onnx_tools.predict(onnx_tools.session(path, optimized=optimized), x)

        single = onnx_tools.quantize_qdq(fp32, self._path("single"), None, self._cache,
                                         nodes_to_quantize=[layer])
        deployed = score(single, optimized=True)
        simulated = score(single, optimized=False)
        rest_drop: float | None = None
        if all_but_one and len(self.layers) > 1:
            others = onnx_tools.quantize_qdq(fp32, self._path("others"), None, self._cache,
                                             nodes_to_exclude=[layer])
            rest_drop = base - onnx_tools.accuracy(score(others, optimized=True), labels)
            others.unlink()
        single.unlink()
        return LayerSensitivity(
            layer=layer, op_type=info.op_type, params=info.params,
            deployed_drop=base - onnx_tools.accuracy(deployed, labels),
            simulated_drop=base - onnx_tools.accuracy(simulated, labels),
            deployed_sqnr_db=onnx_tools.sqnr_db(self._probe_ref, deployed),
            simulated_sqnr_db=onnx_tools.sqnr_db(self._probe_ref, simulated),
            all_but_one_drop=rest_drop, seconds=time.perf_counter() - start)

    def _measure(self, spec: CandidateSpec, path: Path, started: float,
                 qat_epochs: int = 0) -> CandidateResult:
        session = onnx_tools.session(path)
        deployed = onnx_tools.predict(session, self._data.heldout_inputs)
        simulated = self._score(path, optimized=False)
        times = onnx_tools.latency_ms(session, self._data.heldout_inputs, LATENCY_BATCH,
                                      LATENCY_RUNS)
        labels = self._data.heldout_labels
        return CandidateResult(
            spec=spec, path=str(path), accuracy=onnx_tools.accuracy(deployed, labels),
            simulated_accuracy=onnx_tools.accuracy(simulated, labels),
            top1_agreement=onnx_tools.agreement(deployed, self._reference),
            size_bytes=path.stat().st_size, latency_ms=float(sorted(times)[len(times) // 2]),
            seconds=time.perf_counter() - started, qat_epochs=qat_epochs)

    def build(self, spec: CandidateSpec) -> CandidateResult:
        """Build and measure a candidate (QDQ INT8 with float layers, or all FP16/FP32)."""
        started = time.perf_counter()
        fp32 = Path(self.fp32_path)
        if spec.all_float is Precision.FP32:
            path = self._path(spec.name)
            shutil.copyfile(fp32, path)
        elif spec.all_float is Precision.FP16:
            path = onnx_tools.to_fp16(fp32, self._path(spec.name))
        else:
            path = onnx_tools.quantize_qdq(fp32, self._path(spec.name), None, self._cache,
                                           nodes_to_exclude=sorted(spec.keep_float),
                                           reduced_range=spec.reduced_range)
        return self._measure(spec, path, started)

    def train_qat(self, spec: CandidateSpec, epochs: int) -> CandidateResult:
        """Fine-tune with fake quantization for ``epochs``, export QDQ ONNX and measure it.

        Raises:
            CapabilityNotSupported: the model is TorchScript or an exported program, which
                cannot be fine-tuned here.
        """
        from edgedeploy.plugins.torch import qat

        if not self._loaded.trainable:
            raise CapabilityNotSupported(
                f"{self.model_name} is a {self._loaded.kind}; quantization-aware training "
                "needs the module and its state dict")
        started = time.perf_counter()
        model = qat.prepare_qat(self._loaded.module, self._calibration, set(spec.keep_float))
        model = qat.train(model, self._data.inputs, self._data.labels, epochs, seed=self._seed)
        shape = self._loaded.input_shape or (1, *self._data.inputs.shape[1:])
        path = onnx_tools.export_onnx(qat.freeze(model), shape, self._path(spec.name))
        qat.fold_weights(str(path))
        return self._measure(spec, path, started, qat_epochs=epochs)

    def plot_frontier(self, points: Sequence[ParetoPoint], chosen: str, path: str) -> None:
        """Accuracy against size, latency as colour, frontier joined, chosen point starred."""
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt

        from edgedeploy.domain.quantization import pareto_frontier

        fig, ax = plt.subplots(figsize=(7, 4.5))
        sizes = [p.size_bytes / 1024 for p in points]
        accs = [p.accuracy for p in points]
        scatter = ax.scatter(sizes, accs, c=[p.latency_ms for p in points], cmap="viridis",
                             s=60, zorder=3)
        fig.colorbar(scatter, ax=ax, label=f"p50 latency at batch {LATENCY_BATCH} (ms)")
        for p, x, y in zip(points, sizes, accs, strict=True):
            ax.annotate(p.name, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
        front = pareto_frontier(points)
        ax.plot([p.size_bytes / 1024 for p in front], [p.accuracy for p in front], "--",
                color="grey", zorder=2, label="Pareto frontier")
        best = next(p for p in points if p.name == chosen)
        ax.scatter([best.size_bytes / 1024], [best.accuracy], marker="*", s=300,
                   facecolors="none", edgecolors="red", zorder=4, label=f"chosen: {chosen}")
        ax.axhline(self.baseline_accuracy, color="black", linewidth=0.5)
        ax.set_xlabel("model size (KiB)")
        ax.set_ylabel(f"top-1 accuracy on {self.runtime} (%)")
        ax.set_title(f"{self.model_name}: accuracy / size / latency")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)

    def environment(self) -> dict[str, Any]:
        """Versions, CPU flags, opset and quantization settings."""
        import numpy as np
        import onnx
        import onnxruntime as ort
        import torch

        return {
            "versions": {"python": platform.python_version(), "torch": torch.__version__,
                         "onnx": onnx.__version__, "onnxruntime": ort.__version__,
                         "numpy": np.__version__},
            "machine": platform.machine(), "cpu_flags": cpu.reported_flags(),
            "vnni": self.vnni, "opset": onnx_tools.OPSET,
            "providers": list(ort.get_available_providers()),
            "quantization": {"format": "QDQ", "weights": "int8 per-channel symmetric",
                             "activations": "int8 per-tensor, MinMax", "calibration_samples":
                             self.calibration_samples, "heldout_samples": self.heldout_samples,
                             "calibration_cache": str(self._cache)},
            "torch_threads": torch.get_num_threads(),
            "model_file_scan": (self._loaded.scan.to_dict() if self._loaded.scan is not None
                                else None),
        }

    def close(self) -> None:
        """Nothing to release: the work directory belongs to the caller."""


class TorchQuantizationToolkit:
    """Opens PyTorch models for sensitivity-guided quantization on ONNX Runtime."""

    def open(self, source: ModelSource, calibration: str, workdir: str, *,
             runtime: InferenceBackend | None = None, device: str = "cpu",
             calibration_samples: int = 256, seed: int = 0) -> OnnxOptimizationWorkspace:
        """Load, validate, export FP32 ONNX, check operator coverage, then calibrate.

        The exported graph is checked against ``runtime`` (when given) before any session is
        built or any range calibrated, so an unsupported operator is named at once.

        Candidates are always measured on ONNX Runtime (``workspace.runtime``); the caller
        checks that this is the runtime it deploys to.

        Raises:
            InvalidInput: corrupt checkpoint, unreadable or mis-shaped calibration data.
            UnsafeModelFile: the model file imports a global that could run code.
            UnsupportedOperator: ``runtime`` cannot run an operator of the exported graph.
            CapabilityNotSupported: the model cannot be exported to ONNX.
        """
        import numpy as np
        import torch

        if not 1 <= calibration_samples <= 100_000:
            raise InvalidInput("calibration_samples must be between 1 and 100000")
        loaded = load_model(source)
        data = load_dataset(calibration, input_shape=loaded.input_shape, classes=None,
                            seed=seed)
        with torch.no_grad():
            try:
                probe = loaded.module(torch.from_numpy(data.inputs[:2]))
            except Exception as exc:  # the model's own shape errors
                raise InvalidInput(
                    f"calibration data {calibration}: samples of shape "
                    f"{tuple(data.inputs.shape[1:])} do not fit the model: "
                    f"{str(exc).splitlines()[0]}") from exc
        classes = int(probe.shape[-1])
        for labels in (data.labels, data.heldout_labels):
            if labels.min() < 0 or labels.max() >= classes:
                raise InvalidInput(f"calibration data {calibration}: labels outside 0.."
                                   f"{classes - 1}, the model's {classes} outputs")
        picked = stratified_sample(data.labels, calibration_samples, seed, data.slices)
        folder = Path(workdir)
        folder.mkdir(parents=True, exist_ok=True)
        return OnnxOptimizationWorkspace(loaded, data, np.ascontiguousarray(data.inputs[picked]),
                                         folder, seed, runtime=runtime, device=device)


def scratch_directory() -> str:
    """A fresh temporary directory for callers without one."""
    return tempfile.mkdtemp(prefix="edgedeploy-optimize-")
