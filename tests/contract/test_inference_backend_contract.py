"""Our inference backends run the kit third-party backends run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edgedeploy.plugins.onnxruntime import factory as onnxruntime_factory
from edgedeploy.plugins.testing import (
    InferenceBackendContract,
    tiny_onnx_feeds,
    write_tiny_onnx_model,
)


@pytest.fixture(name="model_path")
def fx_model_path(tmp_path: Path) -> str:
    return str(write_tiny_onnx_model(tmp_path / "tiny.onnx"))


@pytest.fixture(name="feeds")
def fx_feeds() -> dict[str, Any]:
    return tiny_onnx_feeds(batch=3)


class TestOnnxRuntimeBackend(InferenceBackendContract):
    @pytest.fixture(name="backend")
    def fx_backend(self) -> Any:
        return onnxruntime_factory()


class TestTorchReferenceBackend(InferenceBackendContract):
    @pytest.fixture(name="backend")
    def fx_backend(self) -> Any:
        from edgedeploy.plugins.torch import factory as torch_factory

        return torch_factory()

    @pytest.fixture(name="model_path")
    def fx_model_path(self, tmp_path: Path) -> str:
        import torch

        class Tiny(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.linear = torch.nn.Linear(4, 3)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return torch.relu(self.linear(x))

        torch.manual_seed(0)
        path = tmp_path / "tiny.pt"
        torch.jit.save(torch.jit.script(Tiny()), str(path))
        return str(path)
