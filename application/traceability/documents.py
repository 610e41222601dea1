"""Use cases: trace data as documents (matrix, exports) and the evidence files behind it."""

from __future__ import annotations

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.interchange import RequirementsWriter
from edgedeploy.application.ports.reporting import MatrixRenderer
from edgedeploy.application.ports.system import EvidenceStore
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.traceability.exporting import document_from_store
from edgedeploy.application.traceability.matrix import BuildTraceMatrix
from edgedeploy.domain.errors import NotFound

RDF_FORMATS = ("turtle", "json-ld", "n-triples")
"""Serialisations of the whole trace graph; ``reqif`` exports requirements and links only."""


class RenderTraceMatrix:
    """The traceability matrix as a spreadsheet (CSV) or a self-contained page (HTML)."""

    def __init__(self, build: BuildTraceMatrix, renderer: MatrixRenderer) -> None:
        self._build, self._renderer = build, renderer

    def csv(self) -> bytes:
        """UTF-8 CSV, one row per requirement, header first."""
        return self._renderer.csv(self._build())

    def html(self) -> bytes:
        """One HTML file with inline CSS, fit to attach to a release record."""
        return self._renderer.html(self._build())


class ExportTraceGraph:
    """Requirements and links as ReqIF for requirement tools, or the whole graph as RDF."""

    def __init__(self, store: TraceStore, writer: RequirementsWriter) -> None:
        self._store, self._writer = store, writer

    def __call__(self, fmt: str = "reqif") -> bytes:
        """The export in ``fmt`` (``reqif`` or one of :data:`RDF_FORMATS`).

        Raises:
            InvalidInput: ``fmt`` is none of them.
        """
        if fmt == "reqif":
            return self._writer.write(document_from_store(self._store))
        if fmt not in RDF_FORMATS:
            raise InvalidInput(f"export format '{fmt}' is not one of reqif, "
                               f"{', '.join(RDF_FORMATS)}", code="EXPORT_FORMAT_UNKNOWN")
        return self._store.export_rdf(fmt)


class EvidenceFiles:
    """Reports and artifacts kept by content digest: a reviewer reads exactly what was judged."""

    def __init__(self, evidence: EvidenceStore) -> None:
        self._evidence = evidence

    def store(self, data: bytes) -> str:
        """Keep ``data`` (idempotent) and return the digest that names it (``sha256:<hex>``)."""
        return self._evidence.put(data)

    def fetch(self, digest: str) -> bytes:
        """The bytes stored under ``digest``.

        Raises:
            NotFound: nothing is stored under ``digest`` (code ``ARTIFACT_NOT_FOUND``).
        """
        if not self._evidence.exists(digest):
            raise NotFound(f"no artifact stored under {digest}", code="ARTIFACT_NOT_FOUND")
        return self._evidence.get(digest)
