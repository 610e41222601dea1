"""Traceability use cases: import, link, trace, impact, gate, matrix, readiness."""

from edgedeploy.application.traceability.artifacts import RecordArtifact
from edgedeploy.application.traceability.exporting import ExportRequirements
from edgedeploy.application.traceability.gate import EvaluateGate, GateReport
from edgedeploy.application.traceability.importing import ImportRequirements, ImportResult
from edgedeploy.application.traceability.linking import LinkItems
from edgedeploy.application.traceability.matrix import BuildTraceMatrix
from edgedeploy.application.traceability.queries import TraceQueries
from edgedeploy.application.traceability.readiness import AssessReadiness, Readiness, ReadinessCheck

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
