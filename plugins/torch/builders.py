"""The bundled example architectures as zero-argument model builders.

Registered under the entry-point group ``edgedeploy.model_builders``, so that an optimization
requested over HTTP can name them (``"module": "digits-cnn-small"``) for a bare state dict
without the request being able to name any other code.
"""

from __future__ import annotations

from typing import Any

from edgedeploy.plugins.torch.examples import EXAMPLE_CONFIGS, build_digits_cnn


def digits_cnn_small() -> Any:
    """The example digits CNN in its ``small`` size (input 1x1x32x32, ten classes)."""
    return build_digits_cnn(**EXAMPLE_CONFIGS["small"])


def digits_cnn_medium() -> Any:
    """The example digits CNN in its ``medium`` size (input 1x1x32x32, ten classes)."""
    return build_digits_cnn(**EXAMPLE_CONFIGS["medium"])
