"""Ports for optimization and verification: the ML work a plugin does for the use cases.

Models and data cross these ports as file paths (handles), never as arrays, so the application
layer stays free of torch and NumPy. Measurements come back as plain numbers and domain values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from edgedeploy.application.ports.inference import InferenceBackend
from edgedeploy.domain.input_contract import InputContract
from edgedeploy.domain.quantization import LayerSensitivity, ParetoPoint, Precision
from edgedeploy.domain.verification import DatasetFacts, InputValidationCase, NoiseRobustness


@dataclass(frozen=True, slots=True)
class ModelSource:
    """Where a user's PyTorch model comes from.

    Attributes:
        path: a TorchScript archive, an exported program (``.pt2``), or a checkpoint holding a
            state dict (edgedeploy's own self-describing checkpoints need nothing more).
        module: ``package.module:Class`` to instantiate for a bare state dict.
        module_kwargs: keyword arguments for that class.
    """

    path: str
    module: str | None = None
    module_kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """One quantizable layer of the exported graph."""

    name: str
    op_type: str
    params: int


@dataclass(frozen=True, slots=True)
class CandidateSpec:
    """A candidate model to build: layers held out of INT8 and how INT8 is done.

    Attributes:
        name: e.g. ``all-int8``, ``mixed-2``, ``fp16``.
        keep_float: layers not quantized, with the float precision they keep.
        reduced_range: 7-bit weights, for CPUs without VNNI whose 8-bit integer kernels can
            saturate.
        all_float: build the whole model in one float precision instead (``fp16``/``fp32``).
    """

    name: str
    keep_float: Mapping[str, Precision] = field(default_factory=dict)
    reduced_range: bool = False
    all_float: Precision | None = None


@dataclass(frozen=True, slots=True)
class CandidateResult:
    """A built candidate and what it scored on the deployed runtime (held-out split).

    Attributes:
        spec: what was built.
        path: the model file.
        accuracy: top-1 accuracy (%) with the runtime's graph optimizations on.
        simulated_accuracy: the same with them off (QDQ executed literally).
        top1_agreement: share (0-1) of samples whose class matches FP32.
        size_bytes: file size.
        latency_ms: median latency at batch 64.
        seconds: wall time of building and measuring.
    """

    spec: CandidateSpec
    path: str
    accuracy: float
    simulated_accuracy: float
    top1_agreement: float
    size_bytes: int
    latency_ms: float
    seconds: float
    qat_epochs: int = 0

    def point(self) -> ParetoPoint:
        """This candidate as a point for the Pareto frontier."""
        counts: dict[str, int] = {}
        for precision in self.spec.keep_float.values():
            counts[precision.value] = counts.get(precision.value, 0) + 1
        return ParetoPoint(self.spec.name, self.accuracy, self.size_bytes, self.latency_ms,
                           counts, agreement=self.top1_agreement)


class OptimizationWorkspace(Protocol):
    """An opened model with its calibration and held-out data, ranges calibrated once."""

    model_name: str
    fp32_path: str
    baseline_accuracy: float
    fp32_size_bytes: int
    fp32_latency_ms: float
    layers: tuple[LayerInfo, ...]
    runtime: str
    vnni: bool
    calibration_samples: int
    heldout_samples: int

    def measure_layer(self, layer: str, *, all_but_one: bool = True) -> LayerSensitivity:
        """Measure what quantizing ``layer`` costs, deployed and in simulation.

        Quantizes only ``layer`` and, when asked, every layer but it.
        """
        ...

    def build(self, spec: CandidateSpec) -> CandidateResult:
        """Build a candidate from the calibrated ranges and measure it."""
        ...

    def train_qat(self, spec: CandidateSpec, epochs: int) -> CandidateResult:
        """Fine-tune with fake-quant nodes for ``epochs`` and export to QDQ ONNX."""
        ...

    def plot_frontier(self, points: Sequence[ParetoPoint], chosen: str, path: str) -> None:
        """Draw accuracy against size (latency as colour) and mark the chosen point."""
        ...

    def environment(self) -> dict[str, Any]:
        """Library versions, CPU flags, opset and settings, for the export report."""
        ...

    def close(self) -> None:
        """Remove temporary files."""
        ...


class QuantizationToolkit(Protocol):
    """Opens models and calibration data for optimization (implemented by the torch plugin)."""

    def open(self, source: ModelSource, calibration: str, workdir: str, *,
             runtime: InferenceBackend, device: str = "cpu", calibration_samples: int = 256,
             seed: int = 0) -> OptimizationWorkspace:
        """Load the model and data, export FP32 ONNX and calibrate.

        Raises:
            InvalidInput: the checkpoint is corrupt, or the calibration data is unreadable or
                does not fit the model (the message says which and how).
        """
        ...


@dataclass(frozen=True, slots=True)
class VerificationRun:
    """Everything measured when verifying a deployed model against its FP32 reference.

    Attributes:
        reference_accuracy, deployed_accuracy: top-1 accuracy (%) on the held-out split.
        top1_agreement: share (0-1) of matching top-1 classes.
        max_abs_logit_diff: largest absolute logit difference.
        nonfinite_outputs: NaN/Inf values in the deployed outputs.
        samples: held-out samples compared.
        smoke: single-batch forward of one sample succeeded with finite outputs.
        latency_ms: ``{"batch_1": {"p50":..,"p95":..,"p99":.., "reference_p50":..,
            "ratio_p50":..}, "batch_64": {...}}``: the deployed model's percentiles and the
            FP32 reference's, timed in alternation.
        peak_memory_bytes: peak resident memory growth while loading and running.
        size: ``{"total":.., "weights":.., "scales":.., "biases":.., "graph":..}`` in bytes.
        operators: operator type -> count in the deployed graph.
        opset: the graph's default-domain opset.
        per_class_recall: class label -> the deployed model's recall (0-1) on the held-out split.
        class_support: class label -> held-out samples of that class.
        noise: the deployed model's accuracy under additive Gaussian input noise.
        input_contract: the contract the input guard enforced (ML-AEB-005).
        input_range: the smallest and largest value seen in the reference data.
        input_validation: the guard's probes and how it handled each.
        dataset: the split's facts, None when the data file does not declare its split.
        dataset_reason: why ``dataset`` is None.
        latency_pairs: per batch (``"batch_1"``…), ``(reference_ms, deployed_ms)`` of each
            timed iteration, the two models run in alternation on the same runtime.
        latency_warmup: untimed runs of each model before those iterations.
    """

    reference_accuracy: float
    deployed_accuracy: float
    top1_agreement: float
    max_abs_logit_diff: float
    nonfinite_outputs: int
    samples: int
    smoke: bool
    latency_ms: Mapping[str, Mapping[str, float]]
    peak_memory_bytes: int
    size: Mapping[str, int]
    operators: Mapping[str, int]
    opset: int
    per_class_recall: Mapping[str, float] = field(default_factory=dict)
    class_support: Mapping[str, int] = field(default_factory=dict)
    noise: NoiseRobustness | None = None
    input_contract: InputContract | None = None
    input_range: tuple[float, float] | None = None
    input_validation: tuple[InputValidationCase, ...] = ()
    dataset: DatasetFacts | None = None
    dataset_reason: str = "the data file does not declare how it was split"
    latency_pairs: Mapping[str, tuple[tuple[float, float], ...]] = field(default_factory=dict)
    latency_warmup: int = 0


class DeploymentVerifier(Protocol):
    """Runs reference and deployed models on the held-out split and measures them."""

    def measure(self, reference_path: str, deployed_path: str, data_path: str, *,
                runtime: InferenceBackend, device: str = "cpu", latency_runs: int = 50,
                deployed_options: Mapping[str, Any] | None = None,
                noise_sigma: float = 0.1) -> VerificationRun:
        """Measure the deployed model against the reference on ``runtime``.

        ``deployed_options`` go to ``runtime.load`` for the deployed model only (for example
        ``{"precision": "fp16"}``); the reference always loads with the runtime's defaults.
        ``noise_sigma`` is the standard deviation of the input noise of the robustness
        measurement, as a share of the reference data's value range.

        Raises:
            InvalidInput: a model or the data cannot be read.
        """
        ...
