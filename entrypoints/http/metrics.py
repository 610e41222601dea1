"""Prometheus metrics of the drift monitor, served at ``/metrics``.

The counters live in a registry of their own rather than prometheus-client's global one, so
only the monitor's series are exposed; counts accumulate per process, and a multi-worker
deployment is scraped per worker, as Prometheus does for any multi-process server.
"""

from __future__ import annotations

from litestar import Response, get
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from edgedeploy.domain.drift import DriftVerdict
from edgedeploy.domain.identity import Permission
from edgedeploy.entrypoints.http.auth import guarded

REGISTRY = CollectorRegistry()
VERDICTS = Counter("edgedeploy_drift_verdicts", "Drift verdicts by deployment and severity.",
                   ["deployment", "severity"], registry=REGISTRY)
DATA_QUALITY = Counter("edgedeploy_drift_data_quality_findings",
                       "Data-quality findings by deployment and kind.",
                       ["deployment", "flag"], registry=REGISTRY)
VOTE_SHARE = Histogram("edgedeploy_drift_vote_share",
                       "Weighted share of drift detectors that fired on a window.",
                       ["deployment"], buckets=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
                       registry=REGISTRY)
LAST_WINDOW = Gauge("edgedeploy_drift_last_window_timestamp_seconds",
                    "When the deployment's last window was checked (Unix time).",
                    ["deployment"], registry=REGISTRY)
LAST_SEVERITY = Gauge("edgedeploy_drift_last_severity",
                      "Severity of the deployment's last verdict (0 normal ... 3 critical).",
                      ["deployment"], registry=REGISTRY)


def observe_verdict(verdict: DriftVerdict) -> None:
    """Count one verdict."""
    name = verdict.deployment
    VERDICTS.labels(name, verdict.severity.value).inc()
    VOTE_SHARE.labels(name).observe(verdict.vote_share)
    LAST_WINDOW.labels(name).set(verdict.observed_at.timestamp())
    LAST_SEVERITY.labels(name).set(verdict.severity.rank)
    for flag in verdict.data_quality:
        DATA_QUALITY.labels(name, flag.value).inc()
    for finding in verdict.findings:
        DATA_QUALITY.labels(name, finding.flag.value).inc()


@get("/metrics", sync_to_thread=False, include_in_schema=False, **guarded(Permission.READ))
def metrics() -> Response[bytes]:
    """The metrics in Prometheus' text exposition format."""
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
