from dataclasses import replace

import pytest

from edgedeploy.application.errors import ImportRefused, InvalidInput
from edgedeploy.application.ports.interchange import RequirementDocument
from edgedeploy.domain.requirements import ArtifactKind as K
from edgedeploy.domain.requirements import RequirementLevel as L
from edgedeploy.domain.safety import ASIL, DecomposedAsil
from edgedeploy.domain.traceability import Relation as R
from tests.builders import ENGINEER, art, link, req, result


def doc(*requirements, artifacts=(), links=(), source="reqs.test"):
    return RequirementDocument(source, list(requirements), list(artifacts), list(links))


def test_an_import_creates_requirements_and_links(import_requirements, reader, store):
    reader.documents["a.test"] = doc(req("SYS-1"), req("MLR-1", level=L.ML),
                                     links=[link("SYS-1", R.DERIVES, "MLR-1")])
    result_ = import_requirements("a.test", b"", actor=ENGINEER)
    assert result_.created == ("SYS-1", "MLR-1")
    assert result_.links_added == 1
    assert store.counts()["requirement"] == 2


def test_reimporting_updates_by_identifier_instead_of_duplicating(import_requirements, reader,
                                                                   store):
    reader.documents["a.test"] = doc(req("SYS-1"), req("MLR-1"))
    import_requirements("a.test", b"", actor=ENGINEER)
    reader.documents["a.test"] = doc(req("SYS-1", text="Brake within 150 ms."), req("MLR-1"))
    second = import_requirements("a.test", b"", actor=ENGINEER)
    assert second.created == ()
    assert second.updated == ("SYS-1",)
    assert second.unchanged == 1
    assert store.get_item("SYS-1").version == 2
    assert store.counts()["requirement"] == 2


def test_a_changed_requirement_makes_its_downstream_links_suspect(import_requirements, reader,
                                                                  store, link_items):
    reader.documents["a.test"] = doc(req("SYS-1"), req("MLR-1"),
                                     artifacts=[art("TC-1", K.TEST)],
                                     links=[link("SYS-1", R.DERIVES, "MLR-1"),
                                            link("MLR-1", R.VERIFIED_BY, "TC-1")])
    import_requirements("a.test", b"", actor=ENGINEER)
    link_items("MLR-1", R.VERIFIED_BY, "TC-1",
               replace(result(agent=ENGINEER.name), artifact_digest="sha256:" + "0" * 64),
               actor=ENGINEER)
    reader.documents["a.test"] = doc(req("SYS-1", ASIL.D), req("MLR-1"),
                                     artifacts=[art("TC-1", K.TEST)])
    outcome = import_requirements("a.test", b"", actor=ENGINEER)
    assert outcome.suspect_links == 2
    assert store.get_link(("MLR-1", R.VERIFIED_BY, "TC-1")).suspect
    # the evidence recorded before the change is kept
    assert len(store.get_link(("MLR-1", R.VERIFIED_BY, "TC-1")).evidence) == 1


def test_a_dangling_relation_refuses_the_whole_file(import_requirements, reader, store):
    reader.documents["a.test"] = doc(req("SYS-1"), links=[link("SYS-1", R.DERIVES, "MLR-404")])
    with pytest.raises(ImportRefused, match=r"reqs.test, relation \[MLR-404\]"):
        import_requirements("a.test", b"", actor=ENGINEER)
    assert store.counts()["requirement"] == 0


def test_a_relation_between_the_wrong_kinds_is_refused(import_requirements, reader, store):
    reader.documents["a.test"] = doc(req("SYS-1"), artifacts=[art("TC-1", K.TEST)],
                                     links=[link("SYS-1", R.DERIVES, "TC-1")])
    with pytest.raises(ImportRefused, match="derives links requirement -> requirement"):
        import_requirements("a.test", b"", actor=ENGINEER)
    assert store.items() == []


def test_a_duplicate_identifier_is_refused(import_requirements, reader, store):
    reader.documents["a.test"] = doc(req("SYS-1"), req("SYS-1"))
    with pytest.raises(ImportRefused, match=r"\[SYS-1\]: duplicate identifier"):
        import_requirements("a.test", b"", actor=ENGINEER)
    assert store.items() == []


def test_an_invalid_asil_decomposition_is_refused(import_requirements, reader, store):
    parts = [req("SW-1", ASIL.B, decomposition=DecomposedAsil(ASIL.B, ASIL.D)),
             req("SW-2", ASIL.A, decomposition=DecomposedAsil(ASIL.A, ASIL.D))]
    reader.documents["a.test"] = doc(req("SYS-1", ASIL.D), *parts,
                                     links=[link("SYS-1", R.DERIVES, "SW-1"),
                                            link("SYS-1", R.DERIVES, "SW-2")])
    with pytest.raises(ImportRefused, match=r"decomposition \[SYS-1\].*not a decomposition"):
        import_requirements("a.test", b"", actor=ENGINEER)
    assert store.items() == []


def test_a_failing_store_write_leaves_nothing_behind(import_requirements, reader, store):
    reader.documents["a.test"] = doc(req("SYS-1"))
    store.fail_next_apply = RuntimeError("disk full")
    with pytest.raises(RuntimeError):
        import_requirements("a.test", b"", actor=ENGINEER)
    assert store.items() == []


def test_an_unknown_file_format_is_named(import_requirements):
    with pytest.raises(InvalidInput, match=r"cannot import '\.docx' files; supported: \.test"):
        import_requirements("spec.docx", b"", actor=ENGINEER)


def test_reimporting_a_test_keeps_the_digest_and_recorder_of_its_stored_report(
        import_requirements, reader, store):
    from edgedeploy.application.traceability import RecordArtifact

    reader.documents["a.test"] = doc(req("SYS-1"), artifacts=[art("TC-1", K.TEST)],
                                     links=[link("SYS-1", R.VERIFIED_BY, "TC-1")])
    first = import_requirements("a.test", b"", actor=ENGINEER)
    assert store.get_item("TC-1").recorded_by == ENGINEER.name
    digest = "sha256:" + "ab" * 32
    RecordArtifact(store)(art("TC-1", K.TEST, digest), actor=ENGINEER)
    again = import_requirements("a.test", b"", actor=ENGINEER)
    assert "TC-1" in first.created and again.updated == () and again.created == ()
    assert store.get_item("TC-1").digest == digest
