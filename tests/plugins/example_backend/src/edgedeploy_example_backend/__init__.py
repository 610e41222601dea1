"""A third-party edgedeploy inference backend, shipped as its own distribution.

It interprets ONNX graphs made of Gemm and Relu nodes with NumPy: enough to show that discovery,
the registry report and the conformance kit work for code edgedeploy does not own.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported, InvalidInput
from edgedeploy.application.ports.inference import (
    API_VERSION,
    Capabilities,
    ProbeResult,
    TensorSpec,
)

SUPPORTED_OPS = frozenset({"Gemm", "Relu"})


class NumpyGemmSession:
    """A loaded graph; stateless between calls, so concurrent runs are safe."""

    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        self._weights = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        self._nodes = list(model.graph.node)
        self._closed = threading.Event()
        self.inputs = tuple(TensorSpec(i.name, (None, _dim(i, 1)), "float32")
                            for i in model.graph.input if i.name not in self._weights)
        self.outputs = tuple(TensorSpec(o.name, (None, _dim(o, 1)), "float32")
                             for o in model.graph.output)

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        """Evaluate the graph node by node."""
        import numpy as np

        if self._closed.is_set():
            raise BackendUnavailable("session is closed")
        values: dict[str, Any] = dict(self._weights)
        try:
            values.update({k: np.asarray(v, dtype=np.float32) for k, v in feeds.items()})
            for node in self._nodes:
                args = [values[n] for n in node.input]
                if node.op_type == "Relu":
                    values[node.output[0]] = np.maximum(args[0], 0.0)
                else:
                    trans_b = any(a.name == "transB" and a.i for a in node.attribute)
                    weight = args[1].T if trans_b else args[1]
                    values[node.output[0]] = args[0] @ weight + (args[2] if len(args) > 2 else 0)
        except (KeyError, ValueError) as exc:
            raise InvalidInput(f"inputs do not fit the graph: {exc}") from exc
        return {o.name: values[o.name] for o in self.outputs}

    def close(self) -> None:
        """Refuse later runs."""
        self._closed.set()


def _dim(value_info: Any, axis: int) -> int | None:
    dim = value_info.type.tensor_type.shape.dim[axis]
    return int(dim.dim_value) if dim.HasField("dim_value") else None


class NumpyGemmBackend:
    """The example backend: CPU only, FP32 only, ONNX Gemm/Relu only."""

    def __init__(self, api_version: int = API_VERSION) -> None:
        self.capabilities = Capabilities(api_version=api_version, name="example-numpy",
                                         formats=frozenset({"onnx"}),
                                         precisions=frozenset({"fp32"}),
                                         devices=frozenset({"cpu"}))

    def probe(self) -> ProbeResult:
        """Always usable where NumPy imports."""
        import numpy as np

        return ProbeResult(True, f"numpy {np.__version__}", frozenset({"cpu"}))

    def _read(self, model_path: str) -> Any:
        import onnx

        if not Path(model_path).is_file():
            raise InvalidInput(f"model file {model_path} does not exist")
        try:
            return onnx.load(model_path)
        except Exception as exc:  # onnx raises protobuf errors
            raise InvalidInput(f"{model_path} is not an ONNX model: {exc}") from exc

    def load(self, model_path: str, *, device: str = "cpu",
             options: Mapping[str, Any] | None = None) -> NumpyGemmSession:
        """Load a Gemm/Relu graph."""
        if device != "cpu":
            raise CapabilityNotSupported(f"example-numpy runs on cpu only, not '{device}'")
        model = self._read(model_path)
        missing = self.unsupported_operators(model_path)
        if missing:
            raise CapabilityNotSupported(f"example-numpy cannot run operator {missing[0]}")
        return NumpyGemmSession(model)

    def unsupported_operators(self, model_path: str, *, device: str = "cpu") -> list[str]:
        """Operators other than Gemm and Relu."""
        model = self._read(model_path)
        return sorted({n.op_type for n in model.graph.node} - SUPPORTED_OPS)


def factory() -> NumpyGemmBackend:
    """Entry point ``example-numpy``."""
    return NumpyGemmBackend()


def old_api_factory() -> NumpyGemmBackend:
    """Entry point ``example-old-api``: built for an API version edgedeploy no longer speaks."""
    return NumpyGemmBackend(api_version=0)
