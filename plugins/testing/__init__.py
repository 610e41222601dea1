"""Conformance kits for every port a third party can implement, importable by plugin authors.

One kit per entry-point group; subclass it in your own tests and provide its fixtures (each
kit's docstring says which). edgedeploy runs the same kits against its own adapters and test
fakes, so a plugin that passes behaves as the first-party ones do where the core can tell.

- ``edgedeploy.inference_backends``: :class:`InferenceBackendContract` (fixtures ``backend``,
  ``model_path``, ``feeds``);
- ``edgedeploy.drift_detectors``: :class:`DriftDetectorContract` (``detector_factory``,
  ``reference``, ``clean_window``, ``drifted_window``);
- ``edgedeploy.trace_stores``: :class:`TraceStoreContract` and, for stores that export RDF,
  :class:`TraceStoreExportContract` (``store_factory``);
- ``edgedeploy.rollout_targets``: :class:`RolloutTargetContract` (``target``, ``model``).

:func:`assert_installed_plugin_loads` checks the last step, that the installed distribution's
entry point is discovered and usable, with its provenance.
"""

from __future__ import annotations

from edgedeploy.plugins.registry import PluginRecord, PluginRegistry
from edgedeploy.plugins.testing.drift import DriftDetectorContract
from edgedeploy.plugins.testing.inference import (
    InferenceBackendContract,
    tiny_onnx_feeds,
    write_tiny_onnx_model,
)
from edgedeploy.plugins.testing.rollout import RolloutTargetContract
from edgedeploy.plugins.testing.trace_store import (
    TraceStoreContract,
    TraceStoreExportContract,
    assert_same_answers,
)


def assert_installed_plugin_loads(group: str, name: str, distribution: str) -> PluginRecord:
    """Assert that the installed entry point ``name`` of ``group`` loads and is usable.

    Args:
        group: the entry-point group, e.g. ``edgedeploy.drift_detectors``.
        name: the entry point's name.
        distribution: the distribution that must declare it (provenance on trace links).

    Returns:
        The record, for further checks.
    """
    record = PluginRegistry().record(group, name)
    assert record.usable, record.reason
    assert record.distribution == distribution, record.distribution
    assert record.evidence()["entry_point"] == record.value
    return record


__all__ = [
    "DriftDetectorContract",
    "InferenceBackendContract",
    "RolloutTargetContract",
    "TraceStoreContract",
    "TraceStoreExportContract",
    "assert_installed_plugin_loads",
    "assert_same_answers",
    "tiny_onnx_feeds",
    "write_tiny_onnx_model",
]
