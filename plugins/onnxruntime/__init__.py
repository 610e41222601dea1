"""The ONNX Runtime inference backend (CPU execution provider; CUDA where onnxruntime-gpu is).

Registered through the entry point ``onnxruntime = "plugins.onnxruntime:factory"`` in group
``edgedeploy.inference_backends``, the same path a third-party backend takes.
"""

from plugins.onnxruntime.backend import OnnxRuntimeBackend, OnnxRuntimeSession, factory

__all__ = ["OnnxRuntimeBackend", "OnnxRuntimeSession", "factory"]
