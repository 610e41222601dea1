"""The HTML release report: one self-contained file with inline CSS and plots."""

from __future__ import annotations

import base64

import jinja2

from edgedeploy.adapters.reporting.charts import render_png
from edgedeploy.application.ports.reporting import ReleaseReport

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("edgedeploy.adapters.reporting", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined)


class HtmlReleaseReportRenderer:
    """Renders a :class:`ReleaseReport` with Jinja2 (autoescaped) and matplotlib charts."""

    def render(self, report: ReleaseReport) -> bytes:
        """The page as UTF-8 bytes."""
        charts = [[(base64.b64encode(render_png(chart)).decode(), chart.title)
                   for chart in section.charts] for section in report.sections]
        page = _ENVIRONMENT.get_template("release_report.html.j2")
        return page.render(report=report, charts=charts).encode("utf-8")
