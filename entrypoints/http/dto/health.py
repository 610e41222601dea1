"""DTOs of the liveness and readiness probes."""

from __future__ import annotations

import msgspec

from edgedeploy.entrypoints.http.dto.common import ProbeView


class LivenessView(msgspec.Struct, kw_only=True):
    """The process answers requests."""

    status: str = "ok"
    version: str


class ServiceReadinessView(msgspec.Struct, kw_only=True):
    """Every dependency answered: the service can take traffic."""

    status: str = "ready"
    checks: list[ProbeView]


__all__ = ["LivenessView", "ServiceReadinessView"]
