"""TensorRT behind the ``InferenceBackend`` port.

Loads serialized engines, or builds one from ONNX on first load (FP32 unless
``options["precision"]`` says otherwise), and runs it on CUDA.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import structlog

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported, InvalidInput
from edgedeploy.application.ports.inference import (
    API_VERSION,
    Capabilities,
    ProbeResult,
    TensorSpec,
)
from edgedeploy.plugins.tensorrt.builder import EngineBuildOptions, build_engine
from edgedeploy.plugins.tensorrt.cuda import CudaMemory, open_cuda, require_tensorrt_runtime

_log = structlog.get_logger(__name__)

# TensorRT DataType member names and the NumPy dtypes that hold them on the host.
_NUMPY_TYPES = {"FLOAT": "float32", "HALF": "float16", "INT8": "int8", "INT32": "int32",
                "INT64": "int64", "BOOL": "bool", "UINT8": "uint8"}


class TensorRtSession:
    """One engine and one execution context.

    Runs are serialized by a lock because a TensorRT execution context is not safe for
    concurrent use.
    """

    def __init__(self, engine: Any, cuda: CudaMemory) -> None:
        import tensorrt as trt

        self._trt = trt
        self._engine = engine
        self._context: Any = engine.create_execution_context()
        self._cuda = cuda
        self._lock = threading.Lock()
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        specs: dict[bool, list[TensorSpec]] = {True: [], False: []}
        for name in names:
            is_input = engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
            shape = tuple(d if d >= 0 else None for d in engine.get_tensor_shape(name))
            dtype = _NUMPY_TYPES.get(str(engine.get_tensor_dtype(name)).rsplit(".", 1)[-1],
                                     "float32")
            specs[is_input].append(TensorSpec(name, shape, dtype))
        self.inputs = tuple(specs[True])
        self.outputs = tuple(specs[False])

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        """Copy inputs to the GPU, execute, copy outputs back."""
        import numpy as np

        with self._lock:
            if self._context is None:
                raise BackendUnavailable("TensorRT session is closed")
            allocations: list[int] = []
            try:
                for spec in self.inputs:
                    if spec.name not in feeds:
                        raise InvalidInput(f"input '{spec.name}' is missing")
                    host = np.ascontiguousarray(feeds[spec.name], dtype=spec.dtype)
                    self._context.set_input_shape(spec.name, host.shape)
                    address = self._cuda.alloc(host.nbytes)
                    allocations.append(address)
                    self._cuda.to_device(address, host)
                    self._context.set_tensor_address(spec.name, address)
                outputs: dict[str, Any] = {}
                for spec in self.outputs:
                    shape = tuple(self._context.get_tensor_shape(spec.name))
                    host = np.empty(shape, dtype=spec.dtype)
                    address = self._cuda.alloc(host.nbytes)
                    allocations.append(address)
                    self._context.set_tensor_address(spec.name, address)
                    outputs[spec.name] = (host, address)
                if not self._context.execute_async_v3(self._cuda.stream()):
                    raise BackendUnavailable("TensorRT failed to execute the engine")
                for host, address in outputs.values():
                    self._cuda.to_host(host, address)
                self._cuda.synchronize()
                return {name: host for name, (host, _) in outputs.items()}
            finally:
                for address in allocations:
                    self._cuda.free(address)

    def close(self) -> None:
        """Drop the context and engine; later runs are refused."""
        with self._lock:
            self._context = None
            self._engine = None


class TensorRtBackend:
    """Builds and runs TensorRT engines on NVIDIA GPUs."""

    def __init__(self) -> None:
        self.capabilities = Capabilities(
            api_version=API_VERSION, name="tensorrt",
            formats=frozenset({"tensorrt-engine", "onnx", "onnx-qdq"}),
            precisions=frozenset({"fp32", "fp16", "int8"}),
            devices=frozenset({"cuda"}), dynamic_shapes=True)

    def probe(self) -> ProbeResult:
        """Usable when TensorRT imports, a CUDA binding works and a GPU answers."""
        try:
            import tensorrt as trt
            require_tensorrt_runtime(trt)
        except ImportError:
            return ProbeResult(False, "tensorrt not installed")
        try:
            open_cuda()
        except BackendUnavailable as exc:
            return ProbeResult(False, f"tensorrt {trt.__version__}: {exc.message}")
        return ProbeResult(True, f"tensorrt {trt.__version__}", frozenset({"cuda"}))

    def load(self, model_path: str, *, device: str = "cuda",
             options: Mapping[str, Any] | None = None) -> TensorRtSession:
        """Load an ``.engine``/``.plan`` file, or build one from ``.onnx`` beside it.

        Options: ``precision`` (fp32/fp16/int8), ``shape`` (the input's max shape, for ONNX with
        a dynamic batch), ``calibration_batches``, ``timing_cache`` and ``calibration_cache``.
        """
        if device != "cuda":
            raise CapabilityNotSupported(f"TensorRT runs on cuda only, not '{device}'")
        try:
            import tensorrt as trt
            require_tensorrt_runtime(trt)
        except ImportError as exc:
            raise BackendUnavailable("tensorrt not installed") from exc
        path = Path(model_path)
        if not path.is_file():
            raise InvalidInput(f"model file {model_path} does not exist")
        opts = dict(options or {})
        if path.suffix == ".onnx":
            path = self._build_from_onnx(path, opts)
        cuda = open_cuda()
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        engine = runtime.deserialize_cuda_engine(path.read_bytes())
        if engine is None:
            raise InvalidInput(f"{path} is not a TensorRT engine for this TensorRT and GPU")
        return TensorRtSession(engine, cuda)

    @staticmethod
    def _build_from_onnx(path: Path, opts: dict[str, Any]) -> Path:
        precision = str(opts.get("precision", "fp32"))
        max_shape = tuple(int(d) for d in opts.get("shape", _onnx_input_shape(path)))
        engine = path.with_suffix(f".{precision}.engine")
        if not engine.is_file():
            build_engine(path, engine, EngineBuildOptions(
                precision=precision, min_shape=(1, *max_shape[1:]), opt_shape=max_shape,
                max_shape=max_shape,
                timing_cache=Path(opts["timing_cache"]) if "timing_cache" in opts else
                path.with_suffix(".timing.cache"),
                calibration_cache=Path(opts["calibration_cache"])
                if "calibration_cache" in opts else path.with_suffix(".calib.cache")),
                opts.get("calibration_batches", ()))
        return engine

    def unsupported_operators(self, model_path: str, *, device: str = "cuda") -> list[str]:
        """Operators TensorRT's ONNX parser reports it cannot import."""
        try:
            import tensorrt as trt
            require_tensorrt_runtime(trt)
        except ImportError as exc:
            raise BackendUnavailable("tensorrt not installed") from exc
        logger = trt.Logger(trt.Logger.ERROR)
        network = trt.Builder(logger).create_network(0)
        parser = trt.OnnxParser(network, logger)
        if parser.parse(Path(model_path).read_bytes()):
            return []
        names: list[str] = []
        for i in range(parser.num_errors):
            error = parser.get_error(i)
            op = str(error.node_operator()) or str(error.desc())
            if op not in names:
                names.append(op)
        return names


def _onnx_input_shape(path: Path, batch: int = 64) -> tuple[int, ...]:
    """The first input's shape with a dynamic batch dimension set to ``batch``."""
    import onnx

    dims = onnx.load(str(path), load_external_data=False).graph.input[0].type.tensor_type.shape.dim
    return tuple(int(d.dim_value) if d.HasField("dim_value") else batch for d in dims)


def factory() -> TensorRtBackend:
    """Entry-point factory; cheap, imports nothing heavy (``probe`` does)."""
    return TensorRtBackend()
