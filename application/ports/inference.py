"""The inference backend port: what a runtime (ONNX Runtime, TensorRT, third party) offers.

Tensors cross this port as the backend's own array type (NumPy arrays for the first-party
backends), typed ``Any`` here because the application layer imports no array library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

API_VERSION = 1


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do; the core checks this before every call."""

    api_version: int
    name: str
    formats: frozenset[str]      # {"onnx", "onnx-qdq", "tensorrt-engine", "torchscript"}
    precisions: frozenset[str]   # {"fp32", "fp16", "int8"}
    devices: frozenset[str]      # {"cpu", "cuda"}
    dynamic_shapes: bool = True


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """Whether a backend is usable here, and why not (shown by ``edgedeploy doctor``)."""

    usable: bool
    reason: str
    devices: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """Name, shape (None for a dynamic dimension) and element type of a model input/output."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str


@runtime_checkable
class InferenceSession(Protocol):
    """A loaded model ready to run; thread-safe for concurrent ``run`` calls."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        """Run one batch; returns outputs by name."""
        ...

    def close(self) -> None:
        """Release the session's memory."""
        ...


@runtime_checkable
class InferenceBackend(Protocol):
    """A runtime that loads model files and runs them on a device."""

    capabilities: Capabilities

    def probe(self) -> ProbeResult:
        """Check the runtime and its devices are usable here, without raising."""
        ...

    def load(self, model_path: str, *, device: str = "cpu",
             options: Mapping[str, Any] | None = None) -> InferenceSession:
        """Load a model file.

        Raises ``CapabilityNotSupported`` for an unsupported format or device and
        ``BackendUnavailable`` when the runtime cannot be used.
        """
        ...

    def unsupported_operators(self, model_path: str, *, device: str = "cpu") -> list[str]:
        """Operators in the model the backend cannot run on ``device`` (empty when all run)."""
        ...
