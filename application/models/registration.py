"""Register model versions by the SHA-256 of their bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import structlog

from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.application.ports.system import Clock, EvidenceStore
from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.models import ModelRef, ModelVersion
from edgedeploy.domain.requirements import Artifact, ArtifactKind, Attributes

log = structlog.get_logger(__name__)


class RegisterModel:
    """Fix a model version's bytes forever and put it into the trace graph.

    Registering the same bytes again is a no-op; other bytes under an existing version are
    refused. The trace graph is written first (an idempotent upsert), so a failed commit leaves
    at most a model item that the gate ignores because the registry does not confirm it.
    """

    def __init__(self, uow: Callable[[], UnitOfWork], evidence: EvidenceStore,
                 store: TraceStore, clock: Clock) -> None:
        self._uow, self._evidence, self._store, self._clock = uow, evidence, store, clock

    def __call__(self, ref: ModelRef, data: bytes, actor: str,
                 source_name: str = "", attributes: Attributes = ()) -> ModelVersion:
        """Register ``data`` as ``ref``; returns the registered version.

        ``attributes`` are kept on the model's trace item (for example the digests of its FP32
        reference, calibration data and export report).

        Raises:
            DigestMismatch: the version exists with other bytes.
            InvalidModelVersion: the data is empty or the reference malformed.
        """
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        candidate = ModelVersion(ref, digest, len(data), self._clock.now(), actor, source_name)
        with self._uow() as uow:
            existing = uow.models.get(ref)
            if existing is not None:
                existing.check_same_bytes(digest)
                return existing
        self._evidence.put(data)
        self._store.apply(TraceChange(items=[Artifact(ref.item_id, ArtifactKind.MODEL,
                                                      title=source_name or str(ref),
                                                      digest=digest,
                                                      attributes=attributes)]))
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
        log.info("model.registered", model=str(ref), digest=digest, size=len(data))
        return candidate
