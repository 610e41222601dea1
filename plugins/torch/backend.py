"""The torch reference backend: runs TorchScript and exported programs, FP32 or FP16.

It is the reference the deployed runtimes are compared with, not a deployment target; CUDA is
offered where torch sees a GPU.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported, InvalidInput
from edgedeploy.application.ports.inference import (
    API_VERSION,
    Capabilities,
    ProbeResult,
    TensorSpec,
)


class TorchSession:
    """A loaded TorchScript/exported module; inference-mode calls are thread-safe."""

    def __init__(self, module: Any, *, device: str, half: bool, input_name: str) -> None:
        self._module: Any | None = module
        self._device = device
        self._half = half
        self._lock = threading.Lock()
        self.inputs = (TensorSpec(input_name, (None,), "float32"),)
        self.outputs = (TensorSpec("output", (None,), "float32"),)

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        """Run one batch; returns ``{"output": ndarray}``."""
        import numpy as np
        import torch

        with self._lock:
            module = self._module
        if module is None:
            raise BackendUnavailable("torch session is closed")
        name = self.inputs[0].name
        if name not in feeds:
            raise InvalidInput(f"input '{name}' is missing (got {sorted(feeds)})")
        x = torch.from_numpy(np.ascontiguousarray(feeds[name], dtype=np.float32))
        x = x.to(self._device)
        if self._half:
            x = x.half()
        try:
            with torch.inference_mode():
                y = module(x)
        except Exception as exc:  # the module's own shape errors
            raise InvalidInput(f"torch refused the inputs: {str(exc).splitlines()[0]}") from exc
        return {"output": y.float().cpu().numpy()}

    def close(self) -> None:
        """Drop the module; later runs are refused."""
        with self._lock:
            self._module = None


def _installed_version() -> str:
    """Torch's installed distribution version, "" when it is not installed."""
    if importlib.util.find_spec("torch") is None:
        return ""
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "unknown"


class TorchBackend:
    """PyTorch as a reference backend (TorchScript ``.pt``/``.ts``, exported program ``.pt2``).

    Option ``precision``: ``fp32`` (default) or ``fp16`` (CUDA only).
    """

    def __init__(self) -> None:
        devices = {"cpu"}
        # A CPU-only build says so in its version ("2.13.0+cpu"): no need to import torch
        # (seconds) to know it has no CUDA. Any other build is asked.
        if not _installed_version().endswith("+cpu"):
            try:
                import torch

                if torch.cuda.is_available():
                    devices.add("cuda")
            except ImportError:
                pass
        self.capabilities = Capabilities(
            api_version=API_VERSION, name="torch",
            formats=frozenset({"torchscript", "exported-program"}),
            precisions=frozenset({"fp32", "fp16"}), devices=frozenset(devices))

    def quick_probe(self) -> ProbeResult:
        """Installed, as far as can be told without importing torch (``doctor``)."""
        version = _installed_version()
        if not version:
            return ProbeResult(False, "torch not installed")
        return ProbeResult(True, f"torch {version} installed (import checked by doctor --deep)",
                           self.capabilities.devices)

    def probe(self) -> ProbeResult:
        """Usable when torch imports."""
        try:
            import torch
        except ImportError:
            return ProbeResult(False, "torch not installed")
        cuda = " with CUDA" if "cuda" in self.capabilities.devices else ""
        return ProbeResult(True, f"torch {torch.__version__}{cuda}", self.capabilities.devices)

    def load(self, model_path: str, *, device: str = "cpu",
             options: Mapping[str, Any] | None = None) -> TorchSession:
        """Load a TorchScript archive or an exported program onto ``device``."""
        if device not in self.capabilities.devices:
            raise CapabilityNotSupported(
                f"torch here offers devices {sorted(self.capabilities.devices)}, not '{device}'")
        import torch

        from edgedeploy.plugins.torch.loading import (
            exported_module,
            load_exported_program,
            refuse_unsafe,
            scan_model_file,
        )

        path = Path(model_path)
        if not path.is_file():
            raise InvalidInput(f"model file {model_path} does not exist")
        half = str((options or {}).get("precision", "fp32")) == "fp16"
        if half and device != "cuda":
            raise CapabilityNotSupported("torch runs fp16 on cuda only")
        try:
            if path.suffix == ".pt2":
                program, _ = load_exported_program(path)
                module = exported_module(program)
                input_name = "x"
            else:
                refuse_unsafe(path, scan_model_file(path))
                module = torch.jit.load(str(path), map_location=device)  # type: ignore[no-untyped-call]
                args = module.forward.schema.arguments
                input_name = args[1].name if len(args) > 1 else "input"
        except InvalidInput:
            raise
        except Exception as exc:  # torch's RuntimeError with C++ text
            raise InvalidInput(f"torch cannot load {model_path}: "
                               f"{str(exc).splitlines()[0]}") from exc
        module = module.to(device)
        if half:
            module = module.half()
        return TorchSession(module, device=device, half=half, input_name=input_name)

    def unsupported_operators(self, model_path: str, *, device: str = "cpu") -> list[str]:
        """TorchScript runs every operator it could load; nothing is reported missing."""
        del model_path, device
        return []


def factory() -> TorchBackend:
    """Entry-point factory for the torch reference backend."""
    return TorchBackend()
