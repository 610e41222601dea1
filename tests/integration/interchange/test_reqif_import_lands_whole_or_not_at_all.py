"""ReqIF imports through the composition root: whole, or not at all, and --strict."""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgedeploy.application.errors import ImportRefused, ImportTooLarge
from edgedeploy.domain.identity import Principal, Role
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.settings import InterchangeSettings, Settings
from tests.integration.interchange.reqif_text import Doc, Req

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "reqif"
ENGINEER = Principal("engineer.test", frozenset({Role.ENGINEER}))
DEFECTIVE = ("doors_missing_hierarchy_object.reqif", "polarion_duplicate_hierarchy_ids.reqif",
             "ea_unplaced_object.reqif", "polarion.reqif", "undefined_relation_type.reqif")
HOSTILE = ("xxe.reqif", "bad_xml.reqif", "unknown_asil.reqif", "dangling_relation.reqif",
           "duplicate_id.reqif")


@pytest.fixture(name="settings")
def fx_settings(tmp_path: Path) -> Settings:
    """A home in ``tmp_path`` with small import limits, so hostile files stay cheap."""
    return Settings(home=str(tmp_path / "home"), actor="test.actor", log_level="error",
                    trace_store="rdflib-memory",
                    interchange=InterchangeSettings(max_member_bytes=1024 * 1024,
                                                    max_attribute_bytes=256 * 1024))


@pytest.fixture(name="store_state")
def fx_store_state(container: Container) -> Iterator[object]:
    store = container.trace_store()

    def state() -> tuple[list[str], list[str]]:
        return (sorted(repr(item) for item in store.items()),
                sorted(repr(link) for link in store.links()))

    yield state


def _objects(data: bytes) -> set[str]:
    return {m.decode() for m in re.findall(rb'<SPEC-OBJECT\s+IDENTIFIER="([^"]+)"', data)}


@pytest.mark.parametrize("name", DEFECTIVE)
def test_a_defective_export_lands_whole_with_its_diagnostics(container: Container,
                                                             name: str) -> None:
    data = (FIXTURES / name).read_bytes()

    result = container.import_requirements()(name, data, actor=ENGINEER)

    assert len(result.created) == len(_objects(data))
    store = container.trace_store()
    assert all(store.get_item(item) is not None for item in result.created)
    assert result.diagnostics


@pytest.mark.parametrize("name", DEFECTIVE)
def test_strict_refuses_each_defective_export_and_changes_nothing(
        container: Container, store_state: object, name: str) -> None:
    before = store_state()  # type: ignore[operator]

    with pytest.raises(ImportRefused, match="strict import"):
        container.import_requirements()(name, (FIXTURES / name).read_bytes(), actor=ENGINEER,
                                        strict=True)

    assert store_state() == before  # type: ignore[operator]


def test_strict_accepts_a_clean_export(container: Container) -> None:
    data = (FIXTURES / "doors.reqif").read_bytes()
    before = len(container.trace_store().items())
    result = container.import_requirements()("doors.reqif", data, actor=ENGINEER, strict=True)
    assert len(container.trace_store().items()) == before + len(result.created) > before
    assert not result.diagnostics


def _bomb() -> bytes:
    member = Doc([Req("BOMB-1", text="x" * (4 * 1024 * 1024))], tree=[("n", "BOMB-1", [])]).xml()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.reqif", member)
    return buffer.getvalue()


@pytest.mark.parametrize("name", [*HOSTILE, "bomb.reqifz", "attribute.reqif"])
def test_hostile_and_corrupt_files_are_refused_with_the_store_unchanged(
        container: Container, store_state: object, name: str) -> None:
    container.import_requirements()("doors.reqif", (FIXTURES / "doors.reqif").read_bytes(),
                                    actor=ENGINEER)
    before = store_state()  # type: ignore[operator]
    if name == "bomb.reqifz":
        data, expected = _bomb(), ImportTooLarge
    elif name == "attribute.reqif":
        data = Doc([Req("BIG-1", text="y" * 300_000)], tree=[("n", "BIG-1", [])]).xml()
        expected = ImportTooLarge
    else:
        data, expected = (FIXTURES / name).read_bytes(), ImportRefused

    with pytest.raises(expected):
        container.import_requirements()(name, data, actor=ENGINEER)

    assert store_state() == before  # type: ignore[operator]


_KEYS = itertools.count()
# Defects that lose no requirement content, then defects that would.
HARMLESS = ("missing-node-object", "shared-node-id", "unknown-relation-type", "unplaced")
HARMFUL = ("unknown-asil", "duplicate-object", "dangling-relation")


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, set[str], bool]:
    """A document with random defects; the keys it holds; whether it must be refused."""
    run = next(_KEYS)
    count = draw(st.integers(min_value=1, max_value=5))
    keys = [f"G{run}-{i}" for i in range(count)]
    reqs = [Req(k, asil=draw(st.sampled_from(["QM", "A", "ASIL B", "C", "ASIL-D"])))
            for k in keys]
    defects = draw(st.sets(st.sampled_from(HARMLESS + HARMFUL), max_size=3))
    tree: list[tuple[str, str, list[tuple[str, str]]]] = [
        (f"n-{k}", k, []) for k in keys]
    relations = [(f"r-{a}-{b}", a, b, draw(st.sampled_from(["derived from", "refined by"])))
                 for a, b in itertools.pairwise(keys)]
    if "missing-node-object" in defects:
        tree.append(("n-ghost", "GHOST", [("n-under-ghost", keys[0])]))
        tree = [t for t in tree if t[1] != keys[0]]
    if "shared-node-id" in defects and len(tree) > 1:
        tree[1] = (tree[0][0], tree[1][1], tree[1][2])
    if "unknown-relation-type" in defects and count > 1:
        relations.append((f"r-odd-{run}", keys[-1], keys[0], "Allocated To Somewhere"))
    if "unplaced" in defects and count > 1:
        tree = [t for t in tree if t[1] != keys[-1]]
    if "unknown-asil" in defects:
        reqs[0] = Req(keys[0], asil="ASIL E")
    if "duplicate-object" in defects:
        reqs.append(Req(keys[0]))
    if "dangling-relation" in defects:
        relations.append((f"r-dangling-{run}", keys[0], "NOWHERE", "derived from"))
    refused = bool(defects & set(HARMFUL))
    return Doc(reqs, tree=tree, relations=relations).xml(), set(keys), refused


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=documents())
def test_an_import_either_lands_whole_or_changes_nothing(
        container: Container, store_state: object, case: tuple[bytes, set[str], bool]) -> None:
    data, keys, refused = case
    store = container.trace_store()
    before = store_state()  # type: ignore[operator]

    try:
        container.import_requirements()("generated.reqif", data, actor=ENGINEER)
    except ImportRefused:
        assert refused
        assert store_state() == before  # type: ignore[operator]
        return
    assert not refused
    assert all(store.get_item(key) is not None for key in keys)  # type: ignore[arg-type]
