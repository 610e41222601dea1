"""The one plugin loader: inference backends, drift detectors, trace stores, rollout targets.

Every port a third party can implement has one entry-point group (:data:`GROUPS`). Each entry
point's value is a zero-argument factory, and every group is loaded by the same rule
(:func:`load_entry_point`):

1. an entry point outside ``settings.plugins.allow`` is not even imported;
2. the import and the factory call are isolated: whatever they raise is recorded as the reason
   the plugin is unusable, and never stops the others from loading (keyring's ``viable``);
3. the object must satisfy the group's port protocol;
4. one API-version check: the object declares the version of the port it was built for in
   ``capabilities.api_version`` (backends) or an ``api_version`` attribute (everything else);
   it must equal the group's version. Declaring none means version 1, the first version of
   every port, so an undeclared plugin keeps loading only until its port changes;
5. a ``probe()``, where the plugin has one, decides whether it is usable here. A registry
   made with ``quick=True`` (``edgedeploy doctor`` without ``--deep``) calls the plugin's
   ``quick_probe()`` instead where it has one: the framework's distribution is installed and
   its module found, without importing it (importing torch alone takes seconds).

The outcome is a :class:`PluginRecord`: usable or not, why, and the provenance (distribution,
version, entry point) that :meth:`PluginRecord.evidence` hands to the trace links the plugin's
work produces. Failures are logged at debug level only: ``edgedeploy doctor`` is where they are
reported, so a broken third-party plugin never clutters a user's other commands.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

import structlog

from edgedeploy.application.errors import BackendUnavailable, CapabilityNotSupported
from edgedeploy.application.ports.drift import DriftDetector
from edgedeploy.application.ports.inference import API_VERSION, InferenceBackend, ProbeResult
from edgedeploy.application.ports.rollout import RolloutTarget
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.domain.drift import DetectorCapability

INFERENCE_BACKENDS: Final = "edgedeploy.inference_backends"
DRIFT_DETECTORS: Final = "edgedeploy.drift_detectors"
TRACE_STORES: Final = "edgedeploy.trace_stores"
ROLLOUT_TARGETS: Final = "edgedeploy.rollout_targets"

EntryPointSource = Callable[[str], Iterable[metadata.EntryPoint]]
"""Where entry points come from: installed distributions, or a list in tests."""

_log = structlog.get_logger(__name__)


@runtime_checkable
class RolloutTargetProvider(Protocol):
    """What a rollout-target plugin's factory returns: it opens fleets of one kind.

    The entry point's name is the fleet ``kind`` a ``FLEET.yaml`` names. A fleet needs its
    description (agents, addresses, credentials) before it can be reached, which a zero-argument
    factory cannot know, so the factory returns this opener instead of the target itself.
    """

    def open(self, description: Mapping[str, Any], base_dir: Path) -> RolloutTarget:
        """The target for one fleet.

        Args:
            description: the parsed ``FLEET.yaml`` (``name``, ``kind`` and the kind's fields).
            base_dir: the directory holding the file; relative paths in it start here.

        Raises:
            InvalidInput: the description lacks a field the kind needs.
        """
        ...


@dataclass(frozen=True, slots=True)
class PluginGroup:
    """One entry-point group: the port its plugins implement and the port's API version.

    Attributes:
        name: the entry-point group, e.g. ``edgedeploy.inference_backends``.
        title: what one plugin of the group is called in messages.
        port: the runtime-checkable protocol a factory's object must satisfy.
        api_version: the version of that port edgedeploy speaks.
        shared: True when one loaded object serves every caller (backends are stateless
            between sessions); False when each use needs a fresh object from the factory
            (detectors carry fitted state, stores and fleet openers hold resources), so the
            object built while loading is only checked, then closed when it can be.
    """

    name: str
    title: str
    port: type
    api_version: int
    shared: bool


GROUPS: Final[Mapping[str, PluginGroup]] = {
    g.name: g for g in (
        PluginGroup(INFERENCE_BACKENDS, "inference backend", InferenceBackend, API_VERSION,
                    shared=True),
        PluginGroup(DRIFT_DETECTORS, "drift detector", DriftDetector, 1, shared=False),
        PluginGroup(TRACE_STORES, "trace store", TraceStore, 1, shared=False),
        PluginGroup(ROLLOUT_TARGETS, "rollout target", RolloutTargetProvider, 1, shared=False),
    )}
"""Every group the loader knows, by entry-point group name."""


@dataclass(frozen=True, slots=True)
class PluginRecord:
    """One entry point and what became of loading it.

    Attributes:
        name: the entry point's name (what users select, e.g. ``onnxruntime``).
        group: the entry-point group.
        value: ``module:attribute`` the entry point names.
        distribution: the installed distribution that declares it (``unknown`` when absent).
        version: that distribution's version.
        usable: True when the plugin loaded, matched its port and API version and its probe
            passed.
        reason: why it is usable or not, in words for ``edgedeploy doctor``.
        plugin: the loaded object for shared groups (backends); None otherwise or on failure.
        factory: the loaded factory, for groups that need a fresh object per use.
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
    factory: Callable[[], Any] | None = field(default=None, compare=False, repr=False)
    capabilities: dict[str, Any] = field(default_factory=dict, compare=False)

    def evidence(self) -> dict[str, str]:
        """Provenance a trace link records about the plugin that produced an artifact."""
        return {"plugin": self.name, "group": self.group, "entry_point": self.value,
                "distribution": self.distribution, "version": self.version}

    def create(self) -> Any:
        """A fresh object from the plugin's factory (the shared one for shared groups).

        Raises:
            BackendUnavailable: the plugin is unusable (the reason is given), or its factory
                raised this time.
        """
        if not self.usable:
            raise BackendUnavailable(f"{self.group} plugin '{self.name}' is unusable: "
                                     f"{self.reason}")
        if self.plugin is not None:
            return self.plugin
        if self.factory is None:  # pragma: no cover - a usable record always has one
            raise BackendUnavailable(f"{self.group} plugin '{self.name}' has no factory")
        try:
            return self.factory()
        except Exception as exc:  # a third party's factory may raise anything
            raise BackendUnavailable(f"{self.group} plugin '{self.name}': factory "
                                     f"{self.value} raised {type(exc).__name__}: {exc}") from exc


def declared_api_version(plugin: object) -> int:
    """The port version ``plugin`` was built for (1 when it declares none)."""
    caps = getattr(plugin, "capabilities", None)
    declared = getattr(caps, "api_version", None) if caps is not None else None
    if declared is None:
        declared = getattr(plugin, "api_version", None)
    return 1 if declared is None else declared if isinstance(declared, int) else -1


def _capabilities_of(plugin: Any) -> dict[str, Any]:
    caps = getattr(plugin, "capabilities", None)
    out: dict[str, Any] = {}
    if caps is None or isinstance(caps, DetectorCapability):
        # A detector's ``capability`` is one kind of window, not a descriptor.
        capability = getattr(plugin, "capability", None)
        return {"windows": str(capability)} if capability is not None else out
    for key in ("api_version", "name", "formats", "precisions", "devices", "dynamic_shapes"):
        if hasattr(caps, key):
            value = getattr(caps, key)
            out[key] = sorted(value) if isinstance(value, frozenset | set) else value
    return out


def _probe(plugin: Any, quick: bool = False) -> tuple[bool, str]:
    probe = (getattr(plugin, "quick_probe", None) if quick else None) or \
        getattr(plugin, "probe", None)
    if probe is None:
        return True, "loaded"
    result = probe()
    if isinstance(result, ProbeResult):
        return result.usable, result.reason
    return bool(result), "probe passed" if result else "probe failed"


def _release(plugin: Any) -> None:
    close = getattr(plugin, "close", None)
    if callable(close):
        try:
            close()
        except Exception as exc:  # releasing a checked object must not fail the load
            _log.debug("plugin.close_failed", error=repr(exc))


def load_entry_point(ep: metadata.EntryPoint, *, allow: Iterable[str] | None = None,
                     quick: bool = False) -> PluginRecord:
    """Load one entry point of any known group by the one rule (module docstring); never raises.

    Args:
        ep: the entry point; its ``group`` must be one of :data:`GROUPS`.
        allow: names allowed to load; None allows all (production passes
            ``settings.plugins.allow``).
        quick: probe without importing heavy frameworks where the plugin can (see step 5).
    """
    spec = GROUPS[ep.group]
    dist = getattr(ep, "dist", None)
    dist_name = dist.name if dist is not None else "unknown"
    dist_version = dist.version if dist is not None else "unknown"

    def record(usable: bool, reason: str, plugin: Any = None,
               factory: Callable[[], Any] | None = None) -> PluginRecord:
        caps = _capabilities_of(plugin) if plugin is not None else {}
        if plugin is not None and not spec.shared:
            _release(plugin)  # checked only; every use gets a fresh one from the factory
            plugin = None
        return PluginRecord(ep.name, ep.group, ep.value, dist_name, dist_version, usable,
                            reason, plugin, factory if usable else None, caps)

    allowed = None if allow is None else frozenset(allow)
    if allowed is not None and ep.name not in allowed:
        return record(False, f"not in the plugin allow-list {sorted(allowed)}")
    try:
        factory = ep.load()
    except Exception as exc:  # a third party's import may raise anything
        _log.debug("plugin.import_failed", name=ep.name, group=ep.group, error=repr(exc))
        return record(False, f"cannot import {ep.value}: {type(exc).__name__}: {exc}")
    try:
        plugin = factory()
    except Exception as exc:  # isolation is the point: a broken factory must not spread
        _log.debug("plugin.factory_failed", name=ep.name, group=ep.group, error=repr(exc))
        return record(False, f"factory {ep.value} raised {type(exc).__name__}: {exc}")
    if not isinstance(plugin, spec.port):
        _log.debug("plugin.not_a_port", name=ep.name, group=ep.group)
        return record(False, f"{ep.value} returned {type(plugin).__name__}, which is not a "
                             f"{spec.port.__name__}", plugin)
    declared = declared_api_version(plugin)
    if declared != spec.api_version:
        _log.debug("plugin.api_mismatch", name=ep.name, declared=declared,
                   wanted=spec.api_version)
        return record(False, f"speaks API version {declared}, edgedeploy needs "
                             f"{spec.api_version}", plugin)
    try:
        usable, reason = _probe(plugin, quick)
    except Exception as exc:  # a probe must not raise, but a third party's might
        _log.debug("plugin.probe_failed", name=ep.name, error=repr(exc))
        return record(False, f"probe raised {type(exc).__name__}: {exc}", plugin)
    _log.debug("plugin.loaded", name=ep.name, group=ep.group, distribution=dist_name,
               version=dist_version, usable=usable, reason=reason)
    return record(usable, reason, plugin, factory)


def _installed(group: str) -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=group)


