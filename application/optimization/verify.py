"""VerifyModel: the deployed model against its FP32 reference on the held-out split (MLE.5).

Operator coverage is checked first and fails fast, naming the operator. The measurements then go
through the domain's verification rules; the verdict and every figure are written to
``verification_report.json``. The use case reports a failed verdict rather than raising, so the
caller can show every failed check; ``result.verdict.raise_if_failed`` refuses the model.

The report also carries the input contract the deployed component enforced (``input_contract``),
so an edge agent can enforce the same one (ML-AEB-005).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgedeploy.application.optimization.optimize import check_operator_coverage
from edgedeploy.application.optimization.progress import Progress, silent
from edgedeploy.application.optimization.reports import file_digest, write_json
from edgedeploy.application.ports.inference import InferenceBackend
from edgedeploy.application.ports.optimization import DeploymentVerifier, VerificationRun
from edgedeploy.application.ports.system import EvidenceStore
from edgedeploy.domain.verification import (
    InterleavedLatency,
    VerificationMeasurements,
    VerificationThresholds,
    VerificationVerdict,
    verify_deployment,
    worst_class,
)

REPORT_SCHEMA = "edgedeploy.verification_report/2"
"""Version 2 added per-class recall, noise robustness, input validation and dataset checks."""


@dataclass(frozen=True, slots=True)
class VerifyRequest:
    """What to verify.

    Attributes:
        model: a label for the report (e.g. ``name@version``).
        reference_path: the FP32 reference model.
        deployed_path: the model as it will be deployed.
        data_path: ``.npz`` with ``heldout_inputs``/``heldout_labels`` (or ``inputs``/``labels``).
        output_dir: where ``verification_report.json`` is written.
        device: the runtime device.
        thresholds: the limits of the verdict.
        latency_runs: timed runs per batch size, after warm-up.
        deployed_options: runtime options for the deployed model (e.g. ``precision``).
    """

    model: str
    reference_path: str
    deployed_path: str
    data_path: str
    output_dir: str
    device: str = "cpu"
    thresholds: VerificationThresholds = field(default_factory=VerificationThresholds)
    latency_runs: int = 50
    deployed_options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VerificationResult:
    """The verdict, the raw measurements, and the report written."""

    verdict: VerificationVerdict
    run: VerificationRun
    report: dict[str, Any]
    report_path: str
    report_digest: str

    @property
    def passed(self) -> bool:
        """True when every check passed and the smoke test ran."""
        return self.verdict.passed and self.run.smoke


class VerifyModel:
    """Verify a deployed model against its reference on the deployed runtime."""

    def __init__(self, verifier: DeploymentVerifier, runtime: InferenceBackend,
                 evidence: EvidenceStore | None = None, *,
                 provenance: Mapping[str, str] | None = None) -> None:
        """Verify on ``runtime``.

        Args:
            verifier: measures reference against deployed model.
            runtime: the deployed runtime.
            evidence: where the report is kept by digest.
            provenance: which plugin ``runtime`` is (distribution, version, entry point); it
                goes into the report, so the evidence names the code that measured.
        """
        self._verifier, self._runtime, self._evidence = verifier, runtime, evidence
        self._provenance = dict(provenance or {})

    def __call__(self, request: VerifyRequest,
                 progress: Progress = silent) -> VerificationResult:
        """Check coverage, measure, judge and write the report.

        Raises:
            UnsupportedOperator: the runtime cannot run an operator of the deployed model.
            InvalidInput: a model or the data cannot be read.
        """
        progress("operator coverage", 0.0)
        check_operator_coverage(self._runtime, request.deployed_path, request.device,
                                request.model)
        progress("operator coverage", 1.0)
        progress("measure", 0.0)
        run = self._verifier.measure(request.reference_path, request.deployed_path,
                                     request.data_path, runtime=self._runtime,
                                     device=request.device, latency_runs=request.latency_runs,
                                     deployed_options=request.deployed_options,
                                     noise_sigma=request.thresholds.noise_sigma)
        progress("measure", 1.0)
        measurements = VerificationMeasurements(
            reference_accuracy=run.reference_accuracy, deployed_accuracy=run.deployed_accuracy,
            top1_agreement=run.top1_agreement, max_abs_logit_diff=run.max_abs_logit_diff,
            nonfinite_outputs=run.nonfinite_outputs, samples=run.samples,
            latency_p99_ms=run.latency_ms.get("batch_1", {}).get("p99"),
            per_class_recall=run.per_class_recall or None, class_support=run.class_support,
            noise=run.noise, input_validation=run.input_validation or None,
            dataset=run.dataset, dataset_reason=run.dataset_reason,
            latency=_interleaved(run, "batch_1"))
        verdict = verify_deployment(measurements, request.thresholds)
        report = {
            "schema": REPORT_SCHEMA,
            "model": request.model,
            "runtime": self._runtime.capabilities.name,
            "plugin": dict(self._provenance),
            "device": request.device,
            "deployed_options": dict(request.deployed_options),
            "passed": verdict.passed and run.smoke,
            "verdict": verdict.to_dict(),
            "thresholds": request.thresholds.to_dict(),
            "deployed_runtime_accuracy": run.deployed_accuracy,
            "reference_accuracy": run.reference_accuracy,
            "top1_agreement": run.top1_agreement,
            "max_abs_logit_diff": run.max_abs_logit_diff,
            "nonfinite_outputs": run.nonfinite_outputs,
            "smoke_single_batch": run.smoke,
            "samples": run.samples,
            "latency_ms": {k: dict(v) for k, v in run.latency_ms.items()},
            "latency_interleaved": {
                key: lat.to_dict(request.thresholds.latency_confidence)
                for key in run.latency_pairs
                if (lat := _interleaved(run, key)) is not None},
            "peak_memory_bytes": run.peak_memory_bytes,
            "size_bytes": dict(run.size),
            "operators": dict(run.operators),
            "operator_coverage": {"runtime": self._runtime.capabilities.name,
                                  "unsupported": []},
            "opset": run.opset,
            **_requirement_sections(run),
            "digests": {"reference": file_digest(request.reference_path),
                        "deployed": file_digest(request.deployed_path),
                        "data": file_digest(request.data_path)},
        }
        path = Path(request.output_dir) / "verification_report.json"
        digest = write_json(report, path, self._evidence)
        progress("report", 1.0)
        return VerificationResult(verdict, run, report, str(path), digest)


def _interleaved(run: VerificationRun, key: str) -> InterleavedLatency | None:
    """The alternating timing of one batch size (``batch_<n>``), None when not measured."""
    pairs = run.latency_pairs.get(key)
    if not pairs:
        return None
    return InterleavedLatency(int(key.removeprefix("batch_")), run.latency_warmup, pairs)


def _requirement_sections(run: VerificationRun) -> dict[str, Any]:
    """The report's sections for per-class recall, noise, input validation and the data split."""
    worst = worst_class(run.per_class_recall)
    contract = None
    if run.input_contract is not None:
        contract = {**run.input_contract.to_dict(), "requirement": "ML-AEB-005",
                    "observed_range": list(run.input_range) if run.input_range else None}
    dataset: dict[str, Any] = {"applicable": run.dataset is not None,
                               "reason": None if run.dataset else run.dataset_reason}
    if run.dataset is not None:
        dataset.update(run.dataset.to_dict())
    return {
        "per_class_recall": dict(run.per_class_recall),
        "class_support": dict(run.class_support),
        "worst_class": None if worst is None else {
            "label": worst[0], "recall": worst[1], "support": run.class_support.get(worst[0])},
        "noise_robustness": None if run.noise is None else run.noise.to_dict(),
        "input_contract": contract,
        "input_validation": [c.to_dict() for c in run.input_validation],
        "dataset_checks": dataset,
    }
