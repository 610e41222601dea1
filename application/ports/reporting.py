"""Port for rendering the traceability matrix for people and spreadsheets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from edgedeploy.domain.coverage import Gap
from edgedeploy.domain.requirements import ItemId, Requirement


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


@dataclass(frozen=True, slots=True)
class Series:
    """One line or point set of a chart; ``labels`` annotate points, ``highlight`` stands out."""

    name: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    labels: tuple[str, ...] = ()
    highlight: bool = False
    style: str = "line"  # "line", "points" or "steps"


@dataclass(frozen=True, slots=True)
class Chart:
    """A plot people would rather look at than read."""

    title: str
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    bands: tuple[tuple[float, float, str], ...] = ()  # horizontal (low, high, label) bands


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A captioned table of text cells."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class ReportSection:
    """One step of the release with its outcome, figures and evidence."""

    title: str
    status: str  # "passed", "blocked", "rolled back", "info", …
    summary: str
    tables: tuple[ReportTable, ...] = ()
    charts: tuple[Chart, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()  # (what, sha256 digest)


@dataclass(frozen=True, slots=True)
class ReleaseReport:
    """The release report an auditor reads: every step, in order.

    Attributes:
        title, subject, generated_at, verdict, sections: the release and its steps.
        provenance: (what, value) pairs that let the report be reproduced: tool version,
            commit, library versions, CPU, the audit chain's head, the compliance figure.
        sign_off: the roles that sign the release; the report leaves room for each.
    """

    title: str
    subject: str
    generated_at: datetime
    verdict: str
    sections: tuple[ReportSection, ...]
    provenance: tuple[tuple[str, str], ...] = ()
    sign_off: tuple[str, ...] = ()


class ReleaseReportRenderer(Protocol):
    """Turns a release report into one self-contained HTML file (plots inline)."""

    def render(self, report: ReleaseReport) -> bytes:
        """The HTML page's bytes."""
        ...
