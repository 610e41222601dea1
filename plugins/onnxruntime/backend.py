"""ONNX Runtime behind the ``InferenceBackend`` port.

``onnxruntime`` is imported lazily, inside the calls that need it, so that importing this module
(and hence discovering the plugin) never costs the runtime's start-up or fails without it.
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

_log = structlog.get_logger(__name__)

_PROVIDERS = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider"}
_DTYPES = {
    "tensor(float)": "float32",
    "tensor(float16)": "float16",
    "tensor(double)": "float64",
    "tensor(int64)": "int64",
    "tensor(int32)": "int32",
    "tensor(int8)": "int8",
    "tensor(uint8)": "uint8",
    "tensor(bool)": "bool",
}
_OPTIMIZATION_LEVELS = {"disable": 0, "basic": 1, "extended": 2, "all": 99}


def _shape(dims: list[Any]) -> tuple[int | None, ...]:
    return tuple(d if isinstance(d, int) else None for d in dims)


class OnnxRuntimeSession:
    """One loaded ONNX model; ``run`` is safe to call from many threads at once.

    ONNX Runtime's ``InferenceSession.run`` is itself thread-safe; the lock only guards ``close``
    against a concurrent ``run`` so that a hot-swap cannot free a session mid-call.
    """

    def __init__(self, session: Any, *, model_path: str, device: str) -> None:
        self._session: Any | None = session
        self._lock = threading.RLock()
        self._active = 0
        self._idle = threading.Condition(self._lock)
        self.model_path = model_path
        self.device = device
        self.inputs = tuple(
            TensorSpec(i.name, _shape(i.shape), _DTYPES.get(i.type, i.type))
            for i in session.get_inputs()
        )
        self.outputs = tuple(
            TensorSpec(o.name, _shape(o.shape), _DTYPES.get(o.type, o.type))
            for o in session.get_outputs()
        )
        self.providers: tuple[str, ...] = tuple(session.get_providers())

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        """Run one batch and return every output by name.

        Raises:
            BackendUnavailable: the session was closed.
            InvalidInput: the feeds do not match the model's inputs.
        """
        with self._lock:
            session = self._session
            if session is None:
                raise BackendUnavailable(f"session for {self.model_path} is closed")
            self._active += 1
        try:
            names = [o.name for o in self.outputs]
            try:
                values = session.run(names, dict(feeds))
            except Exception as exc:  # the runtime raises its own untyped errors
                raise InvalidInput(f"onnxruntime refused the inputs for {self.model_path}: "
                                   f"{exc}") from exc
            return dict(zip(names, values, strict=True))
        finally:
            with self._lock:
                self._active -= 1
                self._idle.notify_all()

    def close(self) -> None:
        """Release the session once in-flight runs have finished; later runs are refused."""
        with self._lock:
            while self._active:
                self._idle.wait()
            self._session = None


class OnnxRuntimeBackend:
    """Runs ONNX and QDQ ONNX models with ONNX Runtime on CPU, or CUDA when present.

    Options accepted by ``load``: ``graph_optimization`` (``"all"`` by default, as deployed;
    ``"disable"`` executes QuantizeLinear/DequantizeLinear literally, i.e. simulates),
    ``intra_op_threads`` and ``inter_op_threads`` (int).
    """

    def __init__(self, capabilities: Capabilities | None = None) -> None:
        devices = {"cpu"}
        if "CUDAExecutionProvider" in self._available_providers():
            devices.add("cuda")
        self.capabilities = capabilities or Capabilities(
            api_version=API_VERSION,
            name="onnxruntime",
            formats=frozenset({"onnx", "onnx-qdq"}),
            precisions=frozenset({"fp32", "fp16", "int8"}),
            devices=frozenset(devices),
        )

    @staticmethod
    def _available_providers() -> list[str]:
        try:
            import onnxruntime as ort
        except ImportError:
            return []
        return list(ort.get_available_providers())

    def probe(self) -> ProbeResult:
        """Usable when onnxruntime imports; lists the devices its providers reach."""
        try:
            import onnxruntime as ort
        except ImportError as exc:
            return ProbeResult(False, f"onnxruntime not installed ({exc})")
        providers = set(ort.get_available_providers())
        devices = frozenset(d for d, p in _PROVIDERS.items() if p in providers)
        if not devices:
            return ProbeResult(False, f"no CPU or CUDA provider in onnxruntime {ort.__version__}")
        return ProbeResult(True, f"onnxruntime {ort.__version__}: {', '.join(sorted(providers))}",
                           devices)

    def load(self, model_path: str, *, device: str = "cpu",
             options: Mapping[str, Any] | None = None) -> OnnxRuntimeSession:
        """Load an ONNX file for ``device``.

        Raises:
            CapabilityNotSupported: the device has no provider here.
            BackendUnavailable: onnxruntime is not installed.
            InvalidInput: the file is missing or not a model onnxruntime can load.
        """
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise BackendUnavailable(f"onnxruntime not installed ({exc})") from exc
        if device not in self.capabilities.devices:
            raise CapabilityNotSupported(
                f"onnxruntime offers devices {sorted(self.capabilities.devices)}, not '{device}'")
        if not Path(model_path).is_file():
            raise InvalidInput(f"model file {model_path} does not exist")
        opts = dict(options or {})
        so = ort.SessionOptions()
        level = str(opts.get("graph_optimization", "all"))
        if level not in _OPTIMIZATION_LEVELS:
            raise InvalidInput(f"graph_optimization '{level}' is not one of "
                               f"{sorted(_OPTIMIZATION_LEVELS)}")
        so.graph_optimization_level = ort.GraphOptimizationLevel(_OPTIMIZATION_LEVELS[level])
        if "intra_op_threads" in opts:
            so.intra_op_num_threads = int(opts["intra_op_threads"])
        if "inter_op_threads" in opts:
            so.inter_op_num_threads = int(opts["inter_op_threads"])
        so.log_severity_level = 3
        providers = [_PROVIDERS[device]] + (["CPUExecutionProvider"] if device != "cpu" else [])
        try:
            session = ort.InferenceSession(model_path, sess_options=so, providers=providers)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise InvalidInput(f"onnxruntime cannot load {model_path}: {exc}") from exc
        _log.debug("onnxruntime.loaded", model=model_path, device=device, level=level)
        return OnnxRuntimeSession(session, model_path=model_path, device=device)

    def unsupported_operators(self, model_path: str, *, device: str = "cpu") -> list[str]:
        """Operators of the graph onnxruntime will execute that no kernel of it implements.

        The graph judged is the one the runtime runs, not the file as written: onnxruntime
        turns ``Constant`` nodes into initializers and folds constant sub-graphs (ReLU6's clip
        bounds, shape arithmetic) before it looks for kernels, so those never need one. Each
        entry reads ``op (node 'name', opset domain version)``, with ``domain::op`` for a
        non-standard domain, checked against the kernels this build registers for the
        device's provider (with the CPU fallback onnxruntime itself applies).

        Raises:
            InvalidInput: the file is not an ONNX model.
            BackendUnavailable: onnxruntime or onnx is not installed.
        """
        try:
            import onnx
            from onnxruntime.capi import onnxruntime_pybind11_state as state
        except ImportError as exc:
            raise BackendUnavailable(f"onnxruntime not installed ({exc})") from exc
        try:
            model = onnx.load(model_path, load_external_data=False)
        except Exception as exc:  # onnx raises DecodeError and friends
            raise InvalidInput(f"{model_path} is not an ONNX model: {exc}") from exc
        providers = {"CPUExecutionProvider", _PROVIDERS.get(device, "CPUExecutionProvider")}
        known = {(k.domain or "ai.onnx", k.op_name) for k in state.get_all_opkernel_def()
                 if k.provider in providers}
        # ONNX operators defined as functions run once onnxruntime inlines their body.
        schemas: Any = onnx.defs.get_all_schemas()
        known |= {(s.domain or "ai.onnx", s.name) for s in schemas
                  if s.has_function or s.has_context_dependent_function}
        if not _missing(model, known):
            return []
        executed = _executed_graph(model_path)
        if executed is None:
            # No session could be built, so something genuinely lacks a kernel; drop only
            # what onnxruntime removes at load whatever the optimization level.
            return _missing(model, known, skip=frozenset({("ai.onnx", "Constant")}))
        return _missing(executed, known)


def _missing(model: Any, known: set[tuple[str, str]],
             skip: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """Each operator without a kernel, once, described by its first node and its opset."""
    opsets = {(o.domain or "ai.onnx"): int(o.version) for o in model.opset_import}
    missing: list[str] = []
    seen: set[tuple[str, str]] = set()
    for node in _all_nodes(model.graph):
        dom = node.domain or "ai.onnx"
        key = (dom, node.op_type)
        if key in known or key in skip or key in seen:
            continue
        seen.add(key)
        label = node.op_type if dom == "ai.onnx" else f"{dom}::{node.op_type}"
        version = opsets.get(dom, 0)
        missing.append(f"{label} (node '{node.name or '?'}', opset {dom} {version})")
    return missing


def _executed_graph(model_path: str) -> Any | None:
    """The graph after onnxruntime's basic optimizations (constant folding), or None.

    A session at the basic level writes the graph it prepared to ``optimized_model_filepath``;
    basic rewrites only remove and fold nodes, so what remains is what the runtime executes
    at any level. None when no session can be built (an operator without a kernel).
    """
    import tempfile

    import onnx
    import onnxruntime as ort

    with tempfile.TemporaryDirectory(prefix="edgedeploy-ort-") as folder:
        target = Path(folder) / "executed.onnx"
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = str(target)
        options.log_severity_level = 4
        try:
            ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])
            return onnx.load(str(target), load_external_data=False)
        except Exception:  # onnxruntime's untyped errors: no kernel, bad graph
            return None


def _all_nodes(graph: Any) -> list[Any]:
    """Every node of a graph and of its sub-graphs (If/Loop/Scan bodies)."""
    nodes: list[Any] = []
    for node in graph.node:
        nodes.append(node)
        for attr in node.attribute:
            if attr.g is not None and len(attr.g.node):
                nodes.extend(_all_nodes(attr.g))
            for sub in attr.graphs:
                nodes.extend(_all_nodes(sub))
    return nodes


def factory() -> OnnxRuntimeBackend:
    """Entry-point factory: the ONNX Runtime backend with the providers found here."""
    return OnnxRuntimeBackend()
