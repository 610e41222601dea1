"""Read a fleet description (``FLEET.yaml``) into a roll-out target.

```yaml
name: bench-a            # the fleet's name in the journal
kind: http               # http | local | simulated
agents:                  # http: agents that already run
  - id: ecu-0
    url: http://127.0.0.1:8101
    labels: {hardware: ecu-a, region: eu}
auth:                    # http: required; the agents hold the same secret (agent.token_file)
  token_file: bench-a.token   # mode 0600, relative to this file; optional tls: (see auth.py)
# local: agent processes spawned on this machine
#   devices: [ecu-0, ecu-1]
#   repository: ./packages      (model packages the agents install from)
#   home: ./.edgedeploy/agents  (agent state directories; HOME/fleet.token is created)
#   bind: 127.0.0.1             (the address the agents listen on)
#   auth: {token_file: ...}     (optional: an existing secret instead of HOME/fleet.token)
# simulated: size: 10000, seed: 7, baseline: aeb@1.0
```

Relative paths resolve against the fleet file's directory. The same description may come as a
mapping (:func:`open_fleet`), e.g. inline in an HTTP request; a description from a request is
confined to the server's fleets directory (:func:`open_confined_fleet`): a file named there,
inline paths resolved there, and neither may leave it.

The fleet's ``name`` and every device id are plain identifiers
(:func:`edgedeploy.domain.rollout.fleet_name`): they name journal rows and agent state
directories, never a path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from edgedeploy.adapters.fleet.auth import controller_credentials
from edgedeploy.adapters.fleet.http import HttpFleet
from edgedeploy.adapters.fleet.local import LocalAgentFleet
from edgedeploy.adapters.fleet.simulated import SimulatedBehaviour, SimulatedFleet
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.rollout import FleetSource
from edgedeploy.application.ports.system import Clock
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.rollout import InvalidIdentifier, device_id, fleet_name

INVALID = "FLEET_INVALID"


@dataclass(frozen=True, slots=True)
class FleetDescription:
    """A fleet's name and the target that reaches it; drives it as its kind requires.

    Implements :class:`edgedeploy.application.ports.rollout.FleetDriver`: the target decides
    how time passes (agents in real time, a simulator in health windows on its own clock).
    """

    name: str
    target: HttpFleet | SimulatedFleet

    @property
    def clock(self) -> Clock | None:
        """The simulator's clock for a simulated fleet; None for real agents."""
        return self.target.clock

    def pace(self, seconds: float) -> None:
        """Let the time between two ticks pass on this fleet."""
        self.target.pace(seconds)

    def elapse(self, seconds: float) -> None:
        """``seconds`` of real time passed elsewhere."""
        self.target.elapse(seconds)

    def close(self) -> None:
        """Release connections (and stop agent processes this fleet started)."""
        self.target.close()


def open_fleet(source: FleetSource) -> FleetDescription:
    """The fleet a ``FLEET.yaml`` path or an equivalent mapping describes.

    Raises:
        InvalidInput: the description is unreadable, incomplete or names an unknown kind.
    """
    if isinstance(source, Mapping):
        data = dict(source)
        return fleet_from_mapping(data, Path.cwd().resolve(), "fleet",
                                  "inline fleet description")
    return load_fleet(Path(source))


def confined_path(base: Path, value: object, field: str, origin: str) -> Path:
    """``value`` as a path inside ``base``: relative, without ``..``, not leaving it by a link.

    Raises:
        InvalidInput: naming ``field``; the path itself is not repeated beyond its name.
    """
    text = str(value) if isinstance(value, str | Path) else ""
    candidate = Path(text)
    if (not text or "\x00" in text or candidate.is_absolute()
            or ".." in candidate.parts):
        raise InvalidInput(f"{origin}: '{field}' must be a relative path inside the fleets "
                           "directory, without '..'", code=INVALID)
    root = base.resolve()
    resolved = (root / candidate).resolve()
    if resolved != root and root not in resolved.parents:
        raise InvalidInput(f"{origin}: '{field}' leads outside the fleets directory",
                           code=INVALID)
    return resolved


def open_confined_fleet(source: FleetSource, fleets_dir: Path) -> FleetDescription:
    """The fleet a request describes, read and resolved only inside ``fleets_dir``.

    A string is the name of a fleet file in ``fleets_dir``; a mapping is an inline description
    whose relative paths resolve there. Absolute paths and ``..`` are refused before anything
    is read or written.

    Raises:
        InvalidInput: the file is outside ``fleets_dir`` or unreadable, or the description is
            incomplete, names an unknown kind or a path outside ``fleets_dir``.
    """
    if isinstance(source, Mapping):
        data = dict(source)
        origin = "inline fleet description"
        for key in ("home", "repository"):
            if key in data:
                confined_path(fleets_dir, data[key], key, origin)
        auth = data.get("auth")
        if isinstance(auth, Mapping):
            for key in ("token_file",):
                if key in auth:
                    confined_path(fleets_dir, auth[key], f"auth.{key}", origin)
            tls = auth.get("tls")
            if isinstance(tls, Mapping):
                for key, value in tls.items():
                    confined_path(fleets_dir, value, f"auth.tls.{key}", origin)
        if data.get("kind", "http") == "local" and "home" not in data:
            data["home"] = str(Path("agents") / str(fleet_name_of(data, "fleet", origin)))
        return fleet_from_mapping(data, fleets_dir.resolve(), "fleet", origin)
    return load_fleet(confined_path(fleets_dir, source, "fleet_file", "fleet_file"),
                      shown=str(source))


