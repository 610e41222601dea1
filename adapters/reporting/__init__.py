"""Human-facing reports: the HTML release report and its charts."""

from adapters.reporting.release_report import HtmlReleaseReportRenderer

__all__ = ["HtmlReleaseReportRenderer"]
