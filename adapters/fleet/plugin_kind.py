"""Fleets of a kind that a rollout-target plugin opens (``edgedeploy.rollout_targets``).

The first-party kinds (``http``, ``local``, ``simulated``) are built by
:mod:`edgedeploy.adapters.fleet.config`; any other ``kind`` in a fleet description names a
plugin, which the composition root asks for the target. This module holds the two pieces that
need no plugin machinery: reading a description's raw fields, and driving the target the plugin
returned as a fleet that lives in real time, as agents in the field do.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from edgedeploy.application.ports.rollout import FleetSource, RolloutTarget
from edgedeploy.application.ports.system import Clock


@dataclass(frozen=True, slots=True)
class FleetFields:
    """A fleet description's raw fields, its default name and where relative paths start."""

    data: Mapping[str, Any]
    base: Path
    default_name: str

    @property
    def kind(self) -> str:
        """The fleet kind (``http`` when the description names none)."""
        return str(self.data.get("kind", "http"))

    @property
    def name(self) -> str:
        """The fleet's name in the journal."""
        return str(self.data.get("name", self.default_name))


def fleet_fields(source: FleetSource) -> FleetFields | None:
    """The raw fields of a description; None when a file cannot be read as a mapping.

    None leaves the reporting of an unreadable file to the first-party loader, which names the
    problem precisely.
    """
    if isinstance(source, Mapping):
        return FleetFields(dict(source), Path.cwd(), "fleet")
    path = Path(source)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return (FleetFields(data, path.resolve().parent, path.stem) if isinstance(data, dict)
            else None)


@dataclass(frozen=True, slots=True)
class PluginFleet:
    """A plugin's target driven in real time (implements ``FleetDriver``)."""

    name: str
    target: RolloutTarget

    @property
    def clock(self) -> Clock | None:
        """None: the controller's own clock applies."""
        return None

    def pace(self, seconds: float) -> None:
        """Wait ``seconds`` of real time between two ticks."""
        time.sleep(seconds)

    def elapse(self, seconds: float) -> None:
        """Real time passed elsewhere; the devices counted it themselves."""

    def close(self) -> None:
        """Release what the target holds, when it has anything to release."""
        close = getattr(self.target, "close", None)
        if callable(close):
            close()
