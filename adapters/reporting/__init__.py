"""Human-facing reports: the HTML release report and its charts."""

from edgedeploy.adapters.reporting.release_report import HtmlReleaseReportRenderer

__all__ = ["HtmlReleaseReportRenderer"]
