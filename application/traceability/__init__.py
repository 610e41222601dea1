"""Traceability use cases: import, link, trace, impact, gate, matrix, readiness."""

from application.traceability.artifacts import RecordArtifact
from application.traceability.exporting import ExportRequirements
from application.traceability.gate import EvaluateGate, GateReport
from application.traceability.importing import ImportRequirements, ImportResult
from application.traceability.linking import LinkItems
from application.traceability.matrix import BuildTraceMatrix
from application.traceability.queries import TraceQueries
from application.traceability.readiness import AssessReadiness, Readiness, ReadinessCheck

__all__ = [
    "AssessReadiness",
    "BuildTraceMatrix",
    "EvaluateGate",
    "ExportRequirements",
    "GateReport",
    "ImportRequirements",
    "ImportResult",
    "LinkItems",
    "Readiness",
    "ReadinessCheck",
    "RecordArtifact",
    "TraceQueries",
]
