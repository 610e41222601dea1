"""The Oxigraph trace store on disk: it survives a restart and refuses a second writer."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgedeploy.adapters.rdf import (
    OxigraphTraceStore,
    oxigraph_factory,
    rdflib_memory_factory,
)
from edgedeploy.application.errors import BackendUnavailable
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.requirements import ItemId
from edgedeploy.domain.trace_graph import TraceGraph
from edgedeploy.domain.traceability import Relation
from edgedeploy.plugins.testing.trace_data import aeb_graph


def answers(store: OxigraphTraceStore) -> tuple[object, ...]:
    ids = [item.id for item in store.items()]
    return (store.items(), store.links(), store.coverage_facts(), store.counts(),
            [store.forward(i) for i in ids], [store.backward(i) for i in ids],
            [store.impact(i) for i in ids])


def test_a_reopened_store_gives_the_same_answers(tmp_path: Path) -> None:
    items, links = aeb_graph()
    store = OxigraphTraceStore(tmp_path / "trace")
    store.apply(TraceChange(items=items, links=links))
    store.apply(TraceChange(suspect_from=[ItemId("ML-1")]))
    before = answers(store)
    store.close()

    reopened = OxigraphTraceStore(tmp_path / "trace")
    try:
        assert answers(reopened) == before
        assert reopened.coverage_facts() != TraceGraph(items, links).coverage_facts()  # suspects
    finally:
        reopened.close()


def test_a_bulk_import_is_on_disk_after_reopening(tmp_path: Path) -> None:
    items, links = aeb_graph()
    store = OxigraphTraceStore(tmp_path / "trace")
    store.bulk_import(TraceChange(items=items, links=links))
    store.flush()
    store.close()
    reopened = OxigraphTraceStore(tmp_path / "trace")
    try:
        reference = TraceGraph(items, links)
        assert reopened.links() == [reference.links[k] for k in sorted(reference.links)]
        assert reopened.coverage_facts() == reference.coverage_facts()
    finally:
        reopened.close()


def test_a_bulk_import_into_a_store_with_data_is_an_atomic_apply(tmp_path: Path) -> None:
    items, links = aeb_graph()
    store = OxigraphTraceStore(tmp_path / "trace")
    try:
        store.apply(TraceChange(items=items))
        store.bulk_import(TraceChange(items=items, links=links))
        assert len(store.links()) == len(links)
    finally:
        store.close()


def test_a_second_open_of_the_same_directory_is_refused_clearly(tmp_path: Path) -> None:
    store = OxigraphTraceStore(tmp_path / "trace")
    try:
        with pytest.raises(BackendUnavailable, match=r"already open .*LOCK") as caught:
            OxigraphTraceStore(tmp_path / "trace")
        assert str(tmp_path / "trace") in caught.value.message
    finally:
        store.close()
    OxigraphTraceStore(tmp_path / "trace").close()  # free again once closed


def test_a_path_that_is_a_file_is_reported_as_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(BackendUnavailable, match="not-a-dir"):
        OxigraphTraceStore(blocker)


def test_the_factory_opens_the_directory_it_is_given(tmp_path: Path) -> None:
    items, links = aeb_graph()
    store = oxigraph_factory(tmp_path / "given")
    store.apply(TraceChange(items=items, links=links))
    store.close()
    assert (tmp_path / "given").is_dir()
    again = OxigraphTraceStore(tmp_path / "given")
    try:
        assert again.get_link((ItemId("SYS-1"), Relation.DERIVES, ItemId("ML-1"))) is not None
    finally:
        again.close()


def test_the_factory_reads_no_environment_variable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGEDEPLOY_TRACE_STORE_PATH", str(tmp_path / "from-env"))
    store = oxigraph_factory()
    try:
        assert store.path is None
    finally:
        store.close()
    assert not (tmp_path / "from-env").exists()


def test_without_a_path_the_factories_give_empty_memory_stores() -> None:
    for store in (oxigraph_factory(), rdflib_memory_factory()):
        assert store.counts()["links"] == 0
        store.close()
