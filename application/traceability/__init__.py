"""Traceability use cases: import, link, trace, impact, gate, matrix, readiness."""

from edgedeploy.application.traceability.artifacts import RecordArtifact
from edgedeploy.application.traceability.compliance import Compliance, assess_compliance
from edgedeploy.application.traceability.documents import (
    EvidenceFiles,
    ExportTraceGraph,
    RenderTraceMatrix,
)
from edgedeploy.application.traceability.exporting import ExportRequirements
from edgedeploy.application.traceability.gate import EvaluateGate, GateReport
from edgedeploy.application.traceability.importing import ImportRequirements, ImportResult
from edgedeploy.application.traceability.linking import LinkItems
from edgedeploy.application.traceability.listing import ListRequirements
from edgedeploy.application.traceability.matrix import BuildTraceMatrix
from edgedeploy.application.traceability.queries import TraceQueries
from edgedeploy.application.traceability.readiness import AssessReadiness, Readiness, ReadinessCheck
from edgedeploy.application.traceability.verification_evidence import (
    DeploymentSpecification,
    EvidenceRow,
    LinkVerificationEvidence,
    VerificationTest,
)

__all__ = [
    "AssessReadiness",
    "BuildTraceMatrix",
    "Compliance",
    "DeploymentSpecification",
    "EvaluateGate",
    "EvidenceFiles",
    "EvidenceRow",
    "ExportRequirements",
    "ExportTraceGraph",
    "GateReport",
    "ImportRequirements",
    "ImportResult",
    "LinkItems",
    "LinkVerificationEvidence",
    "ListRequirements",
    "Readiness",
    "ReadinessCheck",
    "RecordArtifact",
    "RenderTraceMatrix",
    "TraceQueries",
    "VerificationTest",
    "assess_compliance",
]
