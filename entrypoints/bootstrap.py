"""Build a configured container from settings (shared by CLI, HTTP server and tests)."""

from __future__ import annotations

import msgspec
from dependency_injector import providers

from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.logging import configure_logging
from edgedeploy.entrypoints.settings import Settings, load_settings


def build_container(settings: Settings | None = None) -> Container:
    """A container wired for ``settings`` (read from file and environment when None)."""
    settings = settings or load_settings()
    configure_logging(settings.log_format, settings.log_level)
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    container = Container()
    config = msgspec.to_builtins(settings, enc_hook=str)
    config.update(
        home=str(settings.home_dir),
        database_url=settings.resolved_database_url,
        trace_store_path=str(settings.trace_store_path),
        evidence_path=str(settings.evidence_path),
        actor=settings.resolved_actor,
    )
    container.config.from_dict(config)
    container.settings.override(providers.Object(settings))
    return container


def close_container(container: Container) -> None:
    """Release the trace store's files and the database pool (only what was opened)."""
    container.shutdown_resources()
