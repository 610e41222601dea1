"""The registry discovers backends through entry points and isolates the broken ones."""

from __future__ import annotations

from importlib import metadata

import pytest

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported
from edgedeploy.plugins.registry import INFERENCE_BACKENDS, BackendRegistry, discover


def _eps(*pairs: tuple[str, str]) -> list[metadata.EntryPoint]:
    return [metadata.EntryPoint(name, value, INFERENCE_BACKENDS) for name, value in pairs]


FIRST_PARTY = _eps(("onnxruntime", "edgedeploy.plugins.onnxruntime:factory"),
                   ("torch", "edgedeploy.plugins.torch:factory"),
                   ("tensorrt", "edgedeploy.plugins.tensorrt:factory"))


def test_first_party_backends_load_through_the_entry_point_path() -> None:
    registry = BackendRegistry(entry_points=lambda group: FIRST_PARTY)
    rows = {r.name: r for r in registry.report()}
    assert rows["onnxruntime"].usable
    assert "int8" in rows["onnxruntime"].capabilities["precisions"]
    assert rows["torch"].usable


def test_tensorrt_is_reported_unusable_with_the_reason_where_it_is_missing() -> None:
    from edgedeploy.plugins.tensorrt import tensorrt_available

    if tensorrt_available():
        pytest.skip("tensorrt is installed here")
    registry = BackendRegistry(entry_points=lambda group: FIRST_PARTY)
    row = registry.record("tensorrt")
    assert not row.usable
    assert "tensorrt not installed" in row.reason
    with pytest.raises(BackendUnavailable, match="tensorrt not installed"):
        registry.get("tensorrt")


def test_a_plugin_whose_import_fails_is_reported_and_the_others_still_load() -> None:
    eps = _eps(("ghost", "no_such_package.backend:factory"),
               ("onnxruntime", "edgedeploy.plugins.onnxruntime:factory"))
    records = {r.name: r for r in discover(INFERENCE_BACKENDS, entry_points=lambda g: eps)}
    assert not records["ghost"].usable
    assert "ModuleNotFoundError" in records["ghost"].reason
    assert records["onnxruntime"].usable


def test_a_factory_that_raises_is_isolated_and_named() -> None:
    eps = _eps(("explodes", "json:loads"))  # loads() without arguments raises TypeError
    (record,) = discover(INFERENCE_BACKENDS, entry_points=lambda g: eps)
    assert not record.usable
    assert record.reason.startswith("factory json:loads raised TypeError")


def test_a_plugin_outside_the_allow_list_is_not_even_imported() -> None:
    eps = _eps(("onnxruntime", "edgedeploy.plugins.onnxruntime:factory"),
               ("ghost", "no_such_package.backend:factory"))
    registry = BackendRegistry(allow={"onnxruntime"}, entry_points=lambda g: eps)
    rows = {r.name: r for r in registry.report()}
    assert rows["onnxruntime"].usable
    assert "allow-list" in rows["ghost"].reason


def test_asking_for_a_backend_nobody_installed_names_the_installed_ones() -> None:
    registry = BackendRegistry(entry_points=lambda group: FIRST_PARTY)
    with pytest.raises(CapabilityNotSupported, match="onnxruntime"):
        registry.get("openvino")


def test_selection_by_capability_picks_a_backend_that_runs_int8_onnx_on_cpu() -> None:
    registry = BackendRegistry(entry_points=lambda group: FIRST_PARTY)
    assert registry.select(fmt="onnx-qdq", precision="int8").capabilities.name == "onnxruntime"
    with pytest.raises(CapabilityNotSupported):
        registry.select(fmt="onnx", device="npu")


class TestTheInstalledThirdPartyDistribution:
    @pytest.fixture(autouse=True)
    def _installed(self) -> None:
        pytest.importorskip(
            "edgedeploy_example_backend",
            reason="pip install -e tests/plugins/example_backend to run the third-party path")

    def test_its_backend_is_discovered_with_its_distribution_and_version(self) -> None:
        row = BackendRegistry().record("example-numpy")
        assert row.usable
        assert row.distribution == "edgedeploy-example-backend"
        assert row.version == "0.3.0"
        assert row.evidence()["distribution"] == "edgedeploy-example-backend"

    def test_its_broken_entry_point_is_unusable_and_does_not_hide_the_working_one(self) -> None:
        rows = {r.name: r for r in BackendRegistry().report()}
        assert not rows["example-broken"].usable
        assert "does_not_exist" in rows["example-broken"].reason
        assert rows["example-numpy"].usable

    def test_its_outdated_entry_point_is_refused_for_the_api_version(self) -> None:
        row = BackendRegistry().record("example-old-api")
        assert not row.usable
        assert row.reason == "speaks API version 0, edgedeploy needs 1"

    def test_it_names_the_operator_it_cannot_run(self, tmp_path: object) -> None:
        from pathlib import Path

        import onnx
        from onnx import TensorProto, helper

        graph = helper.make_graph(
            [helper.make_node("Softmax", ["x"], ["y"])], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
        path = Path(str(tmp_path)) / "softmax.onnx"
        onnx.save(helper.make_model(graph), str(path))
        backend = BackendRegistry().get("example-numpy")
        assert backend.unsupported_operators(str(path)) == ["Softmax"]
