"""Entry-point discovery for plugins: backends, drift detectors, trace stores, rollout targets.

Each entry point's value is a zero-argument factory. Every load is isolated: a plugin that fails
to import, raises in its factory, speaks another ``api_version`` or is not allowed is recorded as
unusable with the reason, and never stops the others from loading (keyring's ``viable`` pattern).
The distribution name and version of each plugin are kept so that evidence can name exactly which
code produced an artifact.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Final

import structlog

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported
from edgedeploy.application.ports.inference import API_VERSION, InferenceBackend, ProbeResult

INFERENCE_BACKENDS: Final = "edgedeploy.inference_backends"
DRIFT_DETECTORS: Final = "edgedeploy.drift_detectors"
TRACE_STORES: Final = "edgedeploy.trace_stores"
ROLLOUT_TARGETS: Final = "edgedeploy.rollout_targets"

_log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PluginRecord:
    """One entry point and what became of loading it.

    Attributes:
        name: the entry point's name (what users select, e.g. ``onnxruntime``).
        group: the entry-point group.
        value: ``module:attribute`` the entry point names.
        distribution: the installed distribution that declares it (``unknown`` when absent).
        version: that distribution's version.
        usable: True when the plugin loaded, matched the API version and its probe passed.
        reason: why it is usable or not, in words for ``edgedeploy doctor``.
        plugin: the object the factory returned (None when loading failed).
        capabilities: the plugin's capability descriptor as plain data, when it has one.
    """

    name: str
    group: str
    value: str
    distribution: str
    version: str
    usable: bool
    reason: str
    plugin: Any = field(default=None, compare=False, repr=False)
    capabilities: dict[str, Any] = field(default_factory=dict, compare=False)

    def evidence(self) -> dict[str, str]:
        """What a trace link records about the plugin that produced an artifact."""
        return {"plugin": self.name, "group": self.group, "distribution": self.distribution,
                "version": self.version}


def _capabilities_of(plugin: Any) -> dict[str, Any]:
    caps = getattr(plugin, "capabilities", None)
    if caps is None:
        return {}
    out: dict[str, Any] = {}
    for key in ("api_version", "name", "formats", "precisions", "devices", "dynamic_shapes"):
        if hasattr(caps, key):
            value = getattr(caps, key)
            out[key] = sorted(value) if isinstance(value, frozenset | set) else value
    return out


def _probe(plugin: Any) -> tuple[bool, str]:
    probe = getattr(plugin, "probe", None)
    if probe is None:
        return True, "loaded"
    result = probe()
    if isinstance(result, ProbeResult):
        return result.usable, result.reason
    return bool(result), "probe passed" if result else "probe failed"


def load_entry_point(ep: metadata.EntryPoint, *, api_version: int | None = API_VERSION,
                     allow: set[str] | None = None) -> PluginRecord:
    """Load one entry point in isolation; never raises.

    Args:
        ep: the entry point.
        api_version: the API version the plugin must declare in ``capabilities.api_version``
            (None skips the check, for groups whose ports carry no version).
        allow: names allowed to load; None allows all (production passes
            ``settings.plugins.allow``).
    """
    dist = getattr(ep, "dist", None)
    dist_name = dist.name if dist is not None else "unknown"
    dist_version = dist.version if dist is not None else "unknown"

    def record(usable: bool, reason: str, plugin: Any = None) -> PluginRecord:
        return PluginRecord(ep.name, ep.group, ep.value, dist_name, dist_version, usable, reason,
                            plugin, _capabilities_of(plugin) if plugin is not None else {})

    if allow is not None and ep.name not in allow:
        return record(False, f"not in the plugin allow-list {sorted(allow)}")
    try:
        factory = ep.load()
    except Exception as exc:  # a third party's import may raise anything
        _log.warning("plugin.import_failed", name=ep.name, group=ep.group, value=ep.value,
                     error=repr(exc))
        return record(False, f"cannot import {ep.value}: {type(exc).__name__}: {exc}")
    try:
        plugin = factory()
    except Exception as exc:  # isolation is the point: a broken factory must not spread
        _log.warning("plugin.factory_failed", name=ep.name, group=ep.group, error=repr(exc))
        return record(False, f"factory {ep.value} raised {type(exc).__name__}: {exc}")
    declared = getattr(getattr(plugin, "capabilities", None), "api_version", None)
    if api_version is not None and declared != api_version:
        _log.warning("plugin.api_mismatch", name=ep.name, declared=declared, wanted=api_version)
        return record(False, f"speaks API version {declared}, edgedeploy needs {api_version}",
                      plugin)
    try:
        usable, reason = _probe(plugin)
    except Exception as exc:  # a probe must not raise, but a third party's might
        _log.warning("plugin.probe_failed", name=ep.name, error=repr(exc))
        return record(False, f"probe raised {type(exc).__name__}: {exc}", plugin)
    _log.info("plugin.loaded", name=ep.name, group=ep.group, distribution=dist_name,
              version=dist_version, usable=usable, reason=reason)
    return record(usable, reason, plugin)


def discover(group: str, *, allow: set[str] | None = None, api_version: int | None = None,
             entry_points: Callable[[str], Iterable[metadata.EntryPoint]] | None = None,
             ) -> list[PluginRecord]:
    """Load every entry point of ``group``, each isolated, sorted by name.

    Args:
        group: e.g. ``INFERENCE_BACKENDS``.
        allow: optional allow-list of entry-point names.
        api_version: the version plugins must declare; defaults to the inference port's
            ``API_VERSION`` for ``INFERENCE_BACKENDS`` and to no check for other groups.
        entry_points: where entry points come from (defaults to installed distributions).
    """
    if api_version is None and group == INFERENCE_BACKENDS:
        api_version = API_VERSION
    source = entry_points or (lambda g: metadata.entry_points(group=g))
    seen: dict[str, metadata.EntryPoint] = {}
    for ep in source(group):
        seen.setdefault(ep.name, ep)  # the first distribution on sys.path wins, as imports do
    return [load_entry_point(seen[name], api_version=api_version, allow=allow)
            for name in sorted(seen)]


@dataclass(frozen=True, slots=True)
class BackendReport:
    """One row of ``edgedeploy doctor``."""

    name: str
    distribution: str
    version: str
    usable: bool
    reason: str
    capabilities: dict[str, Any]


class BackendRegistry:
    """The inference backends installed here, loaded lazily once and then shared.

    Thread-safe: the first caller loads, the others wait for that result.
    """

    def __init__(self, *, allow: set[str] | None = None,
                 entry_points: Callable[[str], Iterable[metadata.EntryPoint]] | None = None,
                 group: str = INFERENCE_BACKENDS) -> None:
        self._allow = allow
        self._entry_points = entry_points
        self._group = group
        self._records: list[PluginRecord] | None = None
        self._lock = threading.Lock()

    def records(self) -> list[PluginRecord]:
        """Every discovered backend, usable or not."""
        with self._lock:
            if self._records is None:
                self._records = discover(self._group, allow=self._allow,
                                         api_version=API_VERSION,
                                         entry_points=self._entry_points)
            return list(self._records)

    def report(self) -> list[BackendReport]:
        """Every backend with usable/unusable, the reason and its capabilities."""
        return [BackendReport(r.name, r.distribution, r.version, r.usable, r.reason,
                              r.capabilities) for r in self.records()]

    def names(self) -> list[str]:
        """Names of the usable backends."""
        return [r.name for r in self.records() if r.usable]

    def record(self, name: str) -> PluginRecord:
        """The record of one backend, usable or not.

        Raises:
            CapabilityNotSupported: no backend of that name is installed.
        """
        for r in self.records():
            if r.name == name:
                return r
        raise CapabilityNotSupported(
            f"no inference backend '{name}' is installed; installed: "
            f"{[r.name for r in self.records()]}")

    def get(self, name: str) -> InferenceBackend:
        """A usable backend by name.

        Raises:
            CapabilityNotSupported: none of that name is installed.
            BackendUnavailable: it is installed but unusable here (the reason is given).
        """
        r = self.record(name)
        if not r.usable or r.plugin is None:
            raise BackendUnavailable(f"inference backend '{name}' is unusable: {r.reason}")
        plugin: InferenceBackend = r.plugin
        return plugin

    def select(self, *, fmt: str, precision: str = "fp32",
               device: str = "cpu") -> InferenceBackend:
        """The first usable backend (by name) offering a format, precision and device.

        Raises:
            CapabilityNotSupported: no usable backend offers that combination.
        """
        for r in self.records():
            caps = getattr(r.plugin, "capabilities", None)
            if (r.usable and caps is not None and fmt in caps.formats
                    and precision in caps.precisions and device in caps.devices):
                plugin: InferenceBackend = r.plugin
                return plugin
        raise CapabilityNotSupported(
            f"no usable inference backend runs format '{fmt}' at {precision} on {device}")
