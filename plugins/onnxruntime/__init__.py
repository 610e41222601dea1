"""The ONNX Runtime inference backend (CPU execution provider; CUDA where onnxruntime-gpu is).

Registered through the entry point ``onnxruntime = "edgedeploy.plugins.onnxruntime:factory"`` in
group
``edgedeploy.inference_backends``, the same path a third-party backend takes.
"""

from edgedeploy.plugins.onnxruntime.backend import OnnxRuntimeBackend, OnnxRuntimeSession, factory

__all__ = ["OnnxRuntimeBackend", "OnnxRuntimeSession", "factory"]
