"""Registration inspects a model file first; a refused file leaves nothing behind."""

import json

import pytest

from edgedeploy.application.models import (
    ModelBuilderNotAllowed,
    ModelBuilders,
    RegisterModel,
    model_format,
)
from edgedeploy.application.models.registration import INSPECTION, INSPECTION_REPORT, MODEL_FORMAT
from edgedeploy.application.ports.model_files import InvalidModelFile, ModelFormat
from edgedeploy.domain.models import ModelRef
from tests.fakes.model_files import ScriptedModelFileInspector
from tests.fakes.persistence import InMemoryEvidenceStore

MODEL = ModelRef("aeb", "1.0.0")
ONNX_BYTES = b"\x08\x08\x12\x07pytorch"  # ir_version first, as every ONNX writer puts it


@pytest.fixture(name="evidence")
def fx_evidence():
    return InMemoryEvidenceStore()


def _register(uow, evidence, store, clock, inspector):
    return RegisterModel(uow, evidence, store, clock, inspector=inspector)


def test_a_refused_file_stores_no_row_no_evidence_and_no_trace_item(uow, evidence, store,
                                                                    clock):
    inspector = ScriptedModelFileInspector(problem="its graph does not check: no nodes")
    register = _register(uow, evidence, store, clock, inspector)
    with pytest.raises(InvalidModelFile, match=r"aeb\.onnx \(onnx\) is refused: its graph"):
        register(MODEL, ONNX_BYTES, "release.engineer", "aeb.onnx")
    assert inspector.inspected == [(ModelFormat.ONNX, "aeb.onnx")]
    with uow() as u:
        assert u.models.list(None) == []
    assert evidence.blobs == {}
    assert store.get_item(MODEL.item_id) is None


def test_an_inspected_file_keeps_its_report_as_evidence_on_the_trace_item(uow, evidence, store,
                                                                          clock):
    register = _register(uow, evidence, store, clock, ScriptedModelFileInspector())
    model = register(MODEL, ONNX_BYTES, "release.engineer", "aeb.onnx", (("plan", "int8"),))
    attributes = dict(store.get_item(MODEL.item_id).attributes)
    assert attributes["plan"] == "int8"
    assert attributes[MODEL_FORMAT] == "onnx"
    assert attributes[INSPECTION] == "onnx: parsed; inference ran"
    report = json.loads(evidence.get(attributes[INSPECTION_REPORT]))
    assert report["digest"] == model.digest and report["model"] == "aeb@1.0.0"
    assert report["inspected"] is True and report["checks"] == ["parsed"]
    assert evidence.exists(model.digest)


def test_bytes_of_no_known_format_are_registered_uninspected_and_say_so(uow, evidence, store,
                                                                        clock):
    inspector = ScriptedModelFileInspector(problem="must not be asked")
    register = _register(uow, evidence, store, clock, inspector)
    register(MODEL, b"opaque weights", "release.engineer", "weights.bin")
    assert inspector.inspected == []
    attributes = dict(store.get_item(MODEL.item_id).attributes)
    assert attributes[MODEL_FORMAT] == "unknown"
    assert attributes[INSPECTION].startswith("not inspected: ")
    assert json.loads(evidence.get(attributes[INSPECTION_REPORT]))["inspected"] is False


def test_the_same_bytes_again_are_not_inspected_again(uow, evidence, store, clock):
    inspector = ScriptedModelFileInspector()
    register = _register(uow, evidence, store, clock, inspector)
    first = register(MODEL, ONNX_BYTES, "release.engineer", "aeb.onnx")
    assert register(MODEL, ONNX_BYTES, "release.engineer", "aeb.onnx") == first
    assert len(inspector.inspected) == 1


@pytest.mark.parametrize("data,name,expected", [
    (ONNX_BYTES, "", ModelFormat.ONNX),
    # An optimized ONNX model is registered under its PyTorch source's name: bytes win.
    (ONNX_BYTES, "aeb.pt", ModelFormat.ONNX),
    (b"PK\x03\x04rest of a zip", "aeb.pt", ModelFormat.PYTORCH),
    (b"PK\x03\x04rest of a zip", "aeb.pt2", ModelFormat.EXPORTED_PROGRAM),
    (b"\x80\x02legacy pickle", "", ModelFormat.PYTORCH),
    (b"garbage", "aeb.onnx", ModelFormat.ONNX),
    (b"garbage", "aeb.PTH", ModelFormat.PYTORCH),
    (b"garbage", "aeb.bin", ModelFormat.UNKNOWN),
    (b"garbage", "", ModelFormat.UNKNOWN),
])
def test_the_format_comes_from_the_bytes_then_the_file_name(data, name, expected):
    assert model_format(data, name) is expected


def test_an_installed_or_configured_builder_resolves_to_its_import_path():
    builders = ModelBuilders({"digits-cnn-small": "pkg.builders:small"}, ["site.nets:Net"])
    assert builders.resolve("digits-cnn-small") == "pkg.builders:small"
    assert builders.resolve("site.nets:Net") == "site.nets:Net"
    assert builders.names == ("digits-cnn-small", "site.nets:Net")


def test_any_other_builder_name_is_refused_naming_the_allowed_ones():
    builders = ModelBuilders({"digits-cnn-small": "pkg.builders:small"})
    with pytest.raises(ModelBuilderNotAllowed, match=r"'os:abort'.*allowed builders: "
                                                     r"digits-cnn-small") as refused:
        builders.resolve("os:abort")
    assert refused.value.code == "MODEL_BUILDER_NOT_ALLOWED"
    assert refused.value.allowed == ("digits-cnn-small",)
