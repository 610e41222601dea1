"""The host system: the clock."""

from edgedeploy.adapters.system.clock import SystemClock

__all__ = ["SystemClock"]
