"""Inspection of model files at registration, and the installed model builders.

Importing this package imports neither ONNX nor PyTorch; the inspector imports them inside the
calls that need them, so the CLI and the service start without them.
"""

from edgedeploy.plugins.model_files.builders import installed_model_builders
from edgedeploy.plugins.model_files.inspector import (
    TRIAL_RUN_MAX_BYTES,
    FrameworkModelFileInspector,
)

__all__ = ["TRIAL_RUN_MAX_BYTES", "FrameworkModelFileInspector", "installed_model_builders"]
