"""Settings: a TOML file plus ``EDGEDEPLOY_*`` environment variables, validated at start-up.

Precedence (lowest first): built-in defaults, ``$EDGEDEPLOY_HOME/config.toml`` (or the file named
by ``EDGEDEPLOY_CONFIG``), environment variables. Nested keys use a double underscore:
``EDGEDEPLOY_HTTP__PORT=8800``. All state lives under one home directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

import msgspec

from edgedeploy.application.errors import InvalidInput

ENV_PREFIX = "EDGEDEPLOY_"
# Variables in the same namespace that belong to other components (the edge agent, the plain
# trace-store factory, the test and fault-injection harnesses) or name the settings file itself.
# They are not settings; anything else under the prefix is, and an unknown one is refused.
FOREIGN_VARIABLES = ("CONFIG", "AGENT_", "TRACE_STORE_PATH", "TEST_", "FAULT_")


class HttpSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The HTTP API server."""

    host: str = "127.0.0.1"
    port: int = 8700
    max_body_bytes: int = 10 * 1024 * 1024


class PluginSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which plugin entry points may load (None: all installed)."""

    allow: list[str] | None = None


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything edgedeploy can be configured with."""

    home: str = ".edgedeploy"
    database_url: str = ""
    trace_store: Literal["oxigraph", "rdflib-memory"] = "oxigraph"
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    actor: str = ""
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    plugins: PluginSettings = msgspec.field(default_factory=PluginSettings)

    @property
    def home_dir(self) -> Path:
        """The state directory."""
        return Path(self.home)

    @property
    def resolved_database_url(self) -> str:
        """The SQL database: SQLite file under home unless a URL was given."""
        return self.database_url or f"sqlite:///{(self.home_dir / 'edgedeploy.db').resolve()}"

    @property
    def trace_store_path(self) -> Path:
        """Where the on-disk RDF store lives."""
        return self.home_dir / "trace-store"

    @property
    def evidence_path(self) -> Path:
        """Where content-addressed evidence and artifacts live."""
        return self.home_dir / "evidence"

    @property
    def resolved_actor(self) -> str:
        """Who is acting, for audit entries: configured, else the login name."""
        return self.actor or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX):]
        if name.startswith(FOREIGN_VARIABLES):
            continue
        path = name.lower().split("__")
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return tree


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and validate settings.

    Raises:
        InvalidInput: naming the file or variable and the field that is wrong.
    """
    env = dict(os.environ if environ is None else environ)
    overrides = _env_overrides(env)
    home = Path(overrides.get("home", ".edgedeploy"))
    config_file = Path(env.get(f"{ENV_PREFIX}CONFIG", home / "config.toml"))
    from_file: dict[str, Any] = {}
    if config_file.is_file():
        try:
            from_file = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"configuration file {config_file}: {exc}",
                               code="CONFIG_INVALID") from exc
    raw = _merge(from_file, overrides)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        source = f"{config_file} / {ENV_PREFIX}* variables" if from_file else \
            f"{ENV_PREFIX}* variables"
        raise InvalidInput(f"configuration ({source}): {exc}", code="CONFIG_INVALID") from exc
