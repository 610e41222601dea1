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

The same description may come as a mapping (:func:`open_fleet`), e.g. inline in an HTTP
request; its relative paths then resolve against the working directory.
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
        return fleet_from_mapping(data, Path.cwd(), str(data.get("name", "fleet")),
                                  "inline fleet description")
    return load_fleet(Path(source))


def load_fleet(path: Path) -> FleetDescription:
    """Build the roll-out target a fleet file describes (local agents are started).

    Raises:
        InvalidInput: the file is missing, unreadable or names an unknown kind.
    """
    if not path.is_file():
        raise InvalidInput(f"fleet file '{path}' is not a file", code=INVALID)
    try:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidInput(f"fleet file {path} unreadable: {exc}", code=INVALID) from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"fleet file {path}: not a mapping", code=INVALID)
    return fleet_from_mapping(data, path.parent, path.stem, f"fleet file {path}")


def fleet_from_mapping(data: Mapping[str, Any], base: Path, default_name: str,
                       origin: str) -> FleetDescription:
    """Build the target ``data`` describes; relative paths resolve against ``base``.

    Raises:
        InvalidInput: a field is missing or malformed, or the kind is unknown.
    """
    name, kind = str(data.get("name", default_name)), data.get("kind", "http")
    try:
        if kind == "http":
            agents = data["agents"]
            urls = {a["id"]: a["url"] for a in agents}
            credentials = controller_credentials(data.get("auth"), base, origin)
            return FleetDescription(name, HttpFleet(
                urls, {a["id"]: a.get("labels", {}) for a in agents},
                credentials=credentials))
        if kind == "local":
            devices = [str(d) for d in data["devices"]]
            auth = data.get("auth") or {}
            token_file = auth.get("token_file") if isinstance(auth, Mapping) else None
            return FleetDescription(name, LocalAgentFleet(
                base / data.get("home", ".edgedeploy/agents"), base / data["repository"],
                devices, labels=data.get("labels"), bind=str(data.get("bind", "127.0.0.1")),
                token_file=base / str(token_file) if token_file else None))
        if kind == "simulated":
            baseline = ModelRef.parse(data.get("baseline", "model@0"))
            return FleetDescription(name, SimulatedFleet(
                int(data["size"]), baseline, {baseline: SimulatedBehaviour()},
                seed=int(data.get("seed", 0))))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"{origin}: missing or bad field {exc}", code=INVALID) from exc
    raise InvalidInput(f"{origin}: unknown kind '{kind}' (http, local, simulated)",
                       code=INVALID)
