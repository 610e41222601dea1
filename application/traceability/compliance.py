"""The compliance figure: one computation, read by the release gate and the matrix alike.

A figure an auditor reads in two documents must be the same figure: the gate and the
traceability matrix both call :func:`assess_compliance`, and a matrix built for a release
shows the gate's own :class:`Compliance` rather than computing its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.coverage import DEFAULT_COVERAGE_RULES, CoverageRule, Gap, assess_coverage
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.safety import ASIL


@dataclass(frozen=True, slots=True)
class Compliance:
    """Rule checks met over rule checks applied, over a scope of requirements.

    Attributes:
        scope: the requirements judged, sorted.
        gaps: every unmet check, sorted (requirement gaps and release-level gaps alike).
        checks: rule checks applied.
        checks_met: rule checks met.
    """

    scope: tuple[ItemId, ...]
    gaps: tuple[Gap, ...]
    checks: int
    checks_met: int

    @property
    def score(self) -> float:
        """Compliance in [0, 1]; 1.0 when nothing was checked."""
        return 1.0 if self.checks == 0 else self.checks_met / self.checks

    @property
    def requirements(self) -> int:
        """How many requirements the figure covers."""
        return len(self.scope)

    def describe(self) -> str:
        """The figure in words, the same in every report that shows it."""
        return (f"compliance {self.score:.1%} over {self.requirements} requirements "
                f"({self.checks_met} of {self.checks} checks met, {len(self.gaps)} gap(s))")


def assess_compliance(store: TraceStore, scope: Iterable[ItemId] | None,
                      rules: Mapping[ASIL, CoverageRule] = DEFAULT_COVERAGE_RULES, *,
                      release_gaps: Iterable[Gap] = (), release_checks: int = 0,
                      ) -> Compliance:
    """Apply the ASIL rule table to ``scope`` (every requirement when None).

    ``release_checks`` are checks of the release itself beyond its requirements (the gate's
    "the model version is traced" check); ``release_gaps`` are those of them not met.
    """
    facts = store.coverage_facts(None if scope is None else sorted(set(scope)))
    assessment = assess_coverage(facts, rules)
    extra = tuple(release_gaps)
    return Compliance(scope=tuple(sorted(f.requirement for f in facts)),
                      gaps=tuple(sorted((*extra, *assessment.gaps))),
                      checks=assessment.checks + release_checks,
                      checks_met=assessment.checks_met + release_checks - len(extra))
