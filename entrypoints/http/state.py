"""What route handlers take from the application state."""

from __future__ import annotations

from litestar.datastructures import State

from edgedeploy.entrypoints.container import Container


def container_of(state: State) -> Container:
    """The composition root the app was created with."""
    container: Container = state.container
    return container
