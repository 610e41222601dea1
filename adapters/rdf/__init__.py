"""RDF trace stores: Oxigraph on disk (the default) and rdflib in memory.

Both implement :class:`edgedeploy.application.ports.trace_store.TraceStore` over the same vocabulary
(:mod:`edgedeploy.adapters.rdf.vocabulary`) and give identical answers. The zero-argument factories
are the
``edgedeploy.trace_stores`` entry points.
"""

from __future__ import annotations

import os
from pathlib import Path

from edgedeploy.adapters.rdf.oxigraph_store import OxigraphTraceStore
from edgedeploy.adapters.rdf.rdflib_store import RdflibTraceStore

PATH_ENV = "EDGEDEPLOY_TRACE_STORE_PATH"


def oxigraph_factory() -> OxigraphTraceStore:
    """The Oxigraph store at ``$EDGEDEPLOY_TRACE_STORE_PATH``, or in memory when it is unset.

    Raises:
        BackendUnavailable: the directory cannot be opened (e.g. another process holds it).
    """
    path = os.environ.get(PATH_ENV, "").strip()
    return OxigraphTraceStore(Path(path) if path else None)


def rdflib_memory_factory() -> RdflibTraceStore:
    """An empty in-memory rdflib store."""
    return RdflibTraceStore()


__all__ = [
    "PATH_ENV",
    "OxigraphTraceStore",
    "RdflibTraceStore",
    "oxigraph_factory",
    "rdflib_memory_factory",
]
