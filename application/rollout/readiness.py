"""The release gate before a roll-out: the trace gate and the verification report (SR_ROLL_010).

Both must pass, and a refusal names every reason at once, so a release engineer fixes them in
one round instead of discovering them one by one.
"""

from __future__ import annotations

import json

from edgedeploy.application.optimization.release import VERIFICATION_REPORT
from edgedeploy.application.ports.rollout import Readiness
from edgedeploy.application.ports.system import EvidenceStore
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.traceability.gate import EvaluateGate
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact


class TraceAndVerificationReadiness:
    """``ReleaseReadiness`` from the real release evidence.

    Ready when the traceability gate passes for the model version (evaluated without
    recording: starting a roll-out is not a gate decision of its own) and the verification
    report named by the model's trace item (attribute ``verification_report_sha256``) is in
    the evidence store and says ``"passed": true``.
    """

    def __init__(self, gate: EvaluateGate, store: TraceStore, evidence: EvidenceStore) -> None:
        self._gate, self._store, self._evidence = gate, store, evidence

    def check(self, model: ModelRef) -> Readiness:
        """Every reason ``model`` may not reach devices (none: it may).

        Raises:
            AuditChainBroken: the evidence chains do not verify; nothing starts on evidence
                that was tampered with, whatever else is ready.
        """
        self._gate.require_intact_evidence()
        reasons: list[str] = []
        try:
            report = self._gate(model, record=False)
        except NotFound as exc:
            return Readiness(False, (f"trace gate: {exc}",))
        if not report.passed:
            reasons += [f"trace gate: {gap.item}: {gap.code.value} (ASIL {gap.asil.value}): "
                        f"{gap.message}" for gap in report.gaps] or ["trace gate: blocked"]
        reasons += self._verification_reasons(model)
        return Readiness(not reasons, tuple(reasons))

    def _verification_reasons(self, model: ModelRef) -> list[str]:
        item = self._store.get_item(model.item_id)
        digest = item.attribute(VERIFICATION_REPORT) if isinstance(item, Artifact) else None
        if not digest:
            return [f"verification: {model} has no verification report "
                    "(run edgedeploy verify)"]
        if not self._evidence.exists(digest):
            return [f"verification: report {digest} is not in the evidence store"]
        try:
            data = json.loads(self._evidence.get(digest))
        except (ValueError, UnicodeDecodeError) as exc:
            return [f"verification: report {digest} is not valid JSON: {exc}"]
        if not isinstance(data, dict) or data.get("passed") is not True:
            failed = []
            if isinstance(data, dict):
                failed = [str(c.get("name", "?")) for c in data.get("checks", ())
                          if isinstance(c, dict) and c.get("passed") is False]
            detail = f" (failed checks: {', '.join(failed)})" if failed else ""
            return [f"verification: report {digest} did not pass{detail}"]
        return []
