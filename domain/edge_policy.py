"""The edge agent's safety policy as values: probation of a new version, quarantine of a bad one.

A new model version serves under *probation* for its first inferences: an error or timeout
beyond the tolerance, or a p99 latency over the package's budget once probation is complete,
fails it (SR_EDGE_008). A failed version is *quarantined*: it may not be installed again for a
period that doubles with every failure up to a ceiling (SR_EDGE_009), so a fleet does not flap
between a bad version and its last-known-good one. A desired state is taken only with an epoch
close above the agent's (:func:`admit_epoch`, SR_EDGE_013), so one forged or corrupted command
cannot raise the epoch so far that no later command is ever newer.

Probation and quarantine are immutable values with pure transitions; the threaded runtime
(:mod:`edgedeploy.application.edge.runtime`) keeps the current value under its lock, feeds it
observations and acts on the outcome (revert, persist, retire), so the rules are testable
without threads, clocks or sessions.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from edgedeploy.domain.errors import Conflict, InvariantViolation
from edgedeploy.domain.health import LATENCY_BUCKETS, histogram_percentile, latency_bucket


class ProbationState(enum.StrEnum):
    """Where a version on probation stands."""

    WATCHING = "watching"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ProbationLimits:
    """What a new version must show: inferences served and the failures tolerated meanwhile."""

    inferences: int = 50
    max_errors: int = 0
    max_timeouts: int = 0

    def __post_init__(self) -> None:
        if self.inferences < 1:
            raise InvariantViolation("probation must watch at least one inference",
                                     code="EDGE_PROBATION_INVALID")
        if min(self.max_errors, self.max_timeouts) < 0:
            raise InvariantViolation("probation tolerances cannot be negative",
                                     code="EDGE_PROBATION_INVALID")


@dataclass(frozen=True, slots=True)
class Probation:
    """A version's probation so far: rows served, errors, timeouts and their latencies.

    Counting follows the runtime's rule: one inference is one row, and a request's outcome and
    latency count once per row.
    """

    limits: ProbationLimits
    p99_budget_ms: float | None = None
    served: int = 0
    errors: int = 0
    timeouts: int = 0
    latency: tuple[int, ...] = field(default=(0,) * LATENCY_BUCKETS, repr=False)

    @property
    def remaining(self) -> int:
        """Inferences still to serve before probation can pass (0 when complete)."""
        return max(0, self.limits.inferences - self.served)

    def observe(self, latency_ms: float, *, error: bool = False, timed_out: bool = False,
                rows: int = 1) -> Probation:
        """The probation after one more request of ``rows`` rows."""
        hist = list(self.latency)
        hist[latency_bucket(latency_ms)] += rows
        return Probation(self.limits, self.p99_budget_ms, self.served + rows,
                         self.errors + (rows if error else 0),
                         self.timeouts + (rows if timed_out else 0), tuple(hist))

    @property
    def p99_ms(self) -> float | None:
        """The p99 latency observed so far (None before the first inference)."""
        return histogram_percentile(self.latency, 99)

    @property
    def state(self) -> ProbationState:
        """The probation's state (see :meth:`verdict` for the reason of a failure).

        Failed on too many errors or timeouts at once; passed or failed on latency once every
        inference was served; watching until then.
        """
        return self.verdict()[0]

    def verdict(self) -> tuple[ProbationState, str]:
        """The state and, for a failure, the reason in words (SR_EDGE_008)."""
        if self.errors > self.limits.max_errors:
            return ProbationState.FAILED, f"{self.errors} errors during probation"
        if self.timeouts > self.limits.max_timeouts:
            return ProbationState.FAILED, f"{self.timeouts} timeouts during probation"
        if self.remaining > 0:
            return ProbationState.WATCHING, ""
        p99 = self.p99_ms
        if self.p99_budget_ms is not None and p99 is not None and p99 > self.p99_budget_ms:
            return (ProbationState.FAILED,
                    f"p99 {p99:.2f} ms over budget {self.p99_budget_ms:.2f} ms")
        return ProbationState.PASSED, ""


@dataclass(frozen=True, slots=True)
class QuarantinePolicy:
    """How long a failed version stays out: ``base_s`` doubled per failure, at most ``max_s``."""

    base_s: float = 30.0
    max_s: float = 3_600.0

    def __post_init__(self) -> None:
        if not 0 < self.base_s <= self.max_s:
            raise InvariantViolation(
                f"quarantine periods must satisfy 0 < base ({self.base_s:g}s) <= max "
                f"({self.max_s:g}s)", code="EDGE_QUARANTINE_INVALID")

    def period(self, failures: int) -> float:
        """The quarantine after the ``failures``-th failure (1-based)."""
        doublings: int = max(1, failures) - 1
        return min(self.max_s, self.base_s * float(2 ** doublings))


@dataclass(frozen=True, slots=True)
class Quarantine:
    """Versions that failed probation: version -> (failures, quarantined until, Unix time)."""

    entries: Mapping[str, tuple[int, float]] = field(default_factory=dict)

    def failed(self, version: str, now: float, policy: QuarantinePolicy) -> Quarantine:
        """The quarantine after ``version`` failed probation at ``now``."""
        failures = self.entries.get(version, (0, 0.0))[0] + 1
        entries = dict(self.entries)
        entries[version] = (failures, now + policy.period(failures))
        return Quarantine(entries)

    def failures(self, version: str) -> int:
        """How often ``version`` failed probation on this device."""
        return self.entries.get(version, (0, 0.0))[0]

    def remaining(self, version: str, now: float) -> float:
        """Seconds ``version`` stays quarantined after ``now`` (0.0 when it may install)."""
        return max(0.0, self.entries.get(version, (0, 0.0))[1] - now)

    def active(self, now: float) -> dict[str, float]:
        """Versions quarantined at ``now`` and until when."""
        return {version: until for version, (_, until) in self.entries.items() if until > now}


EPOCH_WINDOW = 1_000
"""How far above its own epoch an agent accepts the epoch of a desired state."""


class EpochOutOfRange(Conflict):
    """A desired state's epoch is older than the agent's, or too far ahead of it."""

    code = "EDGE_EPOCH_OUT_OF_RANGE"


def admit_epoch(current: int, epoch: int, window: int = EPOCH_WINDOW) -> bool:
    """Whether a desired state at ``epoch`` is new to an agent at ``current`` (SR_EDGE_013).

    Returns:
        True for an epoch in ``current + 1 .. current + window``; False for ``current`` itself,
        the idempotent re-send of the command the agent already holds.

    Raises:
        EpochOutOfRange: ``epoch`` is older than ``current`` or beyond ``current + window``;
            taking it would ignore newer commands or lock the agent against all later ones.
    """
    if epoch == current:
        return False
    if current < epoch <= current + window:
        return True
    raise EpochOutOfRange(
        f"epoch {epoch} refused: the agent is at epoch {current} and accepts "
        f"{current + 1}..{current + window} (or {current} again as a re-send)")



def request_misfits(expected: Mapping[str, tuple[int | None, ...]],
                    given: Mapping[str, tuple[int, ...] | None]) -> list[str]:
    """Every way a request's tensors miss the model's input contract, in words (SR_EDGE_008).

    A request that does not fit (a missing or unknown input, a wrong rank, a fixed dimension
    of another size, something that is no tensor) is the caller's mistake: it never reaches
    the model, so it cannot count as a model fault nor fail a probation.
    """
    problems = [f"input '{name}' is missing" for name in expected if name not in given]
    problems += [f"input '{name}' is not an input of the model" for name in given
                 if name not in expected]
    for name, shape in given.items():
        want = expected.get(name)
        if want is None:
            continue
        if shape is None:
            problems.append(f"input '{name}' is not a tensor")
        elif len(shape) != len(want):
            problems.append(f"input '{name}' has rank {len(shape)}, the model takes "
                            f"rank {len(want)} {_dims(want)}")
        elif any(w is not None and w != g for w, g in zip(want, shape, strict=True)):
            problems.append(f"input '{name}' has shape {_dims(shape)}, the model takes "
                            f"{_dims(want)}")
    return problems


def _dims(shape: tuple[int | None, ...]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"

__all__ = [
    "request_misfits",
    "EPOCH_WINDOW",
    "EpochOutOfRange",
    "Probation",
    "ProbationLimits",
    "ProbationState",
    "Quarantine",
    "QuarantinePolicy",
    "admit_epoch",
]
