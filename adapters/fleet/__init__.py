"""Roll-out targets: edge agents over HTTP, local agent processes, a simulated fleet.

Also a journal-only stand-in for commands run where no fleet is reachable.
"""

from edgedeploy.adapters.fleet.auth import (
    ControllerCredentials,
    check_token,
    controller_credentials,
    ensure_secret_file,
    read_secret_file,
)
from edgedeploy.adapters.fleet.config import (
    FleetDescription,
    fleet_from_mapping,
    load_fleet,
    open_fleet,
)
from edgedeploy.adapters.fleet.http import HttpFleet
from edgedeploy.adapters.fleet.journal_only import JournalOnlyTarget
from edgedeploy.adapters.fleet.local import LocalAgentFleet, free_port
from edgedeploy.adapters.fleet.simulated import (
    SimulatedBehaviour,
    SimulatedClock,
    SimulatedFleet,
)

__all__ = [
    "ControllerCredentials",
    "FleetDescription",
    "HttpFleet",
    "JournalOnlyTarget",
    "LocalAgentFleet",
    "SimulatedBehaviour",
    "SimulatedClock",
    "SimulatedFleet",
    "check_token",
    "controller_credentials",
    "ensure_secret_file",
    "fleet_from_mapping",
    "free_port",
    "load_fleet",
    "open_fleet",
    "read_secret_file",
]
