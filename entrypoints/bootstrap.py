"""The composition root: one function builds every object the product runs on.

``bootstrap(settings, **overrides)`` returns the configured container from which the HTTP
app, the CLI's use cases, the job runner, the roll-out ticker, the edge agent's runtime and
the demo take what they need. Settings are the only input read from the environment
(:func:`edgedeploy.entrypoints.settings.load_settings`); overrides replace providers by name,
the way tests hand in fakes::

    container = bootstrap(Settings(home=str(tmp_path)), clock=ManualClock())
"""

from __future__ import annotations

from typing import Any

import msgspec
from dependency_injector import providers

from edgedeploy.application.errors import InvalidInput
from edgedeploy.entrypoints.container import Container
from edgedeploy.entrypoints.logging import configure_logging
from edgedeploy.entrypoints.settings import Settings, load_settings


def bootstrap(settings: Settings | None = None, **overrides: Any) -> Container:
    """The container wired for ``settings`` (read from file and environment when None).

    Each keyword names a provider and replaces it: a provider is used as given, any other
    object is served as it is (``clock=ManualClock()``).

    Raises:
        InvalidInput: the settings are invalid, or an override names no provider.
    """
    settings = settings or load_settings()
    configure_logging(settings.log_format, settings.log_level)
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
    for name, replacement in overrides.items():
        provider = container.providers.get(name)
        if provider is None or name in ("config", "settings"):
            raise InvalidInput(f"bootstrap: no provider named '{name}' to override",
                               code="BOOTSTRAP_OVERRIDE")
        provider.override(replacement if isinstance(replacement, providers.Provider)
                          else providers.Object(replacement))
    return container


def close_container(container: Container) -> None:
    """Release the trace store's files and the database pool (only what was opened)."""
    container.shutdown_resources()
