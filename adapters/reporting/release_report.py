"""The HTML release report: one self-contained file with inline CSS and plots."""

from __future__ import annotations

import base64

import jinja2

from adapters.reporting.charts import render_png
from application.ports.reporting import ReleaseReport

_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ report.title }} — {{ report.subject }}</title>
<style>
 body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;
      color:#1c2733;line-height:1.45;padding:0 1rem}
 h1{margin-bottom:.2rem} .meta{color:#5b6b7b;margin-top:0}
 .verdict{display:inline-block;padding:.35rem .8rem;border-radius:6px;font-weight:700}
 .s-passed,.s-promoted,.s-complete,.s-normal{background:#e3f6e8;color:#1b6e34}
 .s-blocked,.s-failed,.s-critical,.s-rolled-back,.s-refused{background:#fde4e4;color:#a11a1a}
 .s-info,.s-watch{background:#e7f0fb;color:#1d4e89} .s-warning{background:#fff1d6;color:#8a5300}
 section{border:1px solid #d9e1ea;border-radius:8px;padding:1rem 1.2rem;margin:1.2rem 0}
 section h2{margin:.2rem 0 .6rem;font-size:1.15rem;display:flex;gap:.6rem;align-items:center}
 .badge{font-size:.75rem;padding:.15rem .5rem;border-radius:4px;text-transform:uppercase}
 table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.85rem}
 caption{text-align:left;font-weight:600;padding:.3rem 0}
 th,td{border:1px solid #d9e1ea;padding:.3rem .45rem;text-align:left;vertical-align:top}
 th{background:#f3f6f9} code{font-size:.8rem;word-break:break-all}
 img{max-width:100%;border:1px solid #eef2f6;border-radius:6px;margin:.4rem 0}
 nav a{margin-right:.8rem}
</style></head><body>
<h1>{{ report.title }}</h1>
<p class="meta">{{ report.subject }} · generated {{ report.generated_at.isoformat(timespec="seconds") }}</p>
<p>Release verdict: <span class="verdict s-{{ report.verdict|replace(' ', '-') }}">{{ report.verdict }}</span></p>
<nav>{% for s in report.sections %}<a href="#step-{{ loop.index }}">{{ loop.index }}. {{ s.title }}</a>{% endfor %}</nav>
{% for s in report.sections %}
<section id="step-{{ loop.index }}">
 <h2>{{ loop.index }}. {{ s.title }} <span class="badge s-{{ s.status|replace(' ', '-') }}">{{ s.status }}</span></h2>
 <p>{{ s.summary }}</p>
 {% for image, alt in charts[loop.index0] %}<img alt="{{ alt }}" src="data:image/png;base64,{{ image }}">{% endfor %}
 {% for t in s.tables %}
 <table><caption>{{ t.caption }}</caption>
  <thead><tr>{% for h in t.headers %}<th>{{ h }}</th>{% endfor %}</tr></thead>
  <tbody>{% for row in t.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}</tbody>
 </table>
 {% endfor %}
 {% if s.evidence %}<table><caption>Evidence</caption><thead><tr><th>What</th><th>SHA-256</th></tr></thead><tbody>
 {% for what, digest in s.evidence %}<tr><td>{{ what }}</td><td><code>{{ digest }}</code></td></tr>{% endfor %}
 </tbody></table>{% endif %}
</section>
{% endfor %}
</body></html>
""")


class HtmlReleaseReportRenderer:
    """Renders a :class:`ReleaseReport` with Jinja2 (autoescaped) and matplotlib charts."""

    def render(self, report: ReleaseReport) -> bytes:
        """The page as UTF-8 bytes."""
        charts = [[(base64.b64encode(render_png(chart)).decode(), chart.title)
                   for chart in section.charts] for section in report.sections]
        return _TEMPLATE.render(report=report, charts=charts).encode("utf-8")
