"""Writing JSON reports and artifacts to a directory and, when given, the evidence store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from edgedeploy.application.ports.system import EvidenceStore


def file_digest(path: str | Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def write_json(report: dict[str, Any], path: Path, evidence: EvidenceStore | None) -> str:
    """Write ``report`` (sorted keys, so equal reports have equal digests); return its digest.

    The evidence store, when present, receives the same bytes, so the digest names the report
    in both places.
    """
    data = (json.dumps(report, indent=2, sort_keys=True, default=str) + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if evidence is not None:
        return evidence.put(data)
    return "sha256:" + hashlib.sha256(data).hexdigest()


def store_file(path: Path, evidence: EvidenceStore | None) -> str:
    """Put a file's bytes into the evidence store (when present); return their digest."""
    if evidence is not None:
        return evidence.put(path.read_bytes())
    return file_digest(path)