def discover(group: str, *, allow: Iterable[str] | None = None,
             entry_points: EntryPointSource | None = None,
             quick: bool = False) -> list[PluginRecord]:
    """Load every entry point of ``group``, each isolated, sorted by name.

    Two distributions declaring the same name: the first on ``sys.path`` wins, as imports do.

    Raises:
        KeyError: ``group`` is not one of :data:`GROUPS`.
    """
    if group not in GROUPS:
        raise KeyError(f"unknown plugin group {group!r}; known: {sorted(GROUPS)}")
    seen: dict[str, metadata.EntryPoint] = {}
    for ep in (entry_points or _installed)(group):
        seen.setdefault(ep.name, ep)
    return [load_entry_point(seen[name], allow=allow, quick=quick) for name in sorted(seen)]


class PluginRegistry:
    """Every plugin installed here, each group loaded lazily on first use and then kept.

    ``quick`` registries only report (``doctor``); use cases get full probes.

    Thread-safe: the first caller of a group loads it, the others wait for that result.
    """

    def __init__(self, *, allow: Iterable[str] | None = None,
                 entry_points: EntryPointSource | None = None, quick: bool = False) -> None:
        self._allow = None if allow is None else frozenset(allow)
        self._entry_points = entry_points
        self._quick = quick
        self._records: dict[str, list[PluginRecord]] = {}
        self._lock = threading.Lock()

    def records(self, group: str) -> list[PluginRecord]:
        """Every plugin of ``group``, usable or not, sorted by name."""
        with self._lock:
            if group not in self._records:
                self._records[group] = discover(group, allow=self._allow,
                                                entry_points=self._entry_points,
                                                quick=self._quick)
            return list(self._records[group])

    def report(self) -> dict[str, list[PluginRecord]]:
        """Every group with every plugin, for ``edgedeploy doctor``."""
        return {group: self.records(group) for group in GROUPS}

    def record(self, group: str, name: str) -> PluginRecord:
        """One plugin's record, usable or not.

        Raises:
            CapabilityNotSupported: no plugin of that name is installed in ``group``.
        """
        records = self.records(group)
        for r in records:
            if r.name == name:
                return r
        raise CapabilityNotSupported(
            f"no {GROUPS[group].title} '{name}' is installed; installed: "
            f"{[r.name for r in records]}")

    def create(self, group: str, name: str) -> Any:
        """A usable plugin's object (fresh, except for shared groups).

        Raises:
            CapabilityNotSupported: none of that name is installed.
            BackendUnavailable: it is installed but unusable here (the reason is given).
        """
        return self.record(group, name).create()

    def usable(self, group: str) -> list[PluginRecord]:
        """The usable plugins of ``group``, sorted by name."""
        return [r for r in self.records(group) if r.usable]

    def drift_detectors(self, kind: DetectorCapability, *,
                        exclude: Iterable[str] = ()) -> list[DriftDetector]:
        """Fresh detectors from every usable detector plugin that judges windows of ``kind``.

        A detector for features also judges embeddings (they are features of a model), the
        rule the first-party ensemble follows. ``exclude`` skips detectors by name, so the
        first-party factories registered as entry points are not counted twice; a plugin
        whose factory fails this time is left out and logged at debug level.
        """
        taken = set(exclude)
        detectors: list[DriftDetector] = []
        for r in self.usable(DRIFT_DETECTORS):
            try:
                detector: DriftDetector = r.create()
            except BackendUnavailable as exc:
                _log.debug("plugin.detector_unavailable", name=r.name, error=str(exc))
                continue
            serves = detector.capability is kind or (
                detector.capability is DetectorCapability.FEATURES
                and kind is DetectorCapability.EMBEDDINGS)
            if serves and detector.name not in taken:
                taken.add(detector.name)
                detectors.append(detector)
        return detectors

    def trace_store(self, name: str) -> TraceStore:
        """A fresh trace store from the plugin ``name``.

        Raises:
            CapabilityNotSupported: no trace store of that name is installed.
            BackendUnavailable: it is installed but unusable here.
        """
        store: TraceStore = self.create(TRACE_STORES, name)
        return store

    def rollout_target(self, kind: str, description: Mapping[str, Any],
                       base_dir: Path) -> RolloutTarget:
        """The target of one fleet, opened by the plugin registered for its ``kind``.

        Raises:
            CapabilityNotSupported: no rollout target of that kind is installed.
            BackendUnavailable: it is installed but unusable here.
            InvalidInput: the description does not suit the kind.
        """
        provider: RolloutTargetProvider = self.create(ROLLOUT_TARGETS, kind)
        return provider.open(description, base_dir)


