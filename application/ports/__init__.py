"""Ports: what the application needs from the outside world, as Protocols."""

from application.ports.interchange import (
    Diagnostic,
    RequirementDocument,
    RequirementsReader,
    RequirementsWriter,
)
from application.ports.persistence import AuditLog, ModelVersionRepository, UnitOfWork
from application.ports.system import Clock, EvidenceStore
from application.ports.trace_store import TraceChange, TraceStore

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
]
