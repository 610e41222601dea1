"""The TensorRT inference backend: engine build (FP32/FP16/INT8) and inference on NVIDIA GPUs.

Registered through ``tensorrt = "edgedeploy.plugins.tensorrt:factory"`` in
``edgedeploy.inference_backends``.
Importing this package never imports TensorRT; ``probe()`` says why the backend is unusable
where TensorRT, a CUDA binding or a GPU is missing.
"""

from edgedeploy.plugins.tensorrt.backend import TensorRtBackend, TensorRtSession, factory
from edgedeploy.plugins.tensorrt.builder import EngineBuildOptions, build_engine
from edgedeploy.plugins.tensorrt.cuda import tensorrt_available

__all__ = ["EngineBuildOptions", "TensorRtBackend", "TensorRtSession", "build_engine", "factory",
           "tensorrt_available"]
