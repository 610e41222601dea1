"""Drift monitoring use cases: fit a reference, check windows, record feedback, report."""

from edgedeploy.application.monitoring.alerts import RaiseDriftAlert
from edgedeploy.application.monitoring.check_window import CheckWindow
from edgedeploy.application.monitoring.drift_report import (
    DeploymentDrift,
    DriftReport,
    DriftReportResult,
)
from edgedeploy.application.monitoring.ensemble import (
    DetectorPool,
    Judgement,
    default_weights,
    judge,
)
from edgedeploy.application.monitoring.fit_reference import FitReference
from edgedeploy.application.monitoring.notify import NotifyAlertReceivers, alert_of
from edgedeploy.application.monitoring.record_feedback import RecordFeedback
from edgedeploy.application.monitoring.verdicts import ListVerdicts

__all__ = [
    "CheckWindow",
    "DeploymentDrift",
    "DetectorPool",
    "DriftReport",
    "DriftReportResult",
    "FitReference",
    "Judgement",
    "ListVerdicts",
    "NotifyAlertReceivers",
    "RaiseDriftAlert",
    "RecordFeedback",
    "alert_of",
    "default_weights",
    "judge",
]
