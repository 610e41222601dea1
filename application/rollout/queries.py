"""Use case: the roll-outs the journal holds, for an overview of every fleet."""

from __future__ import annotations

from edgedeploy.application.rollout.engine import RolloutEngine
from edgedeploy.application.rollout.views import RolloutView, view_of
from edgedeploy.domain.rollout import RolloutPhase


class ListRollouts:
    """Every journaled roll-out, oldest first, optionally of one fleet or in one phase.

    Reads the journal only (like ``RolloutStatus``), so it answers wherever the fleet is
    unreachable, including for roll-outs another controller drives.
    """

    def __init__(self, engine: RolloutEngine) -> None:
        self._engine = engine

    def __call__(self, fleet: str | None = None,
                 phase: RolloutPhase | None = None) -> tuple[RolloutView, ...]:
        """The views of the matching roll-outs."""
        journal = self._engine.journal
        views = []
        for rollout_id in journal.list_ids(fleet):
            rollout = journal.get(rollout_id)
            if phase is None or rollout.phase is phase:
                views.append(view_of(rollout, len(journal.decisions(rollout_id))))
        return tuple(views)
