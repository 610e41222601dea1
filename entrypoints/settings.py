"""Settings: a TOML file plus ``EDGEDEPLOY_*`` environment variables, validated at start-up.

Precedence (lowest first): built-in defaults, ``$EDGEDEPLOY_HOME/config.toml`` (or the file named
by ``EDGEDEPLOY_CONFIG``), environment variables. Nested keys use a double underscore:
``EDGEDEPLOY_HTTP__PORT=8800``. The edge agent's section also answers to a single underscore
(``EDGEDEPLOY_AGENT_PROBATION_INFERENCES=5``), the form fleets hand their agent processes.
All state lives under one home directory.

This module is the only one that reads the environment; everything else receives its
configuration from :func:`edgedeploy.entrypoints.bootstrap.bootstrap`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import msgspec

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.interchange import ImportLimits

ENV_PREFIX = "EDGEDEPLOY_"
# Variables in the same namespace that belong to the test and fault-injection harnesses or name
# the settings file itself. They are not settings; anything else under the prefix is, and an
# unknown one is refused.
FOREIGN_VARIABLES = ("CONFIG", "TEST_", "FAULT_")
AGENT_PREFIX = "AGENT_"


class HttpSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The HTTP API server."""

    host: str = "127.0.0.1"
    port: int = 8700
    max_body_bytes: int = 10 * 1024 * 1024
    cors_origins: list[str] = msgspec.field(default_factory=list)
    """Browser origins allowed to call the API (none by default: CORS closed)."""
    model_builders: list[str] = msgspec.field(default_factory=list)
    """``module:attr`` builders an optimization request may name besides the installed
    ``edgedeploy.model_builders`` entry points (none by default)."""


class PluginSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Which plugin entry points may load (None: all installed)."""

    allow: list[str] | None = None


class RolloutSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The roll-out controller of a long-running service."""

    tick_interval_s: float = 1.0
    fleets_dir: str = ""
    """The only directory a fleet named in an HTTP request is read from (and an inline one's
    relative paths resolve in); empty means ``<home>/fleets``."""

    def __post_init__(self) -> None:
        if not self.tick_interval_s > 0:
            raise ValueError("rollout.tick_interval_s must be positive")


class AlertReceiverSettings(msgspec.Struct, frozen=True, kw_only=True,
                            forbid_unknown_fields=True):
    """One receiver of drift alerts: Prometheus Alertmanager or a generic JSON webhook."""

    name: str
    url: str
    kind: Literal["alertmanager", "webhook"] = "webhook"


class DriftSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The drift monitor: where critical verdicts and data-quality findings are sent."""

    alert_receivers: list[AlertReceiverSettings] = msgspec.field(default_factory=list)
    alert_attempts: int = 4
    alert_backoff_s: float = 0.5


class OidcSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """JWTs from the organisation's identity provider, accepted besides API tokens.

    Off unless ``issuer`` is set. Keys come from ``jwks_file`` or ``jwks_url``; ``role_claim``
    names the claim listing the caller's groups and ``role_map`` maps each group to roles.
    """

    issuer: str = ""
    audience: str = ""
    jwks_file: str = ""
    jwks_url: str = ""
    algorithms: list[str] = msgspec.field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    name_claim: str = "preferred_username"
    role_claim: str = "groups"
    unit_claim: str = ""
    role_map: dict[str, list[str]] = msgspec.field(default_factory=dict)
    leeway_s: float = 30.0


class IdentitySettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who the caller is: local OS users, API tokens and optional OIDC."""

    local_roles: list[str] = msgspec.field(default_factory=lambda: [
        "viewer", "auditor", "engineer", "safety-reviewer", "release-manager", "admin"])
    """Roles of a local OS user who is not a registered principal (every role by default:
    who owns the home directory owns its database; a shared installation sets fewer)."""
    token: str = ""
    """An API token the CLI acts with instead of the OS user (``EDGEDEPLOY_TOKEN``)."""
    token_lifetime_days: int = 90
    signing_key_file: str = ""
    """Ed25519 key that signs chain checkpoints and evidence; ``<home>/keys/signing.pem``
    (created with 0600 permissions) when empty."""
    oidc: OidcSettings = msgspec.field(default_factory=OidcSettings)


_LIMITS = ImportLimits()
PositiveInt = Annotated[int, msgspec.Meta(ge=1)]


class InterchangeSettings(msgspec.Struct, frozen=True, kw_only=True,
                          forbid_unknown_fields=True):
    """Requirement imports: the ReqIF mapping file and size limits beyond the HTTP body's."""

    reqif_mapping: str = ""
    """A YAML file of attribute names and relation types added to the shipped mapping."""
    max_member_bytes: PositiveInt = _LIMITS.max_member_bytes
    """One ``.reqif`` inside a ``.reqifz``, unpacked."""
    max_attribute_bytes: PositiveInt = _LIMITS.max_attribute_bytes
    """One attribute value, rich text included."""
    max_import_bytes: PositiveInt = _LIMITS.max_import_bytes
    """One import: the file as sent plus everything it unpacks to."""
    max_objects: PositiveInt = _LIMITS.max_objects
    """SPEC-OBJECTs in one import."""

    def limits(self) -> ImportLimits:
        """The limits the ReqIF reader applies."""
        return ImportLimits(self.max_member_bytes, self.max_attribute_bytes,
                            self.max_import_bytes, self.max_objects)


class AgentSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One edge agent process (``edgedeploy agent serve``).

    ``device_id`` and ``port`` usually come from the command line. Limits left unset keep the
    edge runtime's own defaults (``EdgeConfig``); small ECUs and tests lower them. Every request
    must carry the fleet's secret (``token``, else the file ``token_file``, by default
    ``<home>/controller.token``, created with a fresh secret and mode 0600 when absent); with
    ``tls_cert_file`` the agent serves HTTPS, and with ``tls_client_ca_file`` it requires a
    controller certificate that CA signed (mutual TLS).
    """

    device_id: str = ""
    port: int = 0
    bind: str = "127.0.0.1"
    """The address the agent listens on (``0.0.0.0`` for every interface)."""
    token: str = ""
    token_file: str = ""
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_client_ca_file: str = ""
    home: str = ""
    repository: str = ""
    backend: str = ""
    """The agent's inference backend; empty selects as ``Settings.backend`` does."""
    memory_budget_bytes: int | None = None
    load_timeout_s: float | None = None
    probation_inferences: int | None = None
    inference_timeout_ms: float | None = None
    quarantine_base_s: float | None = None
    confidence_floor: float | None = None

    @property
    def home_dir(self) -> Path:
        """The agent's state directory: configured, else ``.edgedeploy/agents/<device>``."""
        return Path(self.home) if self.home else Path(".edgedeploy") / "agents" / self.device_id

    @property
    def token_path(self) -> Path:
        """The file holding the fleet's secret: configured, else ``<home>/controller.token``."""
        return Path(self.token_file) if self.token_file else self.home_dir / "controller.token"

    @property
    def repository_dir(self) -> Path:
        """Where model packages are installed from: configured, else ``<home>/repository``."""
        return Path(self.repository) if self.repository else self.home_dir / "repository"

    def limits(self) -> dict[str, Any]:
        """The limits that were set, by ``EdgeConfig`` field name."""
        names = ("memory_budget_bytes", "load_timeout_s", "probation_inferences",
                 "inference_timeout_ms", "quarantine_base_s", "confidence_floor")
        values = {name: getattr(self, name) for name in names}
        return {name: value for name, value in values.items() if value is not None}


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything edgedeploy can be configured with."""

    home: str = ".edgedeploy"
    database_url: str = ""
    # Plugin selection: the container picks each port's plugin by these names.
    trace_store: str = "oxigraph"
    """``oxigraph`` (on disk, in ``trace_store_dir``), ``rdflib-memory`` or any installed
    ``edgedeploy.trace_stores`` plugin."""
    backend: str = ""
    """The inference backend for optimize and verify; empty selects the first usable one (by
    name) that runs INT8 ONNX on CPU."""
    trace_store_dir: str = ""
    log_format: Literal["console", "json"] = "console"
    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    actor: str = ""
    remote: str = ""
    """An edgedeploy server's URL: the CLI then runs its commands through that server's API
    (``--remote``, ``EDGEDEPLOY_REMOTE``); empty: against this home."""
    http: HttpSettings = msgspec.field(default_factory=HttpSettings)
    plugins: PluginSettings = msgspec.field(default_factory=PluginSettings)
    rollout: RolloutSettings = msgspec.field(default_factory=RolloutSettings)
    agent: AgentSettings = msgspec.field(default_factory=AgentSettings)
    drift: DriftSettings = msgspec.field(default_factory=DriftSettings)
    identity: IdentitySettings = msgspec.field(default_factory=IdentitySettings)
    interchange: InterchangeSettings = msgspec.field(default_factory=InterchangeSettings)

    def __post_init__(self) -> None:
        if self.remote:
            check_remote_url(self.remote)

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
        """Where the on-disk RDF store lives: configured, else ``<home>/trace-store``."""
        return Path(self.trace_store_dir) if self.trace_store_dir else \
            self.home_dir / "trace-store"

    @property
    def evidence_path(self) -> Path:
        """Where content-addressed evidence and artifacts live."""
        return self.home_dir / "evidence"

    @property
    def fleets_path(self) -> Path:
        """Fleet descriptions a request may name: configured, else ``<home>/fleets``."""
        return Path(self.rollout.fleets_dir) if self.rollout.fleets_dir else \
            self.home_dir / "fleets"

    @property
    def resolved_actor(self) -> str:
        """Who is acting, for audit entries: configured, else the login name."""
        return self.actor or os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


def check_remote_url(url: str) -> str:
    """``url`` when it names a server by http or https, without credentials in it.

    Raises:
        ValueError: saying what is wrong with it.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"remote {url!r} is not an http:// or https:// URL of a server")
    if parts.username or parts.password:
        raise ValueError("remote URL must not carry credentials: give the token with --token "
                         "or EDGEDEPLOY_TOKEN")
    return url.rstrip("/")


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX):
            continue
        name = key[len(ENV_PREFIX):]
        if name.startswith(FOREIGN_VARIABLES):
            continue
        if name == "TOKEN":  # EDGEDEPLOY_TOKEN: the CLI's credential, kept with identity
            name = "IDENTITY__TOKEN"
        if name.startswith(AGENT_PREFIX) and not name.startswith(AGENT_PREFIX + "_"):
            name = "AGENT__" + name[len(AGENT_PREFIX):]
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
