"""The traceability matrix as CSV for spreadsheets and as one self-contained HTML page.

The HTML page is evidence an assessor may archive and open years later, offline: it carries its
own CSS, loads nothing, and a Content-Security-Policy forbids it to. Every text that came from a
requirements tool is escaped; rich requirement text is shown as plain words, never as markup.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC
from html import escape

from edgedeploy.adapters.interchange.xhtml import plain_text
from edgedeploy.application.ports.reporting import MatrixRow, TraceMatrix

CSV_HEADER = ("id", "title", "ASIL", "level", "parents", "children", "realized by",
              "verified by", "reviews", "suspect links", "gaps")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Spreadsheets run a cell that starts like a formula; a requirement title must not."""
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _asil(row: MatrixRow) -> str:
    requirement = row.requirement
    return str(requirement.decomposition) if requirement.decomposition else requirement.asil.value


def _join(values: Iterable[str]) -> str:
    return "; ".join(values)


class CsvHtmlMatrixRenderer:
    """Renders a :class:`TraceMatrix` as UTF-8 CSV and as a self-contained HTML page."""

    def csv(self, matrix: TraceMatrix) -> bytes:
        """One row per requirement, header first; lists are ``; ``-separated."""
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for row in matrix.rows:
            requirement = row.requirement
            writer.writerow([_cell(text) for text in (
                requirement.id,
                requirement.title,
                _asil(row),
                requirement.level.value,
                _join(row.parents),
                _join(row.children),
                _join(row.realized_by),
                _join(f"{test}:{verdict}" for test, verdict in row.verified_by),
                _join(row.reviews),
                str(row.suspect_links),
                _join(gap.code.value for gap in row.gaps),
            )])
        return buffer.getvalue().encode("utf-8")

    def html(self, matrix: TraceMatrix) -> bytes:
        """A single HTML file with inline CSS, no scripts and no external resources."""
        generated = matrix.generated_at
        if generated.tzinfo is not None:
            generated = generated.astimezone(UTC)
        stamp = generated.isoformat(timespec="seconds").replace("+00:00", "Z")
        score = matrix.score * 100
        score_class = "ok" if matrix.gap_count == 0 else "bad"
        rows = "\n".join(_html_row(row) for row in matrix.rows) or (
            '<tr><td colspan="10" class="empty">No requirements in scope.</td></tr>')
        page = _PAGE.format(
            title=escape(matrix.title), score=f"{score:.1f}", score_class=score_class,
            gaps=matrix.gap_count, requirements=len(matrix.rows), generated=escape(stamp),
            rows=rows, css=_CSS)
        return page.encode("utf-8")


def _list(values: Iterable[str]) -> str:
    items = [f"<li>{escape(value)}</li>" for value in values]
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="none">none</span>'


def _verdicts(pairs: Iterable[tuple[str, str]]) -> str:
    items = []
    for test, verdict in pairs:
        css = {"passed": "pass", "failed": "fail"}.get(verdict, "unknown")
        items.append(f'<li>{escape(test)} <span class="verdict {css}">{escape(verdict)}</span>'
                     "</li>")
    return f"<ul>{''.join(items)}</ul>" if items else '<span class="none">none</span>'


def _html_row(row: MatrixRow) -> str:
    requirement = row.requirement
    asil = requirement.asil.value
    text = plain_text(requirement.text)
    gaps = "".join(f'<li><span class="code">{escape(gap.code.value)}</span> '
                   f"{escape(gap.message)}</li>" for gap in row.gaps)
    gap_cell = f"<ul>{gaps}</ul>" if gaps else '<span class="none">none</span>'
    suspect = (f'<span class="suspect">{row.suspect_links}</span>' if row.suspect_links
               else "0")
    return (
        f'<tr class="{"gap" if row.gaps else "complete"}">'
        f'<td class="id">{escape(requirement.id)}</td>'
        f'<td><div class="title">{escape(requirement.title)}</div>'
        f'{f"<div class=text>{escape(text)}</div>" if text else ""}</td>'
        f'<td><span class="badge asil-{escape(asil.lower())}">{escape(_asil(row))}</span></td>'
        f"<td>{escape(requirement.level.value)}</td>"
        f"<td>{_list(row.parents)}</td>"
        f"<td>{_list(row.children)}</td>"
        f"<td>{_list(row.realized_by)}</td>"
        f"<td>{_verdicts(row.verified_by)}</td>"
        f"<td>{_list(row.reviews)}</td>"
        f"<td>{suspect}</td>"
        f"<td>{gap_cell}</td>"
        "</tr>")


_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; color: #1d1d1f; margin: 24px; }
h1 { font-size: 20px; margin: 0 0 8px; }
.summary { display: flex; gap: 24px; margin: 8px 0 16px; align-items: baseline; }
.score { font-size: 28px; font-weight: 700; }
.score.ok { color: #1a7f37; } .score.bad { color: #b42318; }
.meta { color: #555; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #f6f8fa; position: sticky; top: 0; }
tr.gap td { background: #fff4f2; }
tr.gap td.id { border-left: 4px solid #b42318; }
td.id { font-family: ui-monospace, monospace; white-space: nowrap; }
.title { font-weight: 600; } .text { color: #555; font-size: 12px; }
ul { margin: 0; padding-left: 16px; }
.none { color: #999; }
.badge { display: inline-block; padding: 1px 6px; border-radius: 8px; font-weight: 700;
         font-size: 12px; color: #fff; }
.asil-qm { background: #6e7781; } .asil-a { background: #2da44e; } .asil-b { background: #bf8700; }
.asil-c { background: #d1580c; } .asil-d { background: #a40e26; }
.verdict { font-size: 11px; padding: 0 4px; border-radius: 4px; }
.verdict.pass { background: #dafbe1; color: #1a7f37; }
.verdict.fail { background: #ffebe9; color: #b42318; }
.verdict.unknown { background: #eaeef2; color: #57606a; }
.suspect { color: #b42318; font-weight: 700; }
.code { font-family: ui-monospace, monospace; font-size: 11px; color: #b42318; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<h1>{title}</h1>
<div class="summary">
<div class="score {score_class}">{score} %</div>
<div class="meta">compliance score &middot; {gaps} gap(s) &middot; {requirements} requirement(s)
&middot; generated {generated}</div>
</div>
<table>
<thead><tr><th>ID</th><th>Requirement</th><th>ASIL</th><th>Level</th><th>Parents</th>
<th>Children</th><th>Realized by</th><th>Verified by</th><th>Reviews</th><th>Suspect links</th>
<th>Gaps</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
