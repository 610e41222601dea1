"""OptimizeModel: sensitivity-guided mixed-precision quantization under an accuracy budget.

The flow (REQ ML-QUANT-001..004): open the model and calibrate once; refuse a graph the target
runtime cannot run, naming the operator; measure every layer's sensitivity on the deployed
runtime and in simulation; start from all-INT8 and hold the most harmful layers in float, one
at a time, until the deployed accuracy is within budget; fall back to quantization-aware training
when asked and post-training quantization misses; then put every candidate (all-INT8, mixed,
QAT, FP16, FP32) on an accuracy/size/latency Pareto frontier and choose the smallest point within
budget. Nothing is registered here: the caller registers the returned model if it wants to.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from edgedeploy.application.errors import CapabilityNotSupported, InvalidInput
from edgedeploy.application.optimization.progress import Progress, silent
from edgedeploy.application.optimization.reports import file_digest, store_file, write_json
from edgedeploy.application.ports.inference import InferenceBackend
from edgedeploy.application.ports.optimization import (
    CandidateResult,
    CandidateSpec,
    ModelSource,
    OptimizationWorkspace,
    QuantizationToolkit,
)
from edgedeploy.application.ports.system import EvidenceStore
from edgedeploy.domain.quantization import (
    DEFAULT_ACCURACY_BUDGET,
    LayerDecision,
    LayerSensitivity,
    Precision,
    QuantizationPlan,
    choose_point,
    decide_layers,
    rank_by_sensitivity,
    within_accuracy_budget,
)

_log = structlog.get_logger(__name__)


class UnsupportedOperator(CapabilityNotSupported):
    """The model holds an operator the target runtime cannot run; the message names it."""

    code = "UNSUPPORTED_OPERATOR"

    def __init__(self, operators: list[str], runtime: str, model: str) -> None:
        self.operators, self.runtime, self.model = operators, runtime, model
        also = f" (also: {', '.join(operators[1:])})" if len(operators) > 1 else ""
        super().__init__(f"operator {operators[0]} in {model} is not supported by "
                         f"{runtime}{also}")


class UnsafeModelFile(InvalidInput):
    """A model file's pickles import a global that could run code; it is never loaded.

    Attributes:
        path: the refused file.
        globals: ``module.name`` of every offending global, the first one named in the message.
    """

    code = "UNSAFE_MODEL_FILE"

    def __init__(self, path: str, globals_: list[str]) -> None:
        self.path, self.globals = path, list(globals_)
        also = f" (and {len(globals_) - 1} more)" if len(globals_) > 1 else ""
        super().__init__(f"model file {path} is refused: it imports the global "
                         f"{globals_[0]}{also}, which could run code when loaded")


def check_operator_coverage(runtime: InferenceBackend, model_path: str, device: str,
                            model: str) -> None:
    """Fail fast on the first operator ``runtime`` cannot run.

    Raises:
        UnsupportedOperator: naming every operator the runtime lacks, the first one first.
    """
    missing = runtime.unsupported_operators(model_path, device=device)
    if missing:
        raise UnsupportedOperator(missing, runtime.capabilities.name, model)


@dataclass(frozen=True, slots=True)
class OptimizeRequest:
    """What to optimize and under which constraints.

    Attributes:
        source: the PyTorch model.
        calibration: ``.npz`` with ``inputs``/``labels`` (and optionally a held-out split).
        output_dir: where the model, reports and plot are written.
        budget: accuracy points the deployed model may lose (default 0.5).
        device: the target device on the runtime.
        qat_epochs: epochs of quantization-aware training when all-INT8 post-training
            quantization misses the budget (0 disables it).
        calibration_samples: stratified calibration sample size (100-500 recommended).
        min_agreement: share of held-out samples whose top-1 class must match FP32.
        seed: for sampling and training.
    """

    source: ModelSource
    calibration: str
    output_dir: str
    budget: float = DEFAULT_ACCURACY_BUDGET
    device: str = "cpu"
    qat_epochs: int = 0
    calibration_samples: int = 256
    min_agreement: float = 0.99
    seed: int = 0

    def __post_init__(self) -> None:
        if self.budget < 0:
            raise InvalidInput(f"accuracy budget {self.budget} must be >= 0 points")
        if self.qat_epochs < 0:
            raise InvalidInput("QAT epochs cannot be negative")


@dataclass(frozen=True, slots=True)
class OptimizationResult:
    """The plan, the measurements behind it and where everything was written.

    Attributes:
        plan: per-layer precisions with reasons, and the Pareto point chosen.
        sensitivities: one per layer, graph order.
        candidates: every candidate built and measured.
        model_path: the chosen model (``<output>/model.onnx``).
        reference_path: the FP32 reference (``<output>/reference_fp32.onnx``).
        artifacts: name -> path of every file written.
        digests: name -> ``sha256:<hex>`` of every file written (as stored as evidence).
        timings: seconds per stage.
    """

    plan: QuantizationPlan
    sensitivities: tuple[LayerSensitivity, ...]
    candidates: tuple[CandidateResult, ...]
    model_path: str
    reference_path: str
    artifacts: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    source_scan: dict[str, Any] = field(default_factory=dict)

    @property
    def chosen(self) -> CandidateResult:
        """The candidate the plan chose."""
        return next(c for c in self.candidates if c.spec.name == self.plan.chosen.name)


class OptimizeModel:
    """Quantize a model under an accuracy budget, with a reason for every layer."""

    def __init__(self, toolkit: QuantizationToolkit, runtime: InferenceBackend,
                 evidence: EvidenceStore | None = None, *,
                 provenance: Mapping[str, str] | None = None) -> None:
        """Optimize for ``runtime``.

        Args:
            toolkit: quantization, export and measurement.
            runtime: the target runtime candidates are measured on.
            evidence: where reports and models are kept by digest.
            provenance: which plugin ``runtime`` is (distribution, version, entry point); it
                goes into the export report and onto the registered model's trace item.
        """
        self._toolkit, self._runtime, self._evidence = toolkit, runtime, evidence
        self._provenance = dict(provenance or {})

    @property
    def provenance(self) -> dict[str, str]:
        """Which plugin the target runtime is (empty when not loaded through the registry)."""
        return dict(self._provenance)

    def __call__(self, request: OptimizeRequest,
                 progress: Progress = silent) -> OptimizationResult:
        """Run the whole optimization; see the module docstring for the flow.

        Raises:
            InvalidInput: corrupt checkpoint or mis-shaped calibration data (nothing written).
            UnsupportedOperator: the target runtime cannot run an operator of the model.
            CapabilityNotSupported: the runtime or device cannot be targeted.
        """
        timings: dict[str, float] = {}
        started = time.perf_counter()
        out = Path(request.output_dir)
        progress("load", 0.0)
        ws = self._toolkit.open(request.source, request.calibration, str(out / "work"),
                                runtime=self._runtime, device=request.device,
                                calibration_samples=request.calibration_samples,
                                seed=request.seed)
        try:
            timings["load_and_calibrate"] = time.perf_counter() - started
            progress("load", 1.0)
            check_operator_coverage(self._runtime, ws.fp32_path, request.device, ws.model_name)
            if self._runtime.capabilities.name != ws.runtime:
                raise CapabilityNotSupported(
                    f"candidates are measured on {ws.runtime}; the target runtime "
                    f"'{self._runtime.capabilities.name}' cannot be optimized for yet")
            sensitivities = self._sensitivities(ws, progress, timings)
            candidates, qat_seconds = self._candidates(ws, request, sensitivities, progress,
                                                       timings)
            plan = self._plan(ws, request, sensitivities, candidates)
            timings["optimize_without_training"] = (time.perf_counter() - started
                                                    - qat_seconds)
            timings["qat"] = qat_seconds
            result = self._write(ws, request, plan, sensitivities, candidates, timings, progress)
        finally:
            ws.close()
        _log.info("optimize.done", model=ws.model_name, chosen=plan.chosen.name,
                  accuracy=plan.expected_accuracy, baseline=plan.baseline_accuracy,
                  size_ratio=round(plan.size_ratio, 2))
        return result

    @staticmethod
    def _sensitivities(ws: OptimizationWorkspace, progress: Progress,
                       timings: dict[str, float]) -> tuple[LayerSensitivity, ...]:
        start = time.perf_counter()
        found: list[LayerSensitivity] = []
        for i, layer in enumerate(ws.layers):
            found.append(ws.measure_layer(layer.name))
            progress("sensitivity", (i + 1) / len(ws.layers))
        timings["sensitivity"] = time.perf_counter() - start
        timings["sensitivity_max_per_layer"] = max(s.seconds for s in found)
        for s in found:
            if s.divergent:
                _log.warning("optimize.divergent_layer", layer=s.layer,
                             deployed_drop=s.deployed_drop, simulated_drop=s.simulated_drop)
        return tuple(found)

    def _candidates(self, ws: OptimizationWorkspace, request: OptimizeRequest,
                    sensitivities: tuple[LayerSensitivity, ...], progress: Progress,
                    timings: dict[str, float]) -> tuple[list[CandidateResult], float]:
        start = time.perf_counter()
        base = ws.baseline_accuracy

        def fits(c: CandidateResult) -> bool:
            return (within_accuracy_budget(base, c.accuracy, request.budget)
                    and c.top1_agreement >= request.min_agreement)

        float_precision = Precision.FP16 if request.device == "cuda" else Precision.FP32
        current = ws.build(CandidateSpec("all-int8"))
        candidates = [current]
        keep: dict[str, Precision] = {}
        ranked = rank_by_sensitivity(sensitivities)
        for i, layer in enumerate(ranked, start=1):
            if fits(current):
                break
            keep[layer.layer] = float_precision
            current = ws.build(CandidateSpec(f"mixed-{i}", dict(keep)))
            candidates.append(current)
            progress("plan", i / len(ranked))
        if not ws.vnni:
            # Without VNNI, 8-bit kernels may saturate: measure 7-bit weights as an alternative
            # to holding layers in float, and let the frontier decide.
            candidates.append(ws.build(CandidateSpec("all-int8-reduced-range",
                                                     reduced_range=True)))
            if keep:
                candidates.append(ws.build(CandidateSpec(f"mixed-{len(keep)}-reduced-range",
                                                         dict(keep), reduced_range=True)))
        progress("plan", 1.0)
        timings["plan_search"] = time.perf_counter() - start
        qat_seconds = 0.0
        # QAT recovers a fully INT8 model; it competes with the mixed candidates on the frontier.
        if request.qat_epochs and not fits(candidates[0]):
            qat_start = time.perf_counter()
            progress("qat", 0.0)
            candidates.append(ws.train_qat(CandidateSpec("qat"), request.qat_epochs))
            qat_seconds = time.perf_counter() - qat_start
            progress("qat", 1.0)
        candidates.append(ws.build(CandidateSpec("fp16", all_float=Precision.FP16)))
        candidates.append(ws.build(CandidateSpec("fp32", all_float=Precision.FP32)))
        progress("candidates", 1.0)
        return candidates, qat_seconds

    @staticmethod
    def _plan(ws: OptimizationWorkspace, request: OptimizeRequest,
              sensitivities: tuple[LayerSensitivity, ...],
              candidates: list[CandidateResult]) -> QuantizationPlan:
        points = tuple(c.point() for c in candidates)
        chosen_point, why = choose_point(points, ws.baseline_accuracy, request.budget,
                                         request.min_agreement)
        chosen = next(c for c in candidates if c.spec.name == chosen_point.name)
        if chosen.spec.all_float is not None:
            precision = chosen.spec.all_float
            decisions = tuple(LayerDecision(
                s.layer, precision,
                f"whole model in {precision.value}: no INT8 candidate met the "
                f"{request.budget:g}-point budget and {request.min_agreement:g} agreement")
                for s in sensitivities)
        else:
            decisions = decide_layers(
                sensitivities, chosen.spec.keep_float, budget=request.budget,
                runtime=ws.runtime,
                reduced_range=frozenset(s.layer for s in sensitivities
                                        if chosen.spec.reduced_range
                                        and s.layer not in chosen.spec.keep_float))
            if chosen.qat_epochs:
                decisions = tuple(LayerDecision(
                    d.layer, d.precision,
                    d.reason + f"; weights fine-tuned by {chosen.qat_epochs} epochs of "
                    "quantization-aware training", d.reduced_range) for d in decisions)
        return QuantizationPlan(
            model=ws.model_name, runtime=ws.runtime, decisions=decisions,
            baseline_accuracy=ws.baseline_accuracy, expected_accuracy=chosen.accuracy,
            budget=request.budget, fp32_size_bytes=ws.fp32_size_bytes,
            expected_size_bytes=chosen.size_bytes, chosen=chosen_point, rationale=why,
            candidates=points, qat_epochs=chosen.qat_epochs)

    def _write(self, ws: OptimizationWorkspace, request: OptimizeRequest,
               plan: QuantizationPlan, sensitivities: tuple[LayerSensitivity, ...],
               candidates: list[CandidateResult], timings: dict[str, float],
               progress: Progress) -> OptimizationResult:
        progress("report", 0.0)
        out = Path(request.output_dir)
        chosen = next(c for c in candidates if c.spec.name == plan.chosen.name)
        model_path = out / "model.onnx"
        reference_path = out / "reference_fp32.onnx"
        shutil.copyfile(chosen.path, model_path)
        shutil.copyfile(ws.fp32_path, reference_path)
        plot_path = out / "pareto.png"
        ws.plot_frontier(plan.candidates, plan.chosen.name, str(plot_path))
        artifacts = {"model": str(model_path), "reference": str(reference_path),
                     "pareto_plot": str(plot_path)}
        digests = {name: store_file(Path(path), self._evidence)
                   for name, path in artifacts.items()}
        pareto = {"baseline_accuracy": ws.baseline_accuracy, "budget_points": request.budget,
                  "candidates": [p.to_dict() for p in plan.candidates],
                  "frontier": plan.to_dict()["pareto_frontier"],
                  "chosen": plan.chosen.name, "why": plan.rationale}
        digests["pareto"] = write_json(pareto, out / "pareto.json", self._evidence)
        artifacts["pareto"] = str(out / "pareto.json")
        report = export_report(ws, request, plan, sensitivities, candidates, timings, digests)
        report["plugin"] = dict(self._provenance)
        digests["export_report"] = write_json(report, out / "export_report.json",
                                              self._evidence)
        artifacts["export_report"] = str(out / "export_report.json")
        progress("report", 1.0)
        return OptimizationResult(plan, sensitivities, tuple(candidates), str(model_path),
                                  str(reference_path), artifacts, digests, dict(timings),
                                  dict(report["source"].get("scan") or {}))


def export_report(ws: OptimizationWorkspace, request: OptimizeRequest, plan: QuantizationPlan,
                  sensitivities: tuple[LayerSensitivity, ...],
                  candidates: list[CandidateResult], timings: dict[str, float],
                  digests: dict[str, str]) -> dict[str, Any]:
    """``export_report.json``: versions, flags, per-layer precisions, opset, benchmarks, digests.

    The model file's pickle scan, when the toolkit made one, is part of the source's record.
    """
    environment = dict(ws.environment())
    scan = environment.pop("model_file_scan", None)
    return {
        "schema": "edgedeploy.export_report/1",
        "model": ws.model_name,
        "source": {"path": request.source.path, "module": request.source.module,
                   "sha256": file_digest(request.source.path), "scan": scan},
        "calibration": {"path": request.calibration, "sha256": file_digest(request.calibration),
                        "samples": ws.calibration_samples, "heldout": ws.heldout_samples,
                        "sampling": "stratified over classes (and slice tags when given)"},
        "flags": {"budget_points": request.budget, "device": request.device,
                  "qat_epochs": request.qat_epochs, "min_agreement": request.min_agreement,
                  "seed": request.seed},
        "environment": environment,
        "runtime": ws.runtime,
        "operator_coverage": {"runtime": ws.runtime, "unsupported": []},
        "plan": plan.to_dict(),
        "sensitivity": [s.to_dict() for s in sensitivities],
        "divergent_layers": [s.layer for s in sensitivities if s.divergent],
        "microbenchmarks": {
            "fp32_p50_ms_batch64": ws.fp32_latency_ms,
            "candidates": [{"name": c.spec.name, "accuracy": c.accuracy,
                            "simulated_accuracy": c.simulated_accuracy,
                            "top1_agreement": c.top1_agreement, "size_bytes": c.size_bytes,
                            "p50_ms_batch64": c.latency_ms, "build_seconds": c.seconds,
                            "qat_epochs": c.qat_epochs} for c in candidates],
        },
        "timings_seconds": timings,
        "digests": digests,
    }
