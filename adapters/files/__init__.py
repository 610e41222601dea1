"""Files on local disk: the content-addressed evidence store."""

from edgedeploy.adapters.files.evidence_store import (
    EvidenceCorrupted,
    EvidenceNotFound,
    FileEvidenceStore,
)

__all__ = ["EvidenceCorrupted", "EvidenceNotFound", "FileEvidenceStore"]
