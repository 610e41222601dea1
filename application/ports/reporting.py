"""Port for rendering the traceability matrix for people and spreadsheets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from domain.coverage import Gap
from domain.requirements import ItemId, Requirement


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """One requirement's line in the traceability matrix."""

    requirement: Requirement
    parents: tuple[ItemId, ...]
    children: tuple[ItemId, ...]
    realized_by: tuple[ItemId, ...]          # datasets and models
    verified_by: tuple[tuple[ItemId, str], ...]  # (test id, latest verdict or "no result")
    reviews: tuple[str, ...]                 # "name" or "name (independent)"
    suspect_links: int
    gaps: tuple[Gap, ...]


@dataclass(frozen=True, slots=True)
class TraceMatrix:
    """The whole matrix with its compliance score, as of ``generated_at``."""

    title: str
    generated_at: datetime
    rows: Sequence[MatrixRow]
    score: float
    gap_count: int


class MatrixRenderer(Protocol):
    """Turns a trace matrix into CSV and into a self-contained HTML page."""

    def csv(self, matrix: TraceMatrix) -> bytes:
        """UTF-8 CSV, one row per requirement, header first."""
        ...

    def html(self, matrix: TraceMatrix) -> bytes:
        """A single HTML file with inline CSS and no external resources."""
        ...
