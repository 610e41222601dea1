"""Quantization decisions: per-layer precisions, the accuracy budget and the Pareto choice.

The ML work (calibration, sensitivity measurement, export) happens in plugins; this module holds
the rules that decide from the measurements, so that they can be read, tested and audited without
a framework. Accuracies are percentages (0-100) and drops are in percentage points.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edgedeploy.domain.errors import InvariantViolation

DEFAULT_ACCURACY_BUDGET = 0.5
"""Points of top-1 accuracy a quantized model may lose against FP32 (REQ ML-QUANT-001)."""

DIVERGENCE_POINTS = 1.0
"""Deployed and simulated single-layer drops further apart than this flag a layer."""

DIVERGENCE_SQNR_DB = 10.0
"""Deployed and simulated output SQNR further apart than this also flag a layer."""


class Precision(enum.StrEnum):
    """Numeric precision a layer runs in."""

    INT8 = "int8"
    FP16 = "fp16"
    FP32 = "fp32"

    @property
    def bits(self) -> int:
        """Bits per weight."""
        return {"int8": 8, "fp16": 16, "fp32": 32}[self.value]


class InvalidQuantizationPlan(InvariantViolation):
    """A plan is malformed: no layers, a layer twice, impossible sizes or accuracies."""

    code = "QUANTIZATION_PLAN_INVALID"


class AccuracyBudgetExceeded(InvariantViolation):
    """A quantized model loses more accuracy than the budget allows (REQ ML-QUANT-001)."""

    code = "ACCURACY_BUDGET_EXCEEDED"

    def __init__(self, baseline: float, candidate: float, budget: float) -> None:
        self.baseline, self.candidate, self.budget = baseline, candidate, budget
        super().__init__(
            f"accuracy {candidate:.2f}% is {baseline - candidate:.2f} points below the FP32 "
            f"{baseline:.2f}%, over the {budget:g}-point budget")


def _check_percent(name: str, value: float) -> None:
    if not (math.isfinite(value) and 0.0 <= value <= 100.0):
        raise InvalidQuantizationPlan(f"{name} {value} is not a percentage between 0 and 100")


def accuracy_drop(baseline: float, candidate: float) -> float:
    """Points lost from ``baseline`` to ``candidate`` (negative when the candidate is better)."""
    return baseline - candidate


def within_accuracy_budget(baseline: float, candidate: float,
                           budget: float = DEFAULT_ACCURACY_BUDGET) -> bool:
    """True when ``candidate`` is at most ``budget`` points below ``baseline``.

    A tolerance of 1e-9 keeps a drop of exactly the budget (0.5 of 100 test images) inside it.
    """
    return accuracy_drop(baseline, candidate) <= budget + 1e-9


def check_accuracy_budget(baseline: float, candidate: float,
                          budget: float = DEFAULT_ACCURACY_BUDGET) -> None:
    """The accuracy-budget rule (REQ ML-QUANT-001).

    Raises:
        InvalidQuantizationPlan: the budget is negative or an accuracy is not a percentage.
        AccuracyBudgetExceeded: the candidate loses more than ``budget`` points.
    """
    if not (math.isfinite(budget) and budget >= 0.0):
        raise InvalidQuantizationPlan(f"accuracy budget {budget} must be >= 0 points")
    _check_percent("baseline accuracy", baseline)
    _check_percent("candidate accuracy", candidate)
    if not within_accuracy_budget(baseline, candidate, budget):
        raise AccuracyBudgetExceeded(baseline, candidate, budget)


@dataclass(frozen=True, slots=True)
class LayerSensitivity:
    """How much quantizing one layer costs, on the deployed runtime and in simulation.

    Attributes:
        layer: the layer's name in the exported graph.
        op_type: the operator (Conv, Gemm, MatMul).
        params: weight elements in the layer.
        deployed_drop: points lost with only this layer INT8, on the deployed runtime with its
            graph optimizations (fused integer kernels) on.
        simulated_drop: the same with QuantizeLinear/DequantizeLinear executed literally.
        deployed_sqnr_db: output signal-to-quantization-noise ratio on the deployed runtime.
        simulated_sqnr_db: the same in simulation.
        all_but_one_drop: points lost with every other layer INT8 and this one in float, or
            None when not measured; a layer whose exclusion recovers most is the culprit.
        seconds: wall time of the measurement.
    """

    layer: str
    op_type: str
    params: int
    deployed_drop: float
    simulated_drop: float
    deployed_sqnr_db: float
    simulated_sqnr_db: float
    all_but_one_drop: float | None = None
    seconds: float = 0.0

    @property
    def divergent(self) -> bool:
        """True when the deployed result departs from simulation (the fused-kernel trap)."""
        sqnr_gap = abs(_finite(self.deployed_sqnr_db) - _finite(self.simulated_sqnr_db))
        return (abs(self.deployed_drop - self.simulated_drop) > DIVERGENCE_POINTS
                or sqnr_gap > DIVERGENCE_SQNR_DB)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"layer": self.layer, "op_type": self.op_type, "params": self.params,
                "deployed_drop": self.deployed_drop, "simulated_drop": self.simulated_drop,
                "deployed_sqnr_db": _finite(self.deployed_sqnr_db),
                "simulated_sqnr_db": _finite(self.simulated_sqnr_db),
                "all_but_one_drop": self.all_but_one_drop, "divergent": self.divergent,
                "seconds": self.seconds}


def _finite(value: float, cap: float = 200.0) -> float:
    """SQNR is infinite for an exact output; cap it so reports stay valid JSON."""
    return cap if math.isinf(value) or math.isnan(value) else min(value, cap)


def rank_by_sensitivity(sensitivities: Iterable[LayerSensitivity]) -> list[LayerSensitivity]:
    """Most harmful layer first.

    Harm is the deployed single-layer drop, less the drop that remains when every other layer
    is INT8 and this one is not (when measured): the culprit costs much alone and leaves little
    behind once excluded. Ties fall to the lower deployed SQNR.
    """
    def harm(s: LayerSensitivity) -> tuple[float, float]:
        return (s.deployed_drop - (s.all_but_one_drop or 0.0), -_finite(s.deployed_sqnr_db))

    return sorted(sensitivities, key=harm, reverse=True)


@dataclass(frozen=True, slots=True)
class LayerDecision:
    """The precision chosen for one layer and why, in words an auditor can check."""

    layer: str
    precision: Precision
    reason: str
    reduced_range: bool = False

    def __post_init__(self) -> None:
        if not self.layer:
            raise InvalidQuantizationPlan("a layer decision needs the layer's name")
        if not self.reason.strip():
            raise InvalidQuantizationPlan(f"the decision for layer {self.layer} gives no reason")

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"layer": self.layer, "precision": self.precision.value, "reason": self.reason,
                "reduced_range": self.reduced_range}


def decide_layers(sensitivities: Sequence[LayerSensitivity], keep_float: Mapping[str, Precision],
                  *, budget: float = DEFAULT_ACCURACY_BUDGET, runtime: str = "the runtime",
                  reduced_range: frozenset[str] = frozenset()) -> tuple[LayerDecision, ...]:
    """Turn measurements and the set of layers held in float into reasoned decisions.

    Args:
        sensitivities: one per quantizable layer, in graph order.
        keep_float: layers held out of INT8 and the float precision they keep.
        budget: the accuracy budget the plan was fitted to, quoted in the reasons.
        runtime: the deployed runtime's name, quoted in the reasons.
        reduced_range: INT8 layers whose weights use 7-bit (reduced) range.
    """
    decisions: list[LayerDecision] = []
    for s in sensitivities:
        evidence = (f"INT8 alone costs {s.deployed_drop:.2f} points on {runtime} "
                    f"({s.simulated_drop:.2f} in simulation), output SQNR "
                    f"{_finite(s.deployed_sqnr_db):.1f} dB")
        if s.all_but_one_drop is not None:
            evidence += f"; all other layers INT8 cost {s.all_but_one_drop:.2f} points"
        if s.divergent:
            evidence += "; the deployed result departs from simulation"
        if s.layer in keep_float:
            precision = keep_float[s.layer]
            reason = (f"sensitive: {evidence}; kept in {precision.value} to hold the "
                      f"{budget:g}-point budget")
            decisions.append(LayerDecision(s.layer, precision, reason))
        else:
            rr = s.layer in reduced_range
            reason = f"tolerant: {evidence}" + ("; 7-bit weights (reduced range)" if rr else "")
            decisions.append(LayerDecision(s.layer, Precision.INT8, reason, reduced_range=rr))
    return tuple(decisions)


@dataclass(frozen=True, slots=True)
class ParetoPoint:
    """One candidate model: how accurate, how large, how fast.

    Attributes:
        name: e.g. ``all-int8``, ``mixed-1``, ``fp16``, ``fp32``, ``qat``.
        accuracy: top-1 accuracy (%) on the deployed runtime.
        size_bytes: serialized model size.
        latency_ms: median latency at the reference batch size.
        precisions: how many layers are held in each float precision.
        agreement: share (0-1) of held-out samples whose top-1 class matches FP32.
    """

    name: str
    accuracy: float
    size_bytes: int
    latency_ms: float
    precisions: Mapping[str, int] = field(default_factory=dict)
    agreement: float = 1.0

    def dominates(self, other: ParetoPoint) -> bool:
        """At least as good on accuracy, size and latency, and better on one of them."""
        at_least = (self.accuracy >= other.accuracy and self.size_bytes <= other.size_bytes
                    and self.latency_ms <= other.latency_ms)
        better = (self.accuracy > other.accuracy or self.size_bytes < other.size_bytes
                  or self.latency_ms < other.latency_ms)
        return at_least and better

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports."""
        return {"name": self.name, "accuracy": self.accuracy, "size_bytes": self.size_bytes,
                "latency_ms": self.latency_ms, "precisions": dict(self.precisions),
                "agreement": self.agreement}


