"""Register model versions by the SHA-256 of their bytes, once the file has been inspected."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import structlog

from edgedeploy.application.models.file_format import model_format
from edgedeploy.application.ports.model_files import (
    ModelFileInspector,
    ModelFileReport,
    ModelFormat,
)
from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.system import Clock, EvidenceStore
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.models import ModelRef, ModelVersion
from edgedeploy.domain.requirements import Artifact, ArtifactKind, Attributes

log = structlog.get_logger(__name__)

MODEL_FORMAT, INSPECTION, INSPECTION_REPORT = "model_format", "inspection", "inspection_sha256"
"""Trace-item attributes: the format, the inspection's one-line outcome, its report's digest."""


class RegisterModel:
    """Fix a model version's bytes forever and put it into the trace graph.

    Registering the same bytes again is a no-op; other bytes under an existing version are
    refused. The trace graph is written first (an idempotent upsert), so a failed commit leaves
    at most a model item that the gate ignores because the registry does not confirm it.

    Before anything is stored, the file is inspected (parsed, its graph checked, run once on its
    declared inputs where that is cheap), so a truncated or broken model is refused here rather
    than at optimization, verification or on the ECU. The inspection report is stored as
    evidence and named on the model's trace item. A file whose format neither its bytes nor its
    name reveal is registered as opaque bytes, and its report says it was not inspected.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], evidence: EvidenceStore,
                 store: TraceStore, clock: Clock, *, inspector: ModelFileInspector) -> None:
        self._uow, self._evidence, self._store, self._clock = uow, evidence, store, clock
        self._inspector = inspector

    def __call__(self, ref: ModelRef, data: bytes, actor: str,
                 source_name: str = "", attributes: Attributes = ()) -> ModelVersion:
        """Register ``data`` as ``ref``; returns the registered version.

        ``attributes`` are kept on the model's trace item (for example the digests of its FP32
        reference, calibration data and export report).

        Raises:
            DigestMismatch: the version exists with other bytes.
            InvalidModelVersion: the data is empty or the reference malformed.
            InvalidModelFile: the file does not parse, check or run; nothing is stored.
            UnsafeModelFile: the file's pickles import a global that could run code.
        """
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        candidate = ModelVersion(ref, digest, len(data), self._clock.now(), actor, source_name)
        with self._uow() as uow:
            existing = uow.models.get(ref)
            if existing is not None:
                existing.check_same_bytes(digest)
                return existing
        report = self._inspect(data, source_name)
        report_digest = self._evidence.put(
            json.dumps({"model": str(ref), "digest": digest, **report.to_dict()},
                       indent=2, sort_keys=True).encode())
        inspection = ((MODEL_FORMAT, report.format.value), (INSPECTION, report.summary),
                      (INSPECTION_REPORT, report_digest))
        self._evidence.put(data)
        self._store.apply(TraceChange(items=[Artifact(ref.item_id, ArtifactKind.MODEL,
                                                      title=source_name or str(ref),
                                                      digest=digest,
                                                      attributes=(*attributes, *inspection))]))
        try:
            with self._uow() as uow:
                uow.models.add(candidate)
                uow.commit()
        except Conflict:
            # Another registration of this version won the race: same bytes is fine.
            with self._uow() as uow:
                winner = uow.models.get(ref)
            if winner is None:
                raise
            winner.check_same_bytes(digest)
            return winner
        log.info("model.registered", model=str(ref), digest=digest, size=len(data),
                 inspection=report.summary)
        return candidate

    def _inspect(self, data: bytes, source_name: str) -> ModelFileReport:
        declared = model_format(data, source_name)
        if declared is ModelFormat.UNKNOWN:
            return ModelFileReport(
                ModelFormat.UNKNOWN, inspector="",
                inference="neither the bytes nor the file name show a model format")
        return self._inspector.inspect(data, declared, source_name)
