"""The safety readiness checklist for a model version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.traceability.gate import EvaluateGate
from edgedeploy.domain.audit import verify_chain
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.models import ModelRef, ModelVersionNotFound


@dataclass(frozen=True, slots=True)
class ReadinessCheck:
    """One line of the checklist."""

    name: str
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Readiness:
    """Every check for one model version; ready only when all pass."""

    model: str
    checks: tuple[ReadinessCheck, ...]

    @property
    def ready(self) -> bool:
        """True when every check passed."""
        return all(check.passed for check in self.checks)


class AssessReadiness:
    """Is a model version ready to leave the factory? Registered, traced, and auditable."""

    def __init__(self, gate: EvaluateGate, uow: Callable[[], UnitOfWork]) -> None:
        self._gate, self._uow = gate, uow

    def __call__(self, model: ModelRef) -> Readiness:
        """The checklist; reads only, records nothing.

        Raises:
            AuditChainBroken: the evidence chains do not verify (checked first).
            ModelVersionNotFound: the version is not registered.
        """
        verified = self._gate.require_intact_evidence()
        with self._uow() as uow:
            registered = uow.models.get(model)
            entries = uow.audit.entries()
        if registered is None:
            raise ModelVersionNotFound(f"model version {model} is not registered")
        checks = [ReadinessCheck("registered", True,
                                 f"{registered.digest} ({registered.size_bytes} bytes)")]
        report = self._gate(model, record=False)
        detail = ("complete" if report.passed else
                  f"{len(report.gaps)} gap(s): " + "; ".join(
                      f"{g.item} {g.code.value}" for g in report.gaps[:10]))
        checks.append(ReadinessCheck("trace complete", report.passed,
                                     f"{detail}; compliance {report.score:.1%}"))
        try:
            count = verify_chain(entries) if verified is None else verified
            checks.append(ReadinessCheck("audit log intact", True, f"{count} entries verify"))
        except DomainError as exc:
            checks.append(ReadinessCheck("audit log intact", False, exc.message))
        return Readiness(str(model), tuple(checks))
