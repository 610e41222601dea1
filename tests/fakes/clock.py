"""The one test clock: moves only when told, or by a fixed step on every reading."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class ManualClock:
    """A :class:`edgedeploy.application.ports.system.Clock` under the test's control.

    With ``step_s`` every reading first moves time on by that much, so successive records
    get distinct, ordered instants without the test advancing time itself.
    """

    def __init__(self, start: datetime | None = None, *, step_s: float = 0.0) -> None:
        self.current = start or START
        self.step = timedelta(seconds=step_s)

    @classmethod
    def stepping(cls, start: datetime | None = None) -> ManualClock:
        """A clock from 2026-01-01 that moves one second per reading."""
        return cls(start or datetime(2026, 1, 1, tzinfo=UTC), step_s=1.0)

    def now(self) -> datetime:
        self.current += self.step
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
