"""One controller step, and the loop that runs steps until a roll-out settles."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.views import TickResult, view_of
from edgedeploy.domain.asil_rules import (
    ASIL_INCONCLUSIVE_LIMITS,
    InconclusiveLimit,
    check_inconclusive_limits,
)
from edgedeploy.domain.canary_judge import HealthJudgement, HealthPolicy, judge_health
from edgedeploy.domain.health import EMPTY_WINDOW
from edgedeploy.domain.rollout import (
    Rollout,
    RolloutAction,
    RolloutDecision,
    RolloutPhase,
    RolloutStage,
    decide,
)
from edgedeploy.domain.safety import ASIL


class TickRollout:
    """Advance a roll-out by at most one decision (SR_ROLL_020..026).

    The tick gathers the evidence: the canary cohort's health against its matched baseline
    cohort (or the kept reference at 100 %), judged by the canary judge. What to do with it
    is :func:`edgedeploy.domain.rollout.decide`'s business; the tick stores the decision and
    commands the devices. Every tick also re-sends desired states to devices that have not
    acknowledged them, so devices offline during a rollback converge when they come back.
    """

    def __init__(self, engine: RolloutEngine, policy: HealthPolicy | None = None, *,
                 hold_log_interval_s: float = 60.0,
                 limits: Mapping[ASIL, InconclusiveLimit] = ASIL_INCONCLUSIVE_LIMITS) -> None:
        check_inconclusive_limits(limits)
        self._engine = engine
        self._policy = policy or HealthPolicy()
        self._hold_log_interval_s = hold_log_interval_s
        self._limits = limits

    def __call__(self, rollout_id: str) -> TickResult:
        """Take one step; returns the action taken (``none`` when nothing changed)."""
        engine = self._engine
        rollout = engine.load(rollout_id)
        sync = engine.reconcile(rollout)
        action, judgement = RolloutAction.NONE, None
        if not rollout.phase.is_final:
            rollout, action, judgement = self._step(rollout)
        decisions = len(engine.decisions(rollout_id))
        return TickResult(view_of(rollout, decisions), action, judgement,
                          len(sync.acknowledged), engine.unreachable(rollout))

    def _step(self, rollout: Rollout) -> tuple[Rollout, RolloutAction, HealthJudgement | None]:
        now = self._engine.clock.now()
        judgement: HealthJudgement | None = None
        matched = True
        evidence: dict[str, Any] = {}
        if rollout.stage is not RolloutStage.PENDING:
            judgement, matched = self._judge(rollout, now)
            evidence = {"policy": self._policy.to_dict(),
                        "baseline_source": "matched cohort" if matched else "reference"}
        decision = decide(rollout, judgement, now, matched_baseline=matched,
                          limits=self._limits)
        if evidence:
            decision = replace(decision, details={**decision.details, **evidence})
        after = decision.after if decision.after is not None else rollout
        if not decision.action.changes_state and decision.action is not RolloutAction.HOLD:
            return rollout, decision.action, judgement
        if decision.action is RolloutAction.HOLD:
            return self._hold(rollout, after, decision, now), decision.action, judgement
        return self._engine.commit(rollout, after, decision), decision.action, judgement

    def _judge(self, rollout: Rollout, now: datetime) -> tuple[HealthJudgement, bool]:
        """The canary judge's verdict on the current stage, and whether the baseline matched."""
        target, spec = self._engine.target, rollout.spec
        canary_ids, baseline_ids = rollout.cohorts()
        since = rollout.stage_started_at or now
        canary = target.health(canary_ids, rollout.model, since)
        if baseline_ids:
            baseline = target.health(baseline_ids, rollout.baseline, since)
        else:
            baseline = rollout.reference or EMPTY_WINDOW
        judgement = judge_health(canary, baseline, self._policy,
                                 min_inferences=spec.min_inferences,
                                 min_devices=min(spec.min_devices, len(canary_ids)))
        return judgement, bool(baseline_ids)

    def _hold(self, rollout: Rollout, after: Rollout, decision: RolloutDecision,
              now: datetime) -> Rollout:
        """Record a hold, but not on every tick: only when its kind changes or at an interval.

        A hold changes no state, so a skipped record loses no transition; the log keeps the
        evidence at a readable density instead of one entry per tick.
        """
        entries = self._engine.decisions(rollout.rollout_id)
        last = entries[-1] if entries else None
        if (last is not None and last.action == RolloutAction.HOLD
                and last.details.get("hold") == decision.details.get("hold")
                and (now - last.recorded_at).total_seconds() < self._hold_log_interval_s):
            return rollout
        return self._engine.commit(rollout, after, decision)


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
            phase = result.view.phase
            if phase.is_final and result.converged:
                break
            if opts.stop_when_awaiting_approval and phase is RolloutPhase.AWAITING_APPROVAL:
                break
            if opts.sleep is not None:
                opts.sleep(opts.interval_s)
            result = self._tick(rollout_id)
        return result
