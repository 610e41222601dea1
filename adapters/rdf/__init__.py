"""RDF trace stores: Oxigraph on disk (the default) and rdflib in memory.

Both implement :class:`edgedeploy.application.ports.trace_store.TraceStore` over the same
vocabulary (:mod:`edgedeploy.adapters.rdf.vocabulary`) and give identical answers. The
factories are the ``edgedeploy.trace_stores`` entry points; nothing here reads the
environment: the composition root hands over the directory from settings.
"""

from __future__ import annotations

from pathlib import Path

from edgedeploy.adapters.rdf.oxigraph_store import OxigraphTraceStore
from edgedeploy.adapters.rdf.rdflib_store import RdflibTraceStore


def oxigraph_factory(path: str | Path | None = None) -> OxigraphTraceStore:
    """The Oxigraph store in directory ``path`` (created), or in memory without one.

    The composition root passes the directory from settings; called with no argument, as an
    entry point is, the store lives in memory.

    Raises:
        BackendUnavailable: the directory cannot be opened (e.g. another process holds it).
    """
    if path is None or not str(path).strip():
        return OxigraphTraceStore(None)
    directory = Path(path)
    if not directory.exists():
        directory.mkdir(parents=True)
    return OxigraphTraceStore(directory)


def rdflib_memory_factory() -> RdflibTraceStore:
    """An empty in-memory rdflib store."""
    return RdflibTraceStore()


__all__ = [
    "OxigraphTraceStore",
    "RdflibTraceStore",
    "oxigraph_factory",
    "rdflib_memory_factory",
]
