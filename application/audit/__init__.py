"""Tamper evidence: verify the evidence chains and files, export and verify bundles."""

from edgedeploy.application.audit.bundle import (
    EvidenceBundle,
    ExportEvidenceBundle,
    VerifyEvidenceBundle,
)
from edgedeploy.application.audit.trace_evidence import (
    TraceEvidenceReport,
    check_trace_evidence,
    sign_evidence,
)
from edgedeploy.application.audit.verify import (
    EVIDENCE_FILES,
    ChainStatus,
    EvidenceVerification,
    IntegrityCheck,
    VerifyEvidence,
)

__all__ = [
    "EVIDENCE_FILES",
    "ChainStatus",
    "EvidenceBundle",
    "EvidenceVerification",
    "ExportEvidenceBundle",
    "IntegrityCheck",
    "TraceEvidenceReport",
    "VerifyEvidence",
    "VerifyEvidenceBundle",
    "check_trace_evidence",
    "sign_evidence",
]