@dataclass(frozen=True, slots=True)
class BackendReport:
    """One row of ``edgedeploy doctor``'s inference backends."""

    name: str
    distribution: str
    version: str
    usable: bool
    reason: str
    capabilities: dict[str, Any]


DEFAULT_NEEDS: Final = ("onnx", "int8", "cpu")
"""What the default backend must offer: the pipeline exports INT8 ONNX and verifies on CPU."""


class BackendRegistry:
    """The inference backends of a :class:`PluginRegistry`, selected by name or capability."""

    def __init__(self, plugins: PluginRegistry | None = None, *,
                 allow: Iterable[str] | None = None,
                 entry_points: EntryPointSource | None = None) -> None:
        self._plugins = plugins or PluginRegistry(allow=allow, entry_points=entry_points)

    def records(self) -> list[PluginRecord]:
        """Every discovered backend, usable or not."""
        return self._plugins.records(INFERENCE_BACKENDS)

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
        return self._plugins.record(INFERENCE_BACKENDS, name)

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

    def select_record(self, *, fmt: str, precision: str = "fp32",
                      device: str = "cpu") -> PluginRecord:
        """The first usable backend, by name, offering a format, precision and device.

        Raises:
            CapabilityNotSupported: no usable backend offers that combination.
        """
        for r in self.records():
            caps = getattr(r.plugin, "capabilities", None)
            if (r.usable and caps is not None and fmt in caps.formats
                    and precision in caps.precisions and device in caps.devices):
                return r
        raise CapabilityNotSupported(
            f"no usable inference backend runs format '{fmt}' at {precision} on {device}; "
            f"usable: {self.names()}")

    def select(self, *, fmt: str, precision: str = "fp32",
               device: str = "cpu") -> InferenceBackend:
        """The backend :meth:`select_record` picks."""
        plugin: InferenceBackend = self.select_record(fmt=fmt, precision=precision,
                                                      device=device).plugin
        return plugin

    def chosen(self, name: str | None = None) -> PluginRecord:
        """The backend a setting names, or by default the first that offers INT8 ONNX on CPU.

        Args:
            name: the configured backend; empty or None selects by :data:`DEFAULT_NEEDS`.

        Raises:
            CapabilityNotSupported: the named backend is not installed, or none offers the
                default's needs.
            BackendUnavailable: the named backend is installed but unusable here.
        """
        if name:
            self.get(name)
            return self.record(name)
        fmt, precision, device = DEFAULT_NEEDS
        return self.select_record(fmt=fmt, precision=precision, device=device)
