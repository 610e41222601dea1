"""Optimize-then-register and verify-a-registered-version: the release steps around MLE.5.

The optimized model is registered only after the whole optimization succeeded, so a corrupt
checkpoint or mis-shaped calibration data leaves the registry untouched. The digests of the FP32
reference, the data and the export report are kept on the model's trace item, which is how
``VerifyRegisteredModel`` later finds what to compare against.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import structlog

from edgedeploy.application.models.registration import RegisterModel
from edgedeploy.application.optimization.optimize import (
    OptimizationResult,
    OptimizeModel,
    OptimizeRequest,
)
from edgedeploy.application.optimization.progress import Progress, silent
from edgedeploy.application.optimization.verify import (
    VerificationResult,
    VerifyModel,
    VerifyRequest,
)
from edgedeploy.application.ports.system import Clock, EvidenceStore
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.models import ModelRef, ModelVersion, ModelVersionNotFound
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId
from edgedeploy.domain.traceability import Evidence, EvidenceKind, Relation, Verdict
from edgedeploy.domain.verification import VerificationThresholds

log = structlog.get_logger(__name__)

REFERENCE, DATA, EXPORT_REPORT, VERIFICATION_REPORT = (
    "reference_sha256", "data_sha256", "export_report_sha256", "verification_report_sha256")


def plugin_attributes(provenance: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """A runtime plugin's provenance as trace-item attributes (none when it is unknown).

    An auditor reads from the trace graph alone which distribution, version and entry point
    built or measured an artifact.
    """
    if not provenance:
        return ()
    return (("runtime_plugin", provenance.get("plugin", "")),
            ("runtime_distribution",
             f"{provenance.get('distribution', 'unknown')} {provenance.get('version', '')}"
             .strip()),
            ("runtime_entry_point", provenance.get("entry_point", "")))


def scan_attributes(scan: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """The source file's pickle scan as trace-item attributes (none when no scan was made).

    The registered version then carries, as evidence, which scanner judged the file it was
    built from and what it found.
    """
    if not scan:
        return ()
    suspicious = scan.get("suspicious") or []
    return (("source_scan", str(scan.get("verdict", "unknown"))),
            ("source_scanner", str(scan.get("scanner", ""))),
            ("source_scan_pickles", str(scan.get("pickles", 0))),
            ("source_scan_unknown_globals",
             ", ".join(str(g) for g in suspicious) if isinstance(suspicious, list) else ""))


def plugin_note(provenance: Mapping[str, str]) -> str:
    """The same provenance as words for an evidence note (empty when it is unknown)."""
    if not provenance:
        return ""
    return (f" (plugin {provenance.get('plugin', '?')} from "
            f"{provenance.get('distribution', 'unknown')} {provenance.get('version', '')}, "
            f"entry point {provenance.get('entry_point', '?')})")


@dataclass(frozen=True, slots=True)
class OptimizedRelease:
    """The optimization's outcome and the model version it was registered as."""

    result: OptimizationResult
    model: ModelVersion


class OptimizeAndRegister:
    """Run the optimizer and register its chosen model as ``ref``."""

    def __init__(self, optimize: OptimizeModel, register: RegisterModel,
                 evidence: EvidenceStore) -> None:
        self._optimize, self._register, self._evidence = optimize, register, evidence

    def __call__(self, request: OptimizeRequest, ref: ModelRef, actor: str,
                 progress: Progress = silent) -> OptimizedRelease:
        """Optimize, then register; nothing is registered when optimization fails."""
        result = self._optimize(request, progress)
        data_digest = self._evidence.put(Path(request.calibration).read_bytes())
        attributes = (
            (REFERENCE, result.digests["reference"]),
            (DATA, data_digest),
            (EXPORT_REPORT, result.digests["export_report"]),
            ("plan", result.plan.chosen.name),
            ("runtime", result.plan.runtime),
            *scan_attributes(result.source_scan),
            *plugin_attributes(self._optimize.provenance),
        )
        model = self._register(ref, Path(result.model_path).read_bytes(), actor,
                               Path(request.source.path).name, attributes)
        return OptimizedRelease(result, model)


class VerifyRegisteredModel:
    """Verify a registered version against its FP32 reference and record the evidence.

    The verification report becomes a test artifact ``verification:<model>`` fixed by its digest,
    and a report evidence record on every link that implements or is satisfied by the model.
    """

    def __init__(self, verify: VerifyModel, store: TraceStore, evidence: EvidenceStore,
                 clock: Clock) -> None:
        self._verify, self._store, self._evidence, self._clock = verify, store, evidence, clock

    def __call__(self, ref: ModelRef, actor: str, *, device: str = "cpu",
                 progress: Progress = silent,
                 thresholds: VerificationThresholds | None = None,
                 latency_runs: int | None = None) -> VerificationResult:
        """Run the verification; raises when the version lacks what it needs.

        ``thresholds`` and ``latency_runs`` come from the deployment's specification where it
        declares them (limits, latency budget, timed iterations); otherwise the defaults hold.
        """
        item = self._store.get_item(ref.item_id)
        if not isinstance(item, Artifact) or item.digest is None:
            raise ModelVersionNotFound(f"model version {ref} is not in the trace graph")
        digests = {key: item.attribute(key) for key in (REFERENCE, DATA)}
        missing = [key for key, value in digests.items() if not value]
        if missing:
            raise Conflict(f"{ref} was registered without {', '.join(missing)}: only versions "
                           "produced by 'edgedeploy optimize' can be verified",
                           code="VERIFICATION_INPUTS_MISSING")
        with tempfile.TemporaryDirectory(prefix="edgedeploy-verify-") as out:
            request = VerifyRequest(
                model=str(ref),
                reference_path=str(self._evidence.path(str(digests[REFERENCE]))),
                deployed_path=str(self._evidence.path(item.digest)),
                data_path=str(self._evidence.path(str(digests[DATA]))),
                output_dir=out, device=device,
                thresholds=thresholds or VerificationThresholds())
            if latency_runs:
                request = replace(request, latency_runs=latency_runs)
            result = self._verify(request, progress)
        self._record(ref, item, result, actor)
        return result

    def _record(self, ref: ModelRef, item: Artifact, result: VerificationResult,
                actor: str) -> None:
        now = self._clock.now()
        verdict = Verdict.PASSED if result.passed else Verdict.FAILED
        provenance = result.report.get("plugin") or {}
        report = Evidence(EvidenceKind.REPORT, verdict, actor, now,
                          artifact_digest=result.report_digest,
                          note=f"deployment verification of {ref} on {result.report['runtime']}"
                               f"{plugin_note(provenance)}")
        test = Artifact(ItemId(f"verification:{ref}"), ArtifactKind.TEST,
                        f"Deployment verification of {ref}", digest=result.report_digest,
                        attributes=plugin_attributes(provenance))
        upstream = [self._store.get_link(key) for key in self._store.backward(ref.item_id).links
                    if key[2] == ref.item_id
                    and key[1] in (Relation.IMPLEMENTED_BY, Relation.SATISFIED_BY)]
        links = [link.with_evidence(report) for link in upstream if link is not None]
        kept = [(k, v) for k, v in item.attributes if k != VERIFICATION_REPORT]
        updated = Artifact(item.id, item.kind, item.title, item.digest,
                           (*kept, (VERIFICATION_REPORT, result.report_digest)))
        self._store.apply(TraceChange(items=[test, updated], links=links))
        log.info("model.verified", model=str(ref), passed=result.passed,
                 report=result.report_digest, links=len(links))