def pareto_frontier(points: Iterable[ParetoPoint]) -> tuple[ParetoPoint, ...]:
    """The points no other point dominates, smallest first."""
    pts = list(points)
    front = [p for p in pts if not any(q.dominates(p) for q in pts if q is not p)]
    return tuple(sorted(front, key=lambda p: (p.size_bytes, p.latency_ms, -p.accuracy)))


def choose_point(points: Iterable[ParetoPoint], baseline_accuracy: float,
                 budget: float = DEFAULT_ACCURACY_BUDGET,
                 min_agreement: float = 0.0) -> tuple[ParetoPoint, str]:
    """The smallest frontier point within the budget (then the fastest), and why.

    Only points that also agree with FP32 on at least ``min_agreement`` of samples qualify,
    so that a candidate cannot pass by trading errors on some samples for fixes on others.

    Raises:
        AccuracyBudgetExceeded: no candidate is within the budget.
    """
    pts = list(points)
    front = pareto_frontier(pts)
    # Qualify first, then take the frontier of what qualifies: a point dominated only by
    # candidates that fail the agreement rule must stay eligible.
    qualified = [p for p in pts if within_accuracy_budget(baseline_accuracy, p.accuracy, budget)
                 and p.agreement >= min_agreement]
    if not qualified:
        best = max(pts, key=lambda p: p.accuracy)
        raise AccuracyBudgetExceeded(baseline_accuracy, best.accuracy, budget)
    chosen = min(pareto_frontier(qualified),
                 key=lambda p: (p.size_bytes, p.latency_ms, -p.accuracy))
    why = (f"'{chosen.name}' is the smallest of the {len(front)} Pareto-optimal candidates "
           f"within the {budget:g}-point budget: {chosen.accuracy:.2f}% vs FP32 "
           f"{baseline_accuracy:.2f}%, {chosen.size_bytes} bytes, {chosen.latency_ms:.3f} ms")
    return chosen, why


