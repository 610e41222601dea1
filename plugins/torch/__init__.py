"""The torch plugin: reference backend, example models, and the optimizer's ML work.

Entry point: ``torch = "edgedeploy.plugins.torch:factory"`` in ``edgedeploy.inference_backends``.
Importing
this package does not import torch; each module imports it inside the functions that need it.
"""

from edgedeploy.plugins.torch.backend import TorchBackend, TorchSession, factory
from edgedeploy.plugins.torch.examples import EXAMPLE_CONFIGS, ExampleModel, ensure_example_model
from edgedeploy.plugins.torch.toolkit import OnnxOptimizationWorkspace, TorchQuantizationToolkit
from edgedeploy.plugins.torch.verification import OnnxDeploymentVerifier

__all__ = [
    "EXAMPLE_CONFIGS",
    "ExampleModel",
    "OnnxDeploymentVerifier",
    "OnnxOptimizationWorkspace",
    "TorchBackend",
    "TorchQuantizationToolkit",
    "TorchSession",
    "ensure_example_model",
    "factory",
]
