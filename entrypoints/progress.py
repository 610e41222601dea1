"""Rich progress bars driven by the use cases' ``(stage, fraction)`` callbacks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from edgedeploy.application.optimization.progress import Progress as ProgressCallback


@contextmanager
def stage_progress(console: Console, enabled: bool = True) -> Iterator[ProgressCallback]:
    """Yield a callback that shows one bar per stage (nothing when ``enabled`` is False)."""
    if not enabled:
        yield lambda stage, fraction: None
        return
    bars = Progress(TextColumn("{task.description:<20}"), BarColumn(), TaskProgressColumn(),
                    TimeElapsedColumn(), console=console, transient=False)
    tasks: dict[str, TaskID] = {}

    def update(stage: str, fraction: float) -> None:
        if stage not in tasks:
            tasks[stage] = bars.add_task(stage, total=1.0)
        bars.update(tasks[stage], completed=max(0.0, min(1.0, fraction)))

    with bars:
        yield update
