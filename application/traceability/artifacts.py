"""Record work products (tests, datasets, deployments) in the trace graph."""

from __future__ import annotations

from dataclasses import replace

import structlog

from edgedeploy.application.ports.trace_store import TraceChange, TraceStore
from edgedeploy.application.traceability.locking import exclusive
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.identity import Permission, Principal
from edgedeploy.domain.requirements import Artifact, ArtifactKind, item_kind

log = structlog.get_logger(__name__)


class ArtifactKindClash(Conflict):
    """An identifier is already used by an item of another kind."""

    code = "TRACE_ITEM_KIND_CLASH"


class RecordArtifact:
    """Add or update a test, dataset or deployment; model versions come from the registry."""

    def __init__(self, store: TraceStore) -> None:
        self._store = store

    def __call__(self, artifact: Artifact, *, actor: Principal) -> Artifact:
        """Upsert ``artifact`` by id, recorded by ``actor``.

        The artifact is stamped with who recorded it, so that an independent review of its
        links can tell whether the reviewer recorded it themselves.

        Raises:
            Forbidden: ``actor`` may not record artifacts.
            ArtifactKindClash: the id names an item of another kind.
            Conflict: a model version was given (register it instead).
        """
        with exclusive(self._store):
            return self._record(artifact, actor=actor)

    def _record(self, artifact: Artifact, *, actor: Principal) -> Artifact:
        actor.require(Permission.RECORD_ARTIFACT)
        artifact = replace(artifact, recorded_by=actor.name)
        if artifact.kind is ArtifactKind.MODEL:
            raise Conflict("model versions enter the trace only through the model registry "
                           "(edgedeploy models register)", code="MODEL_NOT_REGISTERED")
        existing = self._store.get_item(artifact.id)
        if existing is not None and item_kind(existing).value != artifact.kind.value:
            raise ArtifactKindClash(f"'{artifact.id}' is already a {item_kind(existing)}; "
                                    f"it cannot also be a {artifact.kind}")
        self._store.apply(TraceChange(items=[artifact]))
        log.info("trace.artifact", id=artifact.id, kind=artifact.kind.value, actor=actor.name)
        return artifact
