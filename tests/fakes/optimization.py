"""Scripted stand-ins for the optimization ports: canned measurements, real files."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.inference import API_VERSION, Capabilities, ProbeResult
from edgedeploy.application.ports.optimization import (
    CandidateResult,
    CandidateSpec,
    LayerInfo,
    ModelSource,
    VerificationRun,
)
from edgedeploy.domain.input_contract import InputContract
from edgedeploy.domain.quantization import LayerSensitivity, ParetoPoint, Precision
from edgedeploy.domain.verification import DatasetFacts, InputValidationCase, NoiseRobustness

Scorer = Callable[[CandidateSpec], float]


@dataclass
class ScriptedWorkspace:
    """A model whose layer costs are given: the accuracy of a candidate is the baseline less
    the deployed drops of its INT8 layers (drops add up, as a first approximation)."""

    workdir: Path
    drops: Mapping[str, float]
    baseline_accuracy: float = 98.0
    vnni: bool = True
    simulated_drops: Mapping[str, float] = field(default_factory=dict)
    qat_accuracy: float | None = None
    model_name: str = "scripted"
    runtime: str = "onnxruntime"
    fp32_size_bytes: int = 8000
    fp32_latency_ms: float = 40.0
    calibration_samples: int = 256
    heldout_samples: int = 540
    built: list[str] = field(default_factory=list)
    measured: list[str] = field(default_factory=list)
    closed: bool = False

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.fp32_path = str(self.workdir / "fp32.onnx")
        Path(self.fp32_path).write_bytes(b"fp32" * 1000)
        self.layers = tuple(LayerInfo(name, "Conv", 1000) for name in self.drops)

    def measure_layer(self, layer: str, *, all_but_one: bool = True) -> LayerSensitivity:
        self.measured.append(layer)
        rest = sum(d for name, d in self.drops.items() if name != layer)
        return LayerSensitivity(layer, "Conv", 1000, self.drops[layer],
                                self.simulated_drops.get(layer, self.drops[layer]),
                                40.0 - self.drops[layer], 40.0, rest if all_but_one else None,
                                seconds=0.01)

    def _accuracy(self, spec: CandidateSpec) -> float:
        if spec.all_float is not None:
            return self.baseline_accuracy
        return self.baseline_accuracy - sum(d for name, d in self.drops.items()
                                            if name not in spec.keep_float)

    def _result(self, spec: CandidateSpec, accuracy: float, qat_epochs: int = 0) -> CandidateResult:
        self.built.append(spec.name)
        if spec.all_float is Precision.FP32:
            size = self.fp32_size_bytes
        elif spec.all_float is Precision.FP16:
            size = self.fp32_size_bytes // 2
        else:
            size = 1000 + 750 * len(spec.keep_float)
        path = self.workdir / f"{spec.name}.onnx"
        path.write_bytes(b"q" * size)
        return CandidateResult(spec, str(path), accuracy, accuracy,
                               1.0 if accuracy >= self.baseline_accuracy - 0.5 else 0.9,
                               size, 10.0 + len(spec.keep_float), 0.01, qat_epochs)

    def build(self, spec: CandidateSpec) -> CandidateResult:
        return self._result(spec, self._accuracy(spec))

    def train_qat(self, spec: CandidateSpec, epochs: int) -> CandidateResult:
        accuracy = self.qat_accuracy if self.qat_accuracy is not None else self._accuracy(spec)
        return self._result(spec, accuracy, qat_epochs=epochs)

    def plot_frontier(self, points: Sequence[ParetoPoint], chosen: str, path: str) -> None:
        Path(path).write_bytes(b"\x89PNG scripted " + chosen.encode())

    def environment(self) -> dict[str, Any]:
        return {"versions": {"scripted": "1"}, "vnni": self.vnni, "opset": 17}

    def close(self) -> None:
        self.closed = True


class ScriptedQuantizationToolkit:
    """Opens a scripted workspace, or refuses a source the test marked as corrupt."""

    def __init__(self, drops: Mapping[str, float], **workspace: Any) -> None:
        self.drops = drops
        self.workspace_args = workspace
        self.workspace: ScriptedWorkspace | None = None
        self.refuse: dict[str, str] = {}

    def open(self, source: ModelSource, calibration: str, workdir: str, *, runtime: Any = None,
             device: str = "cpu", calibration_samples: int = 256,
             seed: int = 0) -> ScriptedWorkspace:
        for path in (source.path, calibration):
            if path in self.refuse:
                raise InvalidInput(self.refuse[path])
        self.workspace = ScriptedWorkspace(Path(workdir), self.drops, **self.workspace_args)
        return self.workspace


class ScriptedInferenceBackend:
    """A backend that runs nothing but answers coverage questions as told."""

    def __init__(self, name: str = "onnxruntime", unsupported: Sequence[str] = ()) -> None:
        self.capabilities = Capabilities(API_VERSION, name, frozenset({"onnx"}),
                                         frozenset({"fp32", "int8"}), frozenset({"cpu"}))
        self.unsupported = list(unsupported)

    def probe(self) -> ProbeResult:
        return ProbeResult(True, "scripted", frozenset({"cpu"}))

    def load(self, model_path: str, *, device: str = "cpu",
             options: Mapping[str, Any] | None = None) -> Any:
        raise NotImplementedError("the scripted backend only answers coverage questions")

    def unsupported_operators(self, model_path: str, *, device: str = "cpu") -> list[str]:
        return list(self.unsupported)


PROBES = ("valid_batch", "wrong_shape", "nan", "inf", "far_above_range", "far_below_range",
          "wrong_dtype")


def guard_cases(leaks: Sequence[str] = ()) -> tuple[InputValidationCase, ...]:
    """Probes a guard handled as required, except those in ``leaks``, which it let through."""
    return tuple(InputValidationCase(name, name != "valid_batch",
                                     name != "valid_batch" and name not in leaks,
                                     "scripted") for name in PROBES)


def dataset_facts(overlap: int = 0, share: float = 0.3, calibration: int = 256,
                  calibration_classes: int = 10) -> DatasetFacts:
    """Facts of a ten-class split, sound unless told otherwise."""
    classes = tuple(str(c) for c in range(10))
    return DatasetFacts(overlap, overlap, 0, dict.fromkeys(classes, share), calibration,
                        classes[:calibration_classes], classes)


class ScriptedDeploymentVerifier:
    """Returns the run the test scripted."""

    def __init__(self, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "reference_accuracy": 98.0, "deployed_accuracy": 97.8, "top1_agreement": 0.996,
            "max_abs_logit_diff": 0.7, "nonfinite_outputs": 0, "samples": 540, "smoke": True,
            "latency_ms": {"batch_1": {"p50": 0.2, "p95": 0.3, "p99": 0.4},
                           "batch_64": {"p50": 9.0, "p95": 10.0, "p99": 11.0}},
            "peak_memory_bytes": 1 << 20,
            "size": {"weights": 900, "scales": 40, "biases": 20, "graph": 40, "total": 1000},
            "operators": {"QuantizeLinear": 3, "DequantizeLinear": 5, "Conv": 2}, "opset": 17,
            "per_class_recall": {str(c): 0.97 + c / 1000 for c in range(10)},
            "class_support": {str(c): 54 for c in range(10)},
            "noise": NoiseRobustness(0.1, 0.1, 7, 97.8, 97.0, 97.4),
            "input_contract": InputContract((None, 1, 32, 32), "float32", -0.5, 1.5),
            "input_range": (0.0, 1.0), "input_validation": guard_cases(),
            "dataset": dataset_facts()}
        values.update(overrides)
        self.run = VerificationRun(**values)
        self.calls: list[tuple[str, str]] = []
        self.noise_sigmas: list[float] = []

    def measure(self, reference_path: str, deployed_path: str, data_path: str, *,
                runtime: Any, device: str = "cpu", latency_runs: int = 50,
                deployed_options: Mapping[str, Any] | None = None,
                noise_sigma: float = 0.1) -> VerificationRun:
        self.calls.append((reference_path, deployed_path))
        self.noise_sigmas.append(noise_sigma)
        return self.run
