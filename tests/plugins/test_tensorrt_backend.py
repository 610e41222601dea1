"""The TensorRT backend: honest about its absence, and conformant where TensorRT runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edgedeploy.application.errors import CapabilityNotSupported
from edgedeploy.plugins.tensorrt import EngineBuildOptions, factory, tensorrt_available
from edgedeploy.plugins.testing import (
    InferenceBackendContract,
    tiny_onnx_feeds,
    write_tiny_onnx_model,
)

TENSORRT_MISSING = not tensorrt_available()


def test_the_backend_can_be_created_and_described_without_tensorrt() -> None:
    backend = factory()
    assert backend.capabilities.devices == frozenset({"cuda"})
    assert "int8" in backend.capabilities.precisions


@pytest.mark.skipif(not TENSORRT_MISSING, reason="tensorrt is installed here")
def test_probe_says_tensorrt_is_not_installed() -> None:
    result = factory().probe()
    assert not result.usable
    assert result.reason == "tensorrt not installed"


def test_an_engine_precision_tensorrt_does_not_build_is_refused() -> None:
    with pytest.raises(CapabilityNotSupported, match="bf8"):
        EngineBuildOptions(precision="bf8", min_shape=(1, 4), opt_shape=(8, 4),
                           max_shape=(8, 4))


def test_cpu_is_refused_as_a_device() -> None:
    with pytest.raises(CapabilityNotSupported, match="cuda only"):
        factory().load("model.engine", device="cpu")


@pytest.mark.gpu
@pytest.mark.skipif(TENSORRT_MISSING, reason="tensorrt not installed")
class TestTensorRtConformance(InferenceBackendContract):
    @pytest.fixture(name="backend")
    def fx_backend(self) -> Any:
        backend = factory()
        if not backend.probe().usable:
            pytest.skip(backend.probe().reason)
        return backend

    @pytest.fixture(name="model_path")
    def fx_model_path(self, tmp_path: Path) -> str:
        return str(write_tiny_onnx_model(tmp_path / "tiny.onnx"))

    @pytest.fixture(name="feeds")
    def fx_feeds(self) -> dict[str, Any]:
        return tiny_onnx_feeds(batch=3)
