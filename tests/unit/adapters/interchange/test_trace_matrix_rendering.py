"""The traceability matrix as CSV and as a self-contained HTML page."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from edgedeploy.adapters.interchange import CsvHtmlMatrixRenderer
from edgedeploy.application.ports.reporting import MatrixRow, TraceMatrix
from edgedeploy.domain.coverage import Gap, GapCode
from edgedeploy.domain.requirements import ItemId, Requirement, RequirementLevel
from edgedeploy.domain.safety import ASIL, DecomposedAsil

RICH = ('<div xmlns="http://www.w3.org/1999/xhtml">Detect <b>pedestrians</b> &amp; '
        "<script>alert(1)</script> within 150 ms</div>")


def row(requirement: Requirement, **overrides: object) -> MatrixRow:
    values: dict[str, object] = {
        "parents": (), "children": (), "realized_by": (), "verified_by": (), "reviews": (),
        "suspect_links": 0, "gaps": ()}
    values.update(overrides)
    return MatrixRow(requirement=requirement, **values)  # type: ignore[arg-type]


@pytest.fixture(name="matrix")
def fx_matrix() -> TraceMatrix:
    sys_req = Requirement(ItemId("SYS-1"), "Detect <pedestrian> & brake", ASIL.D, text=RICH)
    ml_req = Requirement(ItemId("ML-1"), "=HYPERLINK(\"http://evil\")", ASIL.B,
                         level=RequirementLevel.ML, decomposition=DecomposedAsil(ASIL.B, ASIL.D),
                         parent=ItemId("SYS-1"))
    qm_req = Requirement(ItemId("SYS-2"), "Log events", ASIL.QM)
    gap = Gap(ItemId("ML-1"), GapCode.NOT_VERIFIED, ASIL.B,
              "0 passing verification(s), ASIL B requires 1 <b>now</b>")
    return TraceMatrix(
        title="AEB <release> 1.2",
        generated_at=datetime(2026, 1, 15, 10, 30, tzinfo=timezone(timedelta(hours=1))),
        rows=[
            row(sys_req, children=(ItemId("ML-1"),), realized_by=(ItemId("model-v1"),),
                verified_by=((ItemId("TC-1"), "passed"), (ItemId("TC-2"), "failed")),
                reviews=("a.safety (independent)",)),
            row(ml_req, parents=(ItemId("SYS-1"),), suspect_links=2, gaps=(gap,)),
            row(qm_req),
        ],
        score=0.8125, gap_count=1)


def test_csv_has_the_header_and_one_row_per_requirement(matrix: TraceMatrix) -> None:
    rows = list(csv.reader(io.StringIO(CsvHtmlMatrixRenderer().csv(matrix).decode("utf-8"))))

    assert rows[0] == ["id", "title", "ASIL", "level", "parents", "children", "realized by",
                       "verified by", "reviews", "suspect links", "gaps"]
    assert rows[1] == ["SYS-1", "Detect <pedestrian> & brake", "D", "system", "", "ML-1",
                       "model-v1", "TC-1:passed; TC-2:failed", "a.safety (independent)", "0", ""]
    assert rows[2][2] == "B(D)"
    assert rows[2][9:] == ["2", "NOT_VERIFIED"]
    assert len(rows) == 4


def test_csv_cells_that_look_like_formulas_are_defused(matrix: TraceMatrix) -> None:
    rows = list(csv.reader(io.StringIO(CsvHtmlMatrixRenderer().csv(matrix).decode("utf-8"))))

    assert rows[2][1] == "'=HYPERLINK(\"http://evil\")"


def test_html_is_self_contained_with_inline_css_and_no_external_resources(
        matrix: TraceMatrix) -> None:
    page = CsvHtmlMatrixRenderer().html(matrix).decode("utf-8")

    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert "default-src 'none'" in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(|<script|<link""", page, re.I)


def test_html_escapes_every_text_and_shows_rich_text_as_plain_words(
        matrix: TraceMatrix) -> None:
    page = CsvHtmlMatrixRenderer().html(matrix).decode("utf-8")

    assert "AEB &lt;release&gt; 1.2" in page
    assert "Detect &lt;pedestrian&gt; &amp; brake" in page
    assert "Detect pedestrians &amp; alert(1) within 150 ms" in page
    assert "<b>pedestrians</b>" not in page and "<b>now</b>" not in page
    assert "&lt;b&gt;now&lt;/b&gt;" in page


def test_html_shows_score_gaps_asil_badges_and_the_generation_time_in_utc(
        matrix: TraceMatrix) -> None:
    page = CsvHtmlMatrixRenderer().html(matrix).decode("utf-8")

    assert '<div class="score bad">81.2 %</div>' in page
    assert "1 gap(s)" in page and "3 requirement(s)" in page
    assert "generated 2026-01-15T09:30:00Z" in page
    assert '<span class="badge asil-d">D</span>' in page
    assert '<span class="badge asil-b">B(D)</span>' in page
    assert '<span class="badge asil-qm">QM</span>' in page
    assert page.count('<tr class="gap">') == 1
    assert '<span class="code">NOT_VERIFIED</span>' in page
    assert '<span class="verdict fail">failed</span>' in page
    assert '<span class="suspect">2</span>' in page


def test_a_complete_matrix_shows_a_passing_score() -> None:
    matrix = TraceMatrix(title="empty", generated_at=datetime(2026, 1, 1, tzinfo=UTC), rows=[],
                         score=1.0, gap_count=0)

    page = CsvHtmlMatrixRenderer().html(matrix).decode("utf-8")

    assert '<div class="score ok">100.0 %</div>' in page
    assert "No requirements in scope." in page
    assert CsvHtmlMatrixRenderer().csv(matrix).decode("utf-8").count("\r\n") == 1
