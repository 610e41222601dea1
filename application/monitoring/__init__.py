"""Drift monitoring use cases: fit a reference, check windows, record feedback, report."""

from application.monitoring.check_window import CheckWindow
from application.monitoring.drift_report import DeploymentDrift, DriftReport, DriftReportResult
from application.monitoring.ensemble import DetectorPool, Judgement, default_weights, judge
from application.monitoring.fit_reference import FitReference
from application.monitoring.record_feedback import RecordFeedback

__all__ = [
    "CheckWindow",
    "DeploymentDrift",
    "DetectorPool",
    "DriftReport",
    "DriftReportResult",
    "FitReference",
    "Judgement",
    "RecordFeedback",
    "default_weights",
    "judge",
]
