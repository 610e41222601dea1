"""Each example third-party distribution is discovered from its metadata and passes its kit.

The examples are installed into ``build/test-plugins`` (see ``conftest.py``), the way a plugin
author's own distribution would be installed next to edgedeploy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.rollout import RolloutTarget
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.models import ModelRef
from edgedeploy.plugins.registry import (
    DRIFT_DETECTORS,
    INFERENCE_BACKENDS,
    ROLLOUT_TARGETS,
    TRACE_STORES,
    PluginRegistry,
)
from edgedeploy.plugins.testing import (
    DriftDetectorContract,
    InferenceBackendContract,
    RolloutTargetContract,
    TraceStoreContract,
    TraceStoreExportContract,
    assert_installed_plugin_loads,
    tiny_onnx_feeds,
    write_tiny_onnx_model,
)


def _installed(group: str, name: str) -> Any:
    return PluginRegistry().record(group, name)


@pytest.mark.parametrize("group, name, distribution", [
    (INFERENCE_BACKENDS, "example-numpy", "edgedeploy-example-backend"),
    (DRIFT_DETECTORS, "example-mean-shift", "edgedeploy-example-drift"),
    (TRACE_STORES, "example-memory", "edgedeploy-example-trace-store"),
    (ROLLOUT_TARGETS, "example-bench", "edgedeploy-example-fleet"),
])
def test_every_example_is_discovered_usable_with_its_provenance(
        group: str, name: str, distribution: str) -> None:
    record = assert_installed_plugin_loads(group, name, distribution)
    assert record.evidence() == {"plugin": name, "group": group, "entry_point": record.value,
                                 "distribution": distribution, "version": record.version}


class TestExampleBackend(InferenceBackendContract):
    @pytest.fixture(name="backend")
    def fx_backend(self) -> Any:
        return PluginRegistry().create(INFERENCE_BACKENDS, "example-numpy")

    @pytest.fixture(name="model_path")
    def fx_model_path(self, tmp_path: Path) -> str:
        return str(write_tiny_onnx_model(tmp_path / "tiny.onnx"))

    @pytest.fixture(name="feeds")
    def fx_feeds(self) -> dict[str, Any]:
        return tiny_onnx_feeds(batch=3)


class TestExampleDriftDetector(DriftDetectorContract):
    @pytest.fixture(name="detector_factory")
    def fx_detector_factory(self) -> Callable[[], Any]:
        record = _installed(DRIFT_DETECTORS, "example-mean-shift")
        return record.create

    @pytest.fixture(name="reference")
    def fx_reference(self) -> np.ndarray:
        return np.random.default_rng(1).normal(size=(1000, 3))

    @pytest.fixture(name="clean_window")
    def fx_clean_window(self) -> np.ndarray:
        return np.random.default_rng(2).normal(size=(300, 3))

    @pytest.fixture(name="drifted_window")
    def fx_drifted_window(self) -> np.ndarray:
        return np.random.default_rng(3).normal(size=(300, 3)) + np.array([0.0, 0.6, 0.0])

    def test_the_shifted_feature_carries_the_attribution(
            self, fitted: Any, drifted_window: np.ndarray) -> None:
        contributions = fitted.score(drifted_window).contributions
        assert max(contributions, key=contributions.get) == "f1"


class TestExampleTraceStore(TraceStoreContract, TraceStoreExportContract):
    random_graphs = 10

    @pytest.fixture(name="store_factory")
    def fx_store_factory(self) -> Callable[[], TraceStore]:
        return lambda: PluginRegistry().trace_store("example-memory")


class TestExampleFleet(RolloutTargetContract):
    @pytest.fixture(name="model")
    def fx_model(self) -> ModelRef:
        return ModelRef("aeb", "2.0")

    @pytest.fixture(name="target")
    def fx_target(self, tmp_path: Path) -> Iterator[RolloutTarget]:
        target = PluginRegistry().rollout_target(
            "example-bench", {"name": "bench", "kind": "example-bench",
                              "devices": ["ecu-0", "ecu-1", "ecu-2"],
                              "labels": {"hardware": "ecu-b"}}, tmp_path)
        yield target
        target.close()  # type: ignore[attr-defined]

    def test_a_description_without_devices_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput, match="devices"):
            PluginRegistry().rollout_target("example-bench", {"kind": "example-bench"},
                                            tmp_path)
