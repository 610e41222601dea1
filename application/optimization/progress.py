"""Progress reporting shared by the long-running use cases."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]
"""Called with a stage name and the fraction (0-1) of that stage done; drives CLI bars and the
HTTP job status."""


def silent(stage: str, fraction: float) -> None:
    """A progress callback that shows nothing."""
    del stage, fraction
