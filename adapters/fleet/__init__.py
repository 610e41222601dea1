"""Roll-out targets: edge agents over HTTP, local agent processes, a simulated fleet."""

from adapters.fleet.config import FleetDescription, load_fleet
from adapters.fleet.http import HttpFleet
from adapters.fleet.local import LocalAgentFleet, free_port
from adapters.fleet.simulated import (
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
