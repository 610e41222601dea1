"""Roll-out targets: edge agents over HTTP, local agent processes, a simulated fleet."""

from edgedeploy.adapters.fleet.config import FleetDescription, load_fleet
from edgedeploy.adapters.fleet.http import HttpFleet
from edgedeploy.adapters.fleet.local import LocalAgentFleet, free_port
from edgedeploy.adapters.fleet.simulated import (
    SimulatedBehaviour,
    SimulatedClock,
    SimulatedFleet,
)

__all__ = [
    "FleetDescription",
    "HttpFleet",
    "LocalAgentFleet",
    "SimulatedBehaviour",
    "SimulatedClock",
    "SimulatedFleet",
    "free_port",
    "load_fleet",
]
