"""The wall clock, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """The system's current time, always time-zone aware in UTC.

    Audit entries hash the ISO text of their instant and the SQL store keeps instants in UTC,
    so a local offset would make the same instant hash differently after a round trip.
    """

    def now(self) -> datetime:
        """The current time in UTC, time-zone aware."""
        return datetime.now(UTC)
