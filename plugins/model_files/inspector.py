"""ONNX and PyTorch model files opened as the later steps open them, and run once.

ONNX: parsed, checked with ``onnx.checker``, loaded into an ONNX Runtime CPU session and run on
zeros of the declared input shapes (a dynamic dimension taken as 1). PyTorch: scanned with
picklescan and loaded weights-only by the torch plugin's loader (never unpickling code), and run
on zeros of the declared input shape where the file declares one. Above ``TRIAL_RUN_MAX_BYTES``
the file is still parsed and checked, but not run, and the report says so.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.optimization.optimize import UnsafeModelFile
from edgedeploy.application.ports.model_files import (
    InvalidModelFile,
    ModelFileReport,
    ModelFormat,
)

TRIAL_RUN_MAX_BYTES = 64 * 1024 * 1024
"""Larger files are not run at registration: a session and one pass could take a core for long
on the shared host; optimization and verification run them anyway."""

_NUMPY_TYPES = {
    "float": "float32", "double": "float64", "float16": "float16", "bool": "bool",
    "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
    "uint8": "uint8", "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line[:400]


class FrameworkModelFileInspector:
    """The ``ModelFileInspector`` over ONNX, ONNX Runtime and the torch plugin's safe loaders."""

    def __init__(self, trial_run_max_bytes: int = TRIAL_RUN_MAX_BYTES) -> None:
        """Files above ``trial_run_max_bytes`` are parsed and checked but not run."""
        self._trial_run_max_bytes = trial_run_max_bytes

    def inspect(self, data: bytes, declared: ModelFormat, name: str) -> ModelFileReport:
        """Check ``data`` as ``declared``; see the module's docstring for what is checked.

        Raises:
            InvalidModelFile: naming what does not parse, check or run.
            UnsafeModelFile: the file's pickles import a global that could run code.
        """
        if declared is ModelFormat.ONNX:
            return self._onnx(data, name)
        if declared in (ModelFormat.PYTORCH, ModelFormat.EXPORTED_PROGRAM):
            return self._torch(data, declared, name)
        raise InvalidModelFile(name, declared, "no inspection exists for this format")

    def _too_large(self, data: bytes) -> str | None:
        if len(data) <= self._trial_run_max_bytes:
            return None
        return (f"skipped: {len(data)} bytes is above the {self._trial_run_max_bytes}-byte "
                "limit for a trial run at registration")

    # --- ONNX ----------------------------------------------------------------------------

    def _onnx(self, data: bytes, name: str) -> ModelFileReport:
        import onnx
        import onnxruntime as ort
        from onnx.external_data_helper import uses_external_data

        fmt = ModelFormat.ONNX
        try:
            model = onnx.load_model_from_string(data)
        except Exception as exc:  # protobuf's DecodeError and friends on damaged bytes
            raise InvalidModelFile(name, fmt, f"it does not parse as ONNX (truncated or "
                                   f"damaged: {_first_line(exc)})") from exc
        if not model.HasField("graph") or not model.graph.node:
            raise InvalidModelFile(name, fmt, "it holds no graph nodes (truncated or empty)")
        external = [t.name for t in model.graph.initializer if uses_external_data(t)]
        if external:
            raise InvalidModelFile(name, fmt, f"its weights ({external[0]}"
                                   f"{' and more' if len(external) > 1 else ''}) lie in "
                                   "external data files, which a registration does not carry")
        try:
            onnx.checker.check_model(model)
        except Exception as exc:  # onnx.checker.ValidationError, or C++ errors as RuntimeError
            raise InvalidModelFile(name, fmt,
                                   f"its graph does not check: {_first_line(exc)}") from exc
        checks = ["parsed", "graph checked"]
        initializers = {t.name for t in model.graph.initializer}
        inputs = [v for v in model.graph.input if v.name not in initializers]
        details: dict[str, Any] = {
            "ir_version": int(model.ir_version),
            "opsets": {o.domain or "ai.onnx": int(o.version) for o in model.opset_import},
            "producer": f"{model.producer_name} {model.producer_version}".strip(),
            "nodes": len(model.graph.node),
            "bytes": len(data),
        }
        inspector = f"onnx {onnx.__version__}, onnxruntime {ort.__version__}"
        declared_inputs = tuple(_describe(v) for v in inputs)
        declared_outputs = tuple(_describe(v) for v in model.graph.output)
        skipped = self._too_large(data)
        if skipped:
            return ModelFileReport(fmt, inspector, tuple(checks), skipped, declared_inputs,
                                   declared_outputs, details)
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # ORT's Fail/InvalidGraph/NotImplemented with C++ text
            raise InvalidModelFile(name, fmt, f"ONNX Runtime cannot load it: "
                                   f"{_first_line(exc)}") from exc
        checks.append("loaded by ONNX Runtime")
        feeds, why_not = _zero_feeds(session)
        if why_not:
            return ModelFileReport(fmt, inspector, tuple(checks), f"not run: {why_not}",
                                   declared_inputs, declared_outputs, details)
        shapes = ", ".join(f"{k}: {v.dtype}{list(v.shape)}" for k, v in feeds.items())
        try:
            session.run(None, feeds)
        except Exception as exc:  # ORT's RuntimeException naming the failing node
            raise InvalidModelFile(name, fmt, f"one inference on its declared inputs "
                                   f"({shapes}) fails: {_first_line(exc)}") from exc
        details["trial_inputs"] = shapes
        return ModelFileReport(fmt, inspector, tuple(checks), "ran", declared_inputs,
                               declared_outputs, details)

    # --- PyTorch -------------------------------------------------------------------------

    def _torch(self, data: bytes, fmt: ModelFormat, name: str) -> ModelFileReport:
        import torch

        from edgedeploy.plugins.torch.loading import load_for_inspection

        suffix = ".pt2" if fmt is ModelFormat.EXPORTED_PROGRAM else ".pt"
        stem = _SAFE_NAME.sub("_", Path(name).stem)[:64] if name else "model"
        with tempfile.TemporaryDirectory(prefix="edgedeploy-inspect-") as folder:
            path = Path(folder) / f"{stem or 'model'}{suffix}"
            path.write_bytes(data)
            try:
                loaded, scan, holds = load_for_inspection(path)
            except UnsafeModelFile as exc:
                raise UnsafeModelFile(name or path.name, exc.globals) from exc
            except InvalidInput as exc:
                problem = exc.message.replace(str(path), name or path.name)
                raise InvalidModelFile(name, fmt, problem) from exc
            checks = ["pickles scanned", "loaded weights-only"]
            details: dict[str, Any] = {"holds": holds, "scan": scan.to_dict(),
                                       "bytes": len(data)}
            inspector = f"torch {torch.__version__}, {scan.scanner}"
            declared_inputs: tuple[str, ...] = ()
            if loaded is None or loaded.input_shape is None:
                why = ("the file declares no architecture" if loaded is None
                       else "the file declares no input shape")
                return ModelFileReport(fmt, inspector, tuple(checks), f"not run: {why}",
                                       details=details)
            declared_inputs = (f"input: float32{list(loaded.input_shape)}",)
            skipped = self._too_large(data)
            if skipped:
                return ModelFileReport(fmt, inspector, tuple(checks), skipped, declared_inputs,
                                       details=details)
            try:
                with torch.inference_mode():
                    loaded.module(torch.zeros(loaded.input_shape))
            except Exception as exc:  # whatever the model's forward raises
                raise InvalidModelFile(name, fmt, f"one inference on its declared input "
                                       f"float32{list(loaded.input_shape)} fails: "
                                       f"{_first_line(exc)}") from exc
        return ModelFileReport(fmt, inspector, tuple(checks), "ran", declared_inputs,
                               details=details)


def _describe(value: Any) -> str:
    from onnx import TensorProto

    kind = value.type.WhichOneof("value")
    if kind != "tensor_type":
        return f"{value.name}: {kind}"
    tensor = value.type.tensor_type
    dtype = TensorProto.DataType.Name(tensor.elem_type).lower()
    dims = [str(d.dim_value) if d.HasField("dim_value") else (d.dim_param or "?")
            for d in tensor.shape.dim] if tensor.HasField("shape") else ["?"]
    return f"{value.name}: {dtype}[{', '.join(dims)}]"


def _zero_feeds(session: Any) -> tuple[dict[str, Any], str]:
    """Zeros for every input, dynamic dimensions as 1; or why no such input can be made."""
    import numpy as np

    feeds: dict[str, Any] = {}
    for spec in session.get_inputs():
        kind = str(spec.type)
        if not kind.startswith("tensor("):
            return {}, f"input {spec.name} is a {kind}, not a tensor"
        dtype = _NUMPY_TYPES.get(kind[len("tensor("):-1])
        if dtype is None:
            return {}, f"input {spec.name} has element type {kind}, which NumPy cannot build"
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in (spec.shape or [])]
        feeds[spec.name] = np.zeros(shape, dtype=dtype)
    return feeds, ""
