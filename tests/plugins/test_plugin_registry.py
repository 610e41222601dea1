"""The one loader discovers every plugin group through entry points and isolates the broken."""

from __future__ import annotations

from importlib import metadata

import pytest

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported
from edgedeploy.plugins.registry import (
    DRIFT_DETECTORS,
    GROUPS,
    INFERENCE_BACKENDS,
    TRACE_STORES,
    BackendRegistry,
    PluginRegistry,
    discover,
)


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


def test_the_loader_knows_every_group_the_readme_promises() -> None:
    assert set(GROUPS) == {"edgedeploy.inference_backends", "edgedeploy.drift_detectors",
                           "edgedeploy.trace_stores", "edgedeploy.rollout_targets"}
    assert set(PluginRegistry().report()) == set(GROUPS)


def test_every_first_party_entry_point_of_every_group_loads() -> None:
    report = PluginRegistry().report()
    usable = {group: {r.name for r in records if r.usable} for group, records in report.items()}
    assert {"onnxruntime", "torch"} <= usable[INFERENCE_BACKENDS]
    assert {"psi", "mmd", "univariate", "cusum", "adwin"} <= usable[DRIFT_DETECTORS]
    assert {"oxigraph", "rdflib-memory"} <= usable[TRACE_STORES]


def test_an_outdated_plugin_of_any_group_is_refused_by_the_same_check() -> None:
    row = PluginRegistry().record(DRIFT_DETECTORS, "example-old-drift")
    assert not row.usable
    assert row.reason == "speaks API version 0, edgedeploy needs 1"
    with pytest.raises(BackendUnavailable, match="API version 0"):
        row.create()


def test_an_object_that_is_not_the_port_is_refused_naming_the_port() -> None:
    eps = [metadata.EntryPoint("not-a-store", "builtins:dict", TRACE_STORES)]
    (record,) = discover(TRACE_STORES, entry_points=lambda g: eps)
    assert not record.usable
    assert record.reason == "builtins:dict returned dict, which is not a TraceStore"


def test_a_broken_plugin_is_logged_at_debug_level_only() -> None:
    import structlog
    from structlog.testing import capture_logs

    eps = _eps(("ghost", "no_such_package.backend:factory"), ("explodes", "json:loads"))
    # Another test may have configured a warning-level filter, which would hide every debug
    # entry before capture; the level is what this test checks, so it sees all of them.
    saved = structlog.get_config()
    structlog.reset_defaults()
    try:
        with capture_logs() as logs:
            records = discover(INFERENCE_BACKENDS, entry_points=lambda g: eps)
    finally:
        structlog.configure(**saved)
    assert not any(r.usable for r in records)
    assert logs and {entry["log_level"] for entry in logs} == {"debug"}


def test_plugins_of_stateful_groups_are_fresh_on_every_use() -> None:
    registry = PluginRegistry()
    first, second = (registry.trace_store("rdflib-memory") for _ in range(2))
    assert first is not second
    a, b = (registry.create(DRIFT_DETECTORS, "psi") for _ in range(2))
    assert a is not b and a.name == b.name == "psi"
    first.close()
    second.close()


def test_plugin_detectors_join_a_kind_once_and_only_where_they_serve() -> None:
    from edgedeploy.domain.drift import DetectorCapability

    registry = PluginRegistry()
    features = registry.drift_detectors(DetectorCapability.FEATURES,
                                        exclude=["mmd", "univariate", "psi"])
    names = [d.name for d in features]
    assert "example-mean-shift" in names and "psi" not in names
    assert len(names) == len(set(names))
    embeddings = registry.drift_detectors(DetectorCapability.EMBEDDINGS)
    assert "example-mean-shift" in [d.name for d in embeddings]  # features judge embeddings
    stream = [d.name for d in registry.drift_detectors(DetectorCapability.STREAM)]
    assert "example-mean-shift" not in stream and {"cusum", "adwin"} <= set(stream)


def test_the_allow_list_applies_to_every_group() -> None:
    registry = PluginRegistry(allow=["psi"])
    rows = {r.name: r for r in registry.records(DRIFT_DETECTORS)}
    assert rows["psi"].usable and "allow-list" in rows["mmd"].reason
    with pytest.raises(BackendUnavailable, match="allow-list"):
        registry.trace_store("rdflib-memory")


def test_an_unknown_rollout_kind_names_the_installed_ones(tmp_path: object) -> None:
    from pathlib import Path

    with pytest.raises(CapabilityNotSupported, match="example-bench"):
        PluginRegistry().rollout_target("satellite", {}, Path(str(tmp_path)))


class TestTheDefaultBackend:
    def test_it_is_the_first_usable_backend_by_name_offering_int8_onnx_on_cpu(self) -> None:
        eps = [*FIRST_PARTY, *_eps(("a-fp32-only", "edgedeploy_example_backend:factory"))]
        record = BackendRegistry(entry_points=lambda g: eps).chosen()
        assert record.name == "onnxruntime"
        assert record.evidence()["entry_point"] == "edgedeploy.plugins.onnxruntime:factory"

    def test_a_configured_name_wins_over_capability(self) -> None:
        assert BackendRegistry().chosen("example-numpy").name == "example-numpy"

    def test_without_a_backend_offering_the_defaults_needs_it_says_so(self) -> None:
        eps = _eps(("example-numpy", "edgedeploy_example_backend:factory"))
        with pytest.raises(CapabilityNotSupported, match="int8 on cpu"):
            BackendRegistry(entry_points=lambda g: eps).chosen()

    def test_an_unusable_configured_backend_is_refused_with_the_reason(self) -> None:
        with pytest.raises(BackendUnavailable, match="API version 0"):
            BackendRegistry().chosen("example-old-api")
