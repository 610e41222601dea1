"""Read a fleet description (``FLEET.yaml``) into a roll-out target.

```yaml
name: bench-a            # the fleet's name in the journal
kind: http               # http | local | simulated
agents:                  # http: agents that already run
  - id: ecu-0
    url: http://127.0.0.1:8101
    labels: {hardware: ecu-a, region: eu}
# local: agent processes spawned on loopback
#   devices: [ecu-0, ecu-1]
#   repository: ./packages      (model packages the agents install from)
#   home: ./.edgedeploy/agents  (agent state directories)
# simulated: size: 10000, seed: 7, baseline: aeb@1.0
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from edgedeploy.adapters.fleet.http import HttpFleet
from edgedeploy.adapters.fleet.local import LocalAgentFleet
from edgedeploy.adapters.fleet.simulated import SimulatedBehaviour, SimulatedFleet
from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.models import ModelRef


@dataclass(frozen=True, slots=True)
class FleetDescription:
    """A fleet's name and the target that reaches it."""

    name: str
    target: HttpFleet | SimulatedFleet


def load_fleet(path: Path) -> FleetDescription:
    """Build the roll-out target a fleet file describes (local agents are started).

    Raises:
        InvalidInput: the file is unreadable or names an unknown kind.
    """
    try:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"fleet file {path} unreadable: {exc}") from exc
    name, kind = str(data.get("name", path.stem)), data.get("kind", "http")
    base = path.parent
    try:
        if kind == "http":
            agents = data["agents"]
            return FleetDescription(name, HttpFleet(
                {a["id"]: a["url"] for a in agents},
                {a["id"]: a.get("labels", {}) for a in agents}))
        if kind == "local":
            devices = [str(d) for d in data["devices"]]
            return FleetDescription(name, LocalAgentFleet(
                base / data.get("home", ".edgedeploy/agents"), base / data["repository"],
                devices, labels=data.get("labels")))
        if kind == "simulated":
            baseline = ModelRef.parse(data.get("baseline", "model@0"))
            return FleetDescription(name, SimulatedFleet(
                int(data["size"]), baseline, {baseline: SimulatedBehaviour()},
                seed=int(data.get("seed", 0))))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"fleet file {path}: missing or bad field {exc}") from exc
    raise InvalidInput(f"fleet file {path}: unknown kind '{kind}' (http, local, simulated)")
