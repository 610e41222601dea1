"""Ports: what the application needs from the outside world, as Protocols."""

from edgedeploy.application.ports.interchange import (
    Diagnostic,
    RequirementDocument,
    RequirementsReader,
    RequirementsWriter,
)
from edgedeploy.application.ports.persistence import (
    AuditLog,
    ModelVersionRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from edgedeploy.application.ports.system import Clock, EvidenceStore
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore

__all__ = [
    "AuditLog",
    "Clock",
    "Diagnostic",
    "EvidenceStore",
    "ModelVersionRepository",
    "RequirementDocument",
    "RequirementsReader",
    "RequirementsWriter",
    "TraceChange",
    "TraceStore",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