@dataclass(frozen=True, slots=True)
class QuantizationPlan:
    """Per-layer precisions with reasons, the expected outcome and the Pareto point chosen.

    Invariants (checked on construction): at least one layer, each layer once, percentages in
    range, positive sizes, the chosen point among the candidates, and the expected accuracy
    within the budget of the FP32 baseline (REQ ML-QUANT-001).
    """

    model: str
    runtime: str
    decisions: tuple[LayerDecision, ...]
    baseline_accuracy: float
    expected_accuracy: float
    budget: float
    fp32_size_bytes: int
    expected_size_bytes: int
    chosen: ParetoPoint
    rationale: str
    candidates: tuple[ParetoPoint, ...] = ()
    qat_epochs: int = 0

    def __post_init__(self) -> None:
        if not self.decisions:
            raise InvalidQuantizationPlan(f"the plan for {self.model} has no layers")
        names = [d.layer for d in self.decisions]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InvalidQuantizationPlan(f"layers decided more than once: {', '.join(dupes)}")
        if self.fp32_size_bytes <= 0 or self.expected_size_bytes <= 0:
            raise InvalidQuantizationPlan("model sizes must be positive")
        if self.candidates and self.chosen not in self.candidates:
            raise InvalidQuantizationPlan(f"chosen point '{self.chosen.name}' is not a candidate")
        if self.qat_epochs < 0:
            raise InvalidQuantizationPlan("QAT epochs cannot be negative")
        check_accuracy_budget(self.baseline_accuracy, self.expected_accuracy, self.budget)

    def precision_of(self, layer: str) -> Precision:
        """The precision decided for ``layer``.

        Raises:
            InvalidQuantizationPlan: the plan has no such layer.
        """
        for d in self.decisions:
            if d.layer == layer:
                return d.precision
        raise InvalidQuantizationPlan(f"the plan has no layer '{layer}'")

    def counts(self) -> dict[str, int]:
        """How many layers run in each precision."""
        out = {p.value: 0 for p in Precision}
        for d in self.decisions:
            out[d.precision.value] += 1
        return out

    @property
    def size_ratio(self) -> float:
        """FP32 size over expected size (4.0 for a model entirely in INT8 weights)."""
        return self.fp32_size_bytes / self.expected_size_bytes

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``export_report.json``."""
        return {
            "model": self.model, "runtime": self.runtime, "budget_points": self.budget,
            "baseline_accuracy": self.baseline_accuracy,
            "expected_accuracy": self.expected_accuracy,
            "fp32_size_bytes": self.fp32_size_bytes,
            "expected_size_bytes": self.expected_size_bytes, "size_ratio": self.size_ratio,
            "precision_counts": self.counts(), "qat_epochs": self.qat_epochs,
            "layers": [d.to_dict() for d in self.decisions],
            "chosen": self.chosen.to_dict(), "rationale": self.rationale,
            "candidates": [p.to_dict() for p in self.candidates],
            "pareto_frontier": [p.name for p in pareto_frontier(self.candidates)],
        }