def fleet_name_of(data: Mapping[str, Any], default_name: str, origin: str) -> str:
    """The description's ``name`` (``default_name`` when absent), checked as an identifier.

    Raises:
        InvalidInput: the name is not an identifier.
    """
    try:
        return fleet_name(data.get("name", default_name))
    except InvalidIdentifier as exc:
        raise InvalidInput(f"{origin}: field 'name': {exc.message}", code=INVALID) from None


def load_fleet(path: Path, *, shown: str | None = None) -> FleetDescription:
    """Build the roll-out target a fleet file describes (local agents are started).

    Relative paths in the file resolve against the file's own directory. Errors name the file
    (as ``shown``, when given) and never repeat its content.

    Raises:
        InvalidInput: the file is missing, unreadable or names an unknown kind.
    """
    label = shown if shown is not None else str(path)
    if not path.is_file():
        raise InvalidInput(f"fleet file '{label}' is not a file", code=INVALID)
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"fleet file '{label}' cannot be read as UTF-8 text "
                           f"({type(exc).__name__})", code=INVALID) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InvalidInput(f"fleet file '{label}' is not valid YAML{where}",
                           code=INVALID) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"fleet file '{label}': not a mapping", code=INVALID)
    default_name = path.stem if fleet_name_ok(path.stem) else "fleet"
    return fleet_from_mapping(data, path.resolve().parent, default_name,
                              f"fleet file '{label}'")


def fleet_name_ok(value: str) -> bool:
    """True when ``value`` may serve as a fleet name."""
    try:
        fleet_name(value)
    except InvalidIdentifier:
        return False
    return True


def _device_ids(values: Any, origin: str) -> list[str]:
    if not isinstance(values, list) or not values:
        raise InvalidInput(f"{origin}: field 'devices' must be a non-empty list of device ids",
                           code=INVALID)
    ids: list[str] = []
    for value in values:
        try:
            ids.append(device_id(value))
        except InvalidIdentifier as exc:
            raise InvalidInput(f"{origin}: field 'devices': {exc.message}",
                               code=INVALID) from None
    if len(set(ids)) != len(ids):
        raise InvalidInput(f"{origin}: field 'devices' names a device twice", code=INVALID)
    return ids


def fleet_from_mapping(data: Mapping[str, Any], base: Path, default_name: str,
                       origin: str) -> FleetDescription:
    """Build the target ``data`` describes; relative paths resolve against ``base``.

    The name and every device id are checked before anything is started or written.

    Raises:
        InvalidInput: a field is missing or malformed, or the kind is unknown.
    """
    name, kind = fleet_name_of(data, default_name, origin), data.get("kind", "http")
    try:
        if kind == "http":
            agents = data["agents"]
            if not isinstance(agents, list):
                raise TypeError("'agents' must be a list")
            ids = _device_ids([a.get("id") if isinstance(a, Mapping) else None
                               for a in agents], origin + " (agents)")
            urls = {d: str(a["url"]) for d, a in zip(ids, agents, strict=True)}
            credentials = controller_credentials(data.get("auth"), base, origin)
            return FleetDescription(name, HttpFleet(
                urls, {d: a.get("labels", {}) for d, a in zip(ids, agents, strict=True)},
                credentials=credentials))
        if kind == "local":
            devices = _device_ids(data.get("devices"), origin)
            auth = data.get("auth") or {}
            token_file = auth.get("token_file") if isinstance(auth, Mapping) else None
            return FleetDescription(name, LocalAgentFleet(
                base / str(data.get("home", ".edgedeploy/agents")),
                base / str(data["repository"]),
                devices, labels=data.get("labels"), bind=str(data.get("bind", "127.0.0.1")),
                token_file=base / str(token_file) if token_file else None))
        if kind == "simulated":
            baseline = ModelRef.parse(data.get("baseline", "model@0"))
            return FleetDescription(name, SimulatedFleet(
                int(data["size"]), baseline, {baseline: SimulatedBehaviour()},
                seed=int(data.get("seed", 0))))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"{origin}: missing or bad field {exc}", code=INVALID) from exc
    raise InvalidInput(f"{origin}: unknown kind '{kind}' (http, local, simulated)",
                       code=INVALID)
