"""One controller step, and the loop that runs steps until a roll-out settles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.views import TickResult, view_of
from edgedeploy.domain.health import (
    EMPTY_WINDOW,
    HealthJudgement,
    HealthPolicy,
    Verdict,
    judge_health,
)
from edgedeploy.domain.rollout import Rollout, RolloutDecision, RolloutStage


class TickRollout:
    """Advance a roll-out by at most one decision (SR_ROLL_020..026).

    A pending stage starts; a baking stage is judged canary cohort against its matched
    baseline cohort and is promoted, held or rolled back; a stage awaiting approval stays
    watched and is rolled back if health fails. Every tick also re-sends desired states to
    devices that have not acknowledged them, so devices offline during a rollback converge
    when they come back.
    """

    def __init__(self, engine: RolloutEngine, policy: HealthPolicy | None = None, *,
                 hold_log_interval_s: float = 60.0) -> None:
        self._engine = engine
        self._policy = policy or HealthPolicy()
        self._hold_log_interval_s = hold_log_interval_s

    def __call__(self, rollout_id: str) -> TickResult:
        """Take one step; returns the action taken (``none`` when nothing changed)."""
        engine = self._engine
        rollout = engine.load(rollout_id)
        sync = engine.reconcile(rollout)
        action, judgement = "none", None
        if not rollout.phase.is_final:
            rollout, action, judgement = self._step(rollout)
        decisions = len(engine.journal.decisions(rollout_id))
        return TickResult(view_of(rollout, decisions), action, judgement,
                          len(sync.acknowledged), engine.unreachable(rollout))

    def _step(self, rollout: Rollout) -> tuple[Rollout, str, HealthJudgement | None]:
        engine, now = self._engine, self._engine.clock.now()
        spec = rollout.spec
        if rollout.stage is RolloutStage.PENDING:
            after = rollout.start(now)
            return self._commit(rollout, after, "start_stage", "baking",
                                f"stage {spec.name}: {after.canary_size} devices get "
                                f"{rollout.model}", {}), "start_stage", None
        canary_ids, baseline_ids = rollout.cohorts()
        since = rollout.stage_started_at or now
        canary = engine.target.health(canary_ids, rollout.model, since)
        if baseline_ids:
            baseline = engine.target.health(baseline_ids, rollout.baseline, since)
        else:
            baseline = rollout.reference or EMPTY_WINDOW
        judgement = judge_health(canary, baseline, self._policy,
                                 min_inferences=spec.min_inferences,
                                 min_devices=min(spec.min_devices, len(canary_ids)))
        details = {"health": judgement.to_dict(), "policy": self._policy.to_dict(),
                   "baseline_source": "matched cohort" if baseline_ids else "reference",
                   "bake_elapsed_s": rollout.bake_elapsed(now),
                   "bake_required_s": spec.bake_seconds}
        if judgement.verdict is Verdict.ROLLBACK:
            reason = "; ".join(judgement.reasons)
            after = rollout.failed(reason)
            return self._commit(rollout, after, "rollback", "rolled_back", reason,
                                details), "rollback", judgement
        if rollout.stage is RolloutStage.AWAITING_APPROVAL:
            return rollout, "await_approval", judgement
        if judgement.verdict is Verdict.HOLD:
            return self._hold(rollout, "data", "; ".join(judgement.reasons), details,
                              now), "hold", judgement
        if rollout.bake_elapsed(now) < spec.bake_seconds:
            reason = (f"bake time {rollout.bake_elapsed(now):.0f}s of "
                      f"{spec.bake_seconds:.0f}s")
            return self._hold(rollout, "bake", reason, details, now), "hold", judgement
        after = rollout.passed(now, baseline if baseline_ids else None)
        if after.stage is RolloutStage.AWAITING_APPROVAL:
            return self._commit(rollout, after, "request_approval", "awaiting_approval",
                                f"stage {spec.name} healthy; a recorded approval is "
                                "required", details), "request_approval", judgement
        return self._commit(rollout, after, "promote", "promoted",
                            f"stage {spec.name} healthy", details), "promote", judgement

    def _hold(self, rollout: Rollout, kind: str, reason: str, details: Mapping[str, Any],
              now: datetime) -> Rollout:
        """Record a hold, but not on every tick: only when its kind changes or at an interval.

        A hold changes no state, so a skipped record loses no transition; the log keeps the
        evidence at a readable density instead of one entry per tick.
        """
        entries = self._engine.journal.decisions(rollout.rollout_id)
        last = entries[-1] if entries else None
        if (last is not None and last.action == "hold" and last.details.get("hold") == kind
                and (now - last.recorded_at).total_seconds() < self._hold_log_interval_s):
            return rollout
        return self._commit(rollout, rollout.hold(), "hold", "baking", reason,
                            {**details, "hold": kind})

    def _commit(self, before: Rollout, after: Rollout, action: str, outcome: str, reason: str,
                details: Mapping[str, Any]) -> Rollout:
        decision = RolloutDecision(before.rollout_id, action, outcome, "controller",
                                   before.spec.name, after.epoch, reason, details)
        return self._engine.commit(before, after, decision)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How long to drive a roll-out.

    ``sleep`` is called between ticks with ``interval_s`` (a real or simulated wait);
    ``stop_when_awaiting_approval`` returns control to the caller, who asks a human.
    """

    interval_s: float = 1.0
    max_ticks: int = 10_000
    stop_when_awaiting_approval: bool = True
    sleep: Callable[[float], None] | None = None
    on_tick: Callable[[TickResult], None] | None = field(default=None)


class RunRollout:
    """Tick a roll-out until it is final and every device acknowledged, or a limit is hit."""

    def __init__(self, tick: TickRollout) -> None:
        self._tick = tick

    def __call__(self, rollout_id: str, options: RunOptions | None = None) -> TickResult:
        """Run; returns the last tick's result (see ``view.phase`` and ``converged``)."""
        opts = options or RunOptions()
        result = self._tick(rollout_id)
        for _ in range(opts.max_ticks):
            if opts.on_tick is not None:
                opts.on_tick(result)
            final = result.view.phase in ("completed", "rolled_back", "aborted")
            if final and result.converged:
                break
            if opts.stop_when_awaiting_approval and result.view.phase == "awaiting_approval":
                break
            if opts.sleep is not None:
                opts.sleep(opts.interval_s)
            result = self._tick(rollout_id)
        return result
