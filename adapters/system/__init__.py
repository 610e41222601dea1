"""The host system: the clock."""

from adapters.system.clock import SystemClock

__all__ = ["SystemClock"]
