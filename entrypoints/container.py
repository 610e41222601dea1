"""The declarative container: which adapter serves which port, and how use cases are built.

Only :func:`edgedeploy.entrypoints.bootstrap.bootstrap` instantiates it, from settings; the
CLI, the HTTP API, the roll-out ticker, the edge agent and the demo all take their objects
from that one container, and tests replace providers with ``container.<name>.override``.
Providers are lazy: an edge agent process builds its runtime without opening the database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dependency_injector import containers, providers

from edgedeploy.adapters.files import FileEvidenceStore
from edgedeploy.adapters.rdf import oxigraph_factory
from edgedeploy.adapters.system import SystemClock
from edgedeploy.application.audit import (
    ExportEvidenceBundle,
    VerifyEvidence,
    VerifyEvidenceBundle,
)
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.identity import (
    AuthenticateToken,
    IssueToken,
    ListTokens,
    ManagePrincipals,
    ResolveLocalPrincipal,
    RevokeToken,
    UnitOf,
)
from edgedeploy.application.jobs import JobRunner
from edgedeploy.application.messagebus import MessageBus
from edgedeploy.application.models import ModelBuilders, ModelQueries, RegisterModel
from edgedeploy.application.monitoring import (
    CheckWindow,
    DetectorPool,
    DriftReport,
    FitReference,
    ListVerdicts,
    NotifyAlertReceivers,
    RaiseDriftAlert,
    RecordFeedback,
)
from edgedeploy.application.optimization import (
    OptimizeAndRegister,
    OptimizeModel,
    VerifyModel,
    VerifyRegisteredModel,
)
from edgedeploy.application.ports.drift import DetectorProvider, DriftDetector, WindowInspector
from edgedeploy.application.ports.inference import InferenceBackend
from edgedeploy.application.ports.persistence import UnitOfWorkFactory
from edgedeploy.application.ports.reporting import ReleaseReportRenderer
from edgedeploy.application.ports.rollout import FleetDriver, FleetSource, RolloutTarget
from edgedeploy.application.ports.signing import EvidenceLedger, EvidenceSigner, SignatureVerifier
from edgedeploy.application.ports.trace_store import TraceStore
from edgedeploy.application.rollout import (
    ExportDecisionLog,
    ListRollouts,
    PrepareRollout,
    RecordEvidenceWhenFinished,
    RecordRolloutEvidence,
    RolloutEngine,
    RolloutFleets,
    RolloutStatus,
    RolloutTicker,
    TraceAndVerificationReadiness,
)
from edgedeploy.application.traceability import (
    AssessReadiness,
    BuildTraceMatrix,
    EvaluateGate,
    EvidenceFiles,
    ExportRequirements,
    ExportTraceGraph,
    ImportRequirements,
    LinkItems,
    LinkVerificationEvidence,
    ListRequirements,
    RecordArtifact,
    RenderTraceMatrix,
    TraceQueries,
)
from edgedeploy.application.traceability.accountability import DescribeAccountability
from edgedeploy.domain.drift import DetectorCapability
from edgedeploy.domain.events import CriticalDriftDetected, DataQualityDetected, RolloutFinished
from edgedeploy.domain.identity import Principal, PrincipalKind, Role, parse_roles
from edgedeploy.entrypoints.settings import AgentSettings, InterchangeSettings, Settings
from edgedeploy.plugins.model_files import FrameworkModelFileInspector, installed_model_builders
from edgedeploy.plugins.registry import ROLLOUT_TARGETS, BackendRegistry, PluginRegistry
from edgedeploy.plugins.torch import (
    OnnxDeploymentVerifier,
    TorchQuantizationToolkit,
    ensure_example_model,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from edgedeploy.adapters.drift.files import FeatureTable
    from edgedeploy.adapters.reporting.acceptance import CucumberAcceptanceReport
    from edgedeploy.adapters.sql import SqlAlchemyUnitOfWork
    from edgedeploy.application.edge.runtime import EdgeRuntime

# SQLAlchemy and Alembic load with the first provider that needs the database, so processes
# that never open it (the edge agent, ``--help``) start without them.

def _migrated_engine(url: str) -> Iterator[Engine]:
    """Apply pending migrations on first use, then hand out the engine until shutdown."""
    from edgedeploy.adapters.sql import create_engine_for, is_current

    engine = create_engine_for(url)
    if not is_current(engine):
        from edgedeploy.adapters.sql.migrate import upgrade_to_head

        upgrade_to_head(url)
    yield engine
    engine.dispose()


def _session_factory(engine: Engine) -> sessionmaker[Session]:
    from edgedeploy.adapters.sql import create_session_factory

    return create_session_factory(engine)


def _unit_of_work(sessions: sessionmaker[Session],
                  signer: EvidenceSigner | None = None) -> SqlAlchemyUnitOfWork:
    from edgedeploy.adapters.sql import SqlAlchemyUnitOfWork

    return SqlAlchemyUnitOfWork(sessions, signer=signer)


# --- Tamper evidence: the checkpoint key, and the chains read back for verification --------

def _evidence_signer(key_file: str, home: str) -> EvidenceSigner:
    """The Ed25519 key of ``identity.signing_key_file``, else ``<home>/keys/signing.pem``."""
    from edgedeploy.adapters.signing import Ed25519EvidenceSigner

    path = Path(key_file) if key_file else Path(home) / "keys" / "signing.pem"
    return Ed25519EvidenceSigner.load_or_create(path)


def _chains_intact(verify: Callable[[], VerifyEvidence]) -> Callable[[], int]:
    """The gate's integrity check, opening the database only when a gate is evaluated.

    Building the API app (and its ticker) must not touch the database: readiness reports an
    unreachable one instead of the app failing to start.
    """

    def check() -> int:
        return verify().require_intact()

    return check


def _public_key_verifier(pem: bytes) -> SignatureVerifier:
    from edgedeploy.adapters.signing import Ed25519SignatureVerifier

    return Ed25519SignatureVerifier.from_pem(pem)


def _evidence_ledger(sessions: sessionmaker[Session]) -> EvidenceLedger:
    from edgedeploy.adapters.sql.evidence_ledger import SqlAlchemyEvidenceLedger

    return SqlAlchemyEvidenceLedger(sessions)


# --- Plugin selection: every port a plugin serves is chosen by setting and capability ------

def _plugin_registry(allow: list[str] | None) -> PluginRegistry:
    return PluginRegistry(allow=allow)


def _trace_store(name: str, path: str, plugins: PluginRegistry) -> Iterator[TraceStore]:
    """The store ``settings.trace_store`` names; closed at shutdown.

    The default, Oxigraph, persists in the directory settings give; any other name is a
    trace-store plugin (``rdflib-memory`` or a third party's), built by its factory.
    """
    store: TraceStore = oxigraph_factory(path) if name == "oxigraph" else \
        plugins.trace_store(name)
    yield store
    store.close()


def _runtime(backends: BackendRegistry, configured: str | None, name: str = "",
             ) -> InferenceBackend:
    """The backend a command names, else ``settings.backend``, else by capability.

    By capability means the first usable backend, by name, that runs INT8 ONNX on CPU.
    """
    backend: InferenceBackend = backends.chosen(name or configured).create()
    return backend


def _runtime_provenance(backends: BackendRegistry, configured: str | None,
                        name: str = "") -> dict[str, str]:
    """Which plugin :func:`_runtime` picks for the same arguments, for trace evidence."""
    return backends.chosen(name or configured).evidence()


FIRST_PARTY_FLEET_KINDS = ("http", "local", "simulated")


def _fleet_opener(plugins: PluginRegistry,
                  fleets_dir: Path | None = None) -> Callable[[FleetSource], FleetDriver]:
    """Open a fleet by its ``kind``: first-party kinds here, any other through its plugin.

    With ``fleets_dir`` (fleets a request names) a file is read only from that directory and
    an inline description's paths resolve there; the checks run before anything is opened.
    """
    def open_any(source: FleetSource) -> FleetDriver:
        from edgedeploy.adapters.fleet import load_fleet, open_fleet
        from edgedeploy.adapters.fleet.config import (
            confined_path,
            fleet_name_of,
            open_confined_fleet,
        )
        from edgedeploy.adapters.fleet.plugin_kind import PluginFleet, fleet_fields

        shown = str(source) if not isinstance(source, Mapping) else ""
        if fleets_dir is not None and not isinstance(source, Mapping):
            source = confined_path(fleets_dir, source, "fleet_file", "fleet_file")
        fields = fleet_fields(source)
        if fields is None or fields.kind in FIRST_PARTY_FLEET_KINDS:
            if fleets_dir is None:
                return open_fleet(source)
            if isinstance(source, Mapping):
                return open_confined_fleet(source, fleets_dir)
            return load_fleet(Path(source), shown=shown)
        if fleets_dir is not None and isinstance(source, Mapping):
            fields = replace(fields, base=fleets_dir.resolve())
        fleet_name_of(fields.data, fields.default_name, "fleet description")
        installed = [r.name for r in plugins.records(ROLLOUT_TARGETS)]
        if fields.kind not in installed:
            raise InvalidInput(f"fleet {fields.name}: unknown kind '{fields.kind}' "
                               f"({', '.join([*FIRST_PARTY_FLEET_KINDS, *installed])})",
                               code="FLEET_INVALID")
        return PluginFleet(fields.name,
                           plugins.rollout_target(fields.kind, fields.data, fields.base))

    return open_any


def _detector_provider(plugins: PluginRegistry) -> DetectorProvider:
    """First-party detectors for a kind of window, then every plugin detector serving it.

    The first-party factories are entry points too; the names they take are skipped among
    the plugins, so they are not counted twice.
    """
    def provide(kind: DetectorCapability) -> list[DriftDetector]:
        from edgedeploy.adapters.drift import builtin_detectors

        detectors = builtin_detectors(kind)
        return [*detectors, *plugins.drift_detectors(kind,
                                                     exclude=[d.name for d in detectors])]

    return provide


# SciPy and Matplotlib take seconds to import on a small ECU or a busy host; a process that
# never checks drift or renders a report (the edge agent, most CLI commands) never loads them.

def _window_inspector() -> WindowInspector:
    from edgedeploy.adapters.drift import NumpyWindowInspector

    return NumpyWindowInspector()


def _release_report() -> ReleaseReportRenderer:
    from edgedeploy.adapters.reporting import HtmlReleaseReportRenderer

    return HtmlReleaseReportRenderer()


def _acceptance_report() -> CucumberAcceptanceReport:
    from edgedeploy.adapters.reporting.acceptance import CucumberAcceptanceReport

    return CucumberAcceptanceReport()


def _evidence(path: str) -> FileEvidenceStore:
    Path(path).mkdir(parents=True, exist_ok=True)
    return FileEvidenceStore(Path(path))


def _service_principal(actor: str) -> Principal:
    """The principal of decisions no person took (the ticker, evidence of a finished roll-out)."""
    return Principal(actor or "edgedeploy", frozenset({Role.ENGINEER}), PrincipalKind.SYSTEM)


def _message_bus(record_rollout_evidence: Callable[[], RecordRolloutEvidence],
                 drift_alert: RaiseDriftAlert, actor: Principal,
                 notify_receivers: NotifyAlertReceivers | None = None) -> MessageBus:
    """The bus and the handlers of every domain event: the one place effects are wired."""
    bus = MessageBus()
    bus.subscribe(RolloutFinished, RecordEvidenceWhenFinished(record_rollout_evidence, actor))
    bus.subscribe(CriticalDriftDetected, drift_alert)
    if notify_receivers is not None:
        bus.subscribe(CriticalDriftDetected, notify_receivers)
        bus.subscribe(DataQualityDetected, notify_receivers)
    return bus


def _notify_receivers(settings: Settings, uow: UnitOfWorkFactory,
                      clock: SystemClock) -> NotifyAlertReceivers | None:
    """The webhook handler, when the settings name any alert receiver."""
    drift = settings.drift
    if not drift.alert_receivers:
        return None
    from edgedeploy.adapters.alerts import AlertReceiver, WebhookAlertSender

    sender = WebhookAlertSender(
        [AlertReceiver(r.name, r.url, r.kind) for r in drift.alert_receivers], clock.now,
        attempts=drift.alert_attempts, backoff=drift.alert_backoff_s)
    return NotifyAlertReceivers(uow, sender)


def _agent_backends(agent: AgentSettings, allow: list[str] | None,
                    backends: BackendRegistry) -> BackendRegistry:
    """The backends an edge agent may load: only the one it is configured with.

    An ECU does not import every framework installed beside it (loading the PyTorch plugin
    alone takes seconds); without a named backend the process's own registry chooses.
    """
    if not agent.backend:
        return backends

    def named(group: str) -> list[metadata.EntryPoint]:
        return [ep for ep in metadata.entry_points(group=group) if ep.name == agent.backend]

    return BackendRegistry(PluginRegistry(allow=allow, entry_points=named))


def _agent_token(agent: AgentSettings) -> str:
    """The fleet secret an edge agent requires: ``agent.token``, else its ``token_path`` file.

    The file is created with a fresh secret (mode 0600) when absent, so an agent never serves
    without one; an unsafe or malformed secret is ``InvalidInput``.
    """
    from edgedeploy.adapters.fleet.auth import check_token, ensure_secret_file

    if agent.token:
        return check_token(agent.token, "agent.token")
    return ensure_secret_file(agent.token_path)


def _edge_runtime(agent: AgentSettings, registry: BackendRegistry) -> EdgeRuntime:
    """The runtime of the edge agent the settings' ``agent`` section describes."""
    from edgedeploy.adapters.edge import (
        DirectoryPackageSource,
        JsonFileAgentState,
        NumpyTensorTools,
    )
    from edgedeploy.application.edge.runtime import EdgeConfig, EdgeRuntime

    home = agent.home_dir
    return EdgeRuntime(agent.device_id, registry.chosen(agent.backend).create(),
                       DirectoryPackageSource(agent.repository_dir), JsonFileAgentState(home),
                       NumpyTensorTools(), replace(EdgeConfig(), **agent.limits()))


@dataclass(frozen=True, slots=True)
class DatabaseSchema:
    """The database's migration state, for ``edgedeploy doctor`` and ``edgedeploy db``."""

    url: str

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, fit for output."""
        from edgedeploy.adapters.sql.engine import redact

        return redact(self.url)

    def current(self) -> str | None:
        """The revision the database is at (None: empty)."""
        from edgedeploy.adapters.sql import create_engine_for, database_revision

        engine = create_engine_for(self.url)
        try:
            return database_revision(engine)
        finally:
            engine.dispose()

    def head(self) -> str:
        """The newest revision this version ships."""
        from edgedeploy.adapters.sql import shipped_head

        return shipped_head()

    def upgrade(self) -> str:
        """Apply pending migrations; the revision reached."""
        from edgedeploy.adapters.sql.migrate import upgrade_to_head

        return upgrade_to_head(self.url)


def _read_feature_table(name: str, data: bytes, key: str | None = None, *,
                        header: bool = True) -> FeatureTable:
    from edgedeploy.adapters.drift.files import read_feature_table

    return read_feature_table(name, data, key, header=header)


def _add_low_confidence_branch(source: Path, target: Path, *, brightness_threshold: float,
                               temperature: float = 1_000.0) -> Path:
    """The demo's deliberately degraded model (ONNX surgery lives in the ORT plugin)."""
    from edgedeploy.plugins.onnxruntime.degrade import add_low_confidence_branch

    return add_low_confidence_branch(source, target, brightness_threshold=brightness_threshold,
                                     temperature=temperature)


# --- Fleet and edge adapters: NumPy and httpx load only with the command that needs them ---

def _journal_only_target() -> RolloutTarget:
    from edgedeploy.adapters.fleet import JournalOnlyTarget

    return JournalOnlyTarget()


def _package_writer() -> Callable[..., Any]:
    from edgedeploy.adapters.edge import write_package

    return write_package


def _local_agent_fleet(*args: Any, **kwargs: Any) -> Any:
    from edgedeploy.adapters.fleet import LocalAgentFleet

    return LocalAgentFleet(*args, **kwargs)


def _interchange(name: str, **kwargs: Any) -> Any:
    """A reader, writer or renderer of ``adapters.interchange``, loaded with its first use.

    The XML and CSV stack is needed by imports, exports and the matrix, not by the gate or
    the status commands, which then start without it.
    """
    from edgedeploy.adapters import interchange

    return getattr(interchange, name)(**kwargs)


def _reqif_reader(interchange: InterchangeSettings) -> Any:
    """The ReqIF reader with the site's mapping file and import size limits."""
    from edgedeploy.adapters.interchange import ReqIfReader, load_mapping

    return ReqIfReader(mapping=load_mapping(interchange.reqif_mapping or None),
                       limits=interchange.limits())


def _local_roles(names: list[str]) -> frozenset[Role]:
    return parse_roles(names)


def _oidc_verifier(settings: Settings) -> Callable[[str], Principal] | None:
    """The verifier of the identity provider's JWTs, or None while ``oidc.issuer`` is unset.

    PyJWT and cryptography load only when OIDC is configured.
    """
    oidc = settings.identity.oidc
    if not oidc.issuer:
        return None
    from edgedeploy.adapters.identity import OidcClaims, PyJwtOidcVerifier, role_map

    claims = OidcClaims(name_claim=oidc.name_claim, role_claim=oidc.role_claim,
                        unit_claim=oidc.unit_claim, role_map=role_map(oidc.role_map))
    return PyJwtOidcVerifier(issuer=oidc.issuer, audience=oidc.audience,
                             algorithms=oidc.algorithms, claims=claims,
                             jwks_file=oidc.jwks_file, jwks_url=oidc.jwks_url,
                             leeway_s=oidc.leeway_s)


class Container(containers.DeclarativeContainer):
    """Wires settings, adapters and use cases; built once per process."""

    config = providers.Configuration()
    settings: providers.Dependency[Settings] = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    engine = providers.Resource(_migrated_engine, config.database_url)
    session_factory = providers.Singleton(_session_factory, engine)
    # One unit of work per use case over every repository (models, audit, drift, roll-outs);
    # the events it collects go to the message bus, whose handlers are registered below.
    # Signs a checkpoint of every evidence chain a commit grows (key created on first use).
    evidence_signer = providers.Singleton(_evidence_signer, config.identity.signing_key_file,
                                          config.home)
    uow = providers.Factory(_unit_of_work, session_factory, evidence_signer)
    plugins = providers.Singleton(_plugin_registry, config.plugins.allow)
    # ``doctor``'s inventory: a registry of its own, probing without importing frameworks
    # unless asked (``plugin_report(quick=False)``).
    plugin_report = providers.Factory(PluginRegistry, allow=config.plugins.allow)
    trace_store = providers.Resource(_trace_store, config.trace_store, config.trace_store_path,
                                     plugins)
    evidence = providers.Singleton(_evidence, config.evidence_path)

    readers = providers.List(
        providers.Singleton(_reqif_reader, settings.provided.interchange),
        providers.Singleton(_interchange, "CsvRequirementsReader"),
        providers.Singleton(_interchange, "YamlRequirementsReader"),
    )
    reqif_writer = providers.Singleton(_interchange, "ReqIfWriter", now=clock.provided.now)
    matrix_renderer = providers.Singleton(_interchange, "CsvHtmlMatrixRenderer")

    import_requirements = providers.Factory(ImportRequirements, trace_store, readers)
    unit_of = providers.Factory(UnitOf, uow.provider)
    link_items = providers.Factory(LinkItems, trace_store, evidence_files=evidence,
                                   unit_of=unit_of, signer=evidence_signer)
    record_artifact = providers.Factory(RecordArtifact, trace_store)
    trace_queries = providers.Factory(TraceQueries, trace_store)
    describe_accountability = providers.Factory(DescribeAccountability, uow.provider, trace_store)
    evidence_ledger = providers.Factory(_evidence_ledger, session_factory)
    verify_evidence = providers.Factory(VerifyEvidence, evidence_ledger,
                                        providers.List(evidence_signer), evidence,
                                        trace=trace_store.provider)
    export_evidence_bundle = providers.Factory(ExportEvidenceBundle, evidence_ledger,
                                               evidence_signer, clock,
                                               trace=trace_store.provider)
    verify_evidence_bundle = providers.Factory(VerifyEvidenceBundle,
                                               providers.Object(_public_key_verifier))
    evaluate_gate = providers.Factory(
        EvaluateGate, trace_store, uow.provider, clock,
        integrity=providers.Callable(_chains_intact, verify_evidence.provider))
    assess_readiness = providers.Factory(AssessReadiness, evaluate_gate, uow.provider)
    build_matrix = providers.Factory(BuildTraceMatrix, trace_store, clock)
    export_requirements = providers.Factory(ExportRequirements, trace_store, reqif_writer)
    model_file_inspector = providers.Singleton(FrameworkModelFileInspector)
    register_model = providers.Factory(RegisterModel, uow.provider, evidence, trace_store,
                                       clock, inspector=model_file_inspector)
    model_builders = providers.Singleton(ModelBuilders,
                                         providers.Callable(installed_model_builders),
                                         config.http.model_builders)

    window_inspector = providers.Singleton(_window_inspector)
    detector_pool = providers.Singleton(
        DetectorPool, providers.Callable(_detector_provider, plugins))
    fit_reference = providers.Factory(FitReference, uow.provider, window_inspector,
                                      detector_pool, clock)
    check_window = providers.Factory(CheckWindow, uow.provider, window_inspector,
                                     detector_pool, clock)
    record_feedback = providers.Factory(RecordFeedback, uow.provider, clock)
    drift_report = providers.Factory(DriftReport, uow.provider)

    backends = providers.Singleton(BackendRegistry, plugins)
    # Call with a backend name to override the setting: ``container.runtime("tensorrt")``.
    runtime = providers.Factory(_runtime, backends, config.backend)
    runtime_provenance = providers.Factory(_runtime_provenance, backends, config.backend)
    quantization_toolkit = providers.Singleton(TorchQuantizationToolkit)
    deployment_verifier = providers.Singleton(OnnxDeploymentVerifier)
    optimize_model = providers.Factory(OptimizeModel, toolkit=quantization_toolkit,
                                       runtime=runtime, evidence=evidence,
                                       provenance=runtime_provenance)
    verify_model = providers.Factory(VerifyModel, verifier=deployment_verifier, runtime=runtime,
                                     evidence=evidence, provenance=runtime_provenance)
    optimize_and_register = providers.Factory(OptimizeAndRegister, optimize=optimize_model,
                                              register=register_model, evidence=evidence)
    verify_registered = providers.Factory(VerifyRegisteredModel, verify=verify_model,
                                          store=trace_store, evidence=evidence, clock=clock)
    release_report = providers.Singleton(_release_report)
    acceptance_report = providers.Singleton(_acceptance_report)  # Cucumber JSON -> HTML
    # The demo's example model and its verification evidence (entrypoints reach plugins and
    # use cases only through these providers).
    example_model = providers.Object(ensure_example_model)
    link_verification_evidence = providers.Factory(LinkVerificationEvidence, trace_store,
                                                   link_items, record_artifact, clock)

    # Read-only list queries shared by the CLI's ``list`` commands and the HTTP API.
    list_requirements = providers.Factory(ListRequirements, trace_store)
    list_verdicts = providers.Factory(ListVerdicts, uow.provider)
    model_queries = providers.Factory(ModelQueries, uow.provider)
    # Downloads served by the HTTP API (the CLI writes the same bytes to files).
    render_matrix = providers.Factory(RenderTraceMatrix, build_matrix, matrix_renderer)
    export_trace = providers.Factory(ExportTraceGraph, trace_store, reqif_writer)
    evidence_files = providers.Factory(EvidenceFiles, evidence)

    # Roll-outs: one journal, engines bound per fleet (the fleet knows how it is driven).
    release_readiness = providers.Factory(TraceAndVerificationReadiness, gate=evaluate_gate,
                                          store=trace_store, evidence=evidence)
    journal_only_target = providers.Singleton(_journal_only_target)
    journal_engine = providers.Factory(RolloutEngine, uow=uow.provider,
                                       target=journal_only_target, clock=clock)
    export_decision_log = providers.Factory(ExportDecisionLog, engine=journal_engine,
                                            evidence=evidence)
    record_rollout_evidence = providers.Factory(
        RecordRolloutEvidence, export=export_decision_log, record_artifact=record_artifact,
        link_items=link_items, clock=clock)
    # Domain events: the bus and its handlers. A finished roll-out is linked into the trace,
    # a critical drift verdict raises an alert; use cases hand the bus committed events only.
    drift_alert = providers.Factory(RaiseDriftAlert, uow.provider, clock)
    notify_receivers = providers.Singleton(_notify_receivers, settings, uow.provider, clock)
    service_principal = providers.Singleton(_service_principal, config.actor)
    message_bus = providers.Singleton(_message_bus, record_rollout_evidence.provider,
                                      drift_alert, service_principal, notify_receivers)
    check_window.add_kwargs(bus=message_bus)
    fleet_opener = providers.Singleton(_fleet_opener, plugins)
    request_fleet_opener = providers.Singleton(_fleet_opener, plugins,
                                               settings.provided.fleets_path)
    rollout_fleets = providers.Factory(
        RolloutFleets, uow=uow.provider, clock=clock, readiness=release_readiness,
        evidence=evidence, detached_target=journal_only_target, open_fleet=fleet_opener,
        bus=message_bus, open_request_fleet=request_fleet_opener)
    prepare_rollout = providers.Factory(PrepareRollout, uow.provider, evaluate_gate,
                                        trace_store, release_readiness)
    rollout_status = providers.Factory(RolloutStatus, engine=journal_engine)
    list_rollouts = providers.Factory(ListRollouts, engine=journal_engine)

    # What a long-running service runs in the background (one per app: Factory).
    job_runner = providers.Factory(JobRunner, clock)
    rollout_ticker = providers.Factory(RolloutTicker, rollout_fleets,
                                       interval_s=config.rollout.tick_interval_s)

    # The edge agent process.
    agent_backends = providers.Singleton(_agent_backends, settings.provided.agent,
                                         config.plugins.allow, backends)
    edge_runtime = providers.Singleton(_edge_runtime, settings.provided.agent, agent_backends)
    agent_token = providers.Singleton(_agent_token, settings.provided.agent)

    # Identity: principals, API tokens, and who a local CLI user is.
    manage_principals = providers.Factory(ManagePrincipals, uow.provider, clock)
    issue_token = providers.Factory(IssueToken, uow.provider, clock)
    revoke_token = providers.Factory(RevokeToken, uow.provider, clock)
    list_tokens = providers.Factory(ListTokens, uow.provider)
    authenticate_token = providers.Factory(AuthenticateToken, uow.provider, clock)
    oidc_verifier = providers.Singleton(_oidc_verifier, settings)
    resolve_local_principal = providers.Factory(
        ResolveLocalPrincipal, uow.provider,
        providers.Callable(_local_roles, config.identity.local_roles))

    # Tools the CLI and the demo use without importing adapters or plugins themselves.
    database_schema = providers.Factory(DatabaseSchema, config.database_url)
    feature_table_reader = providers.Object(_read_feature_table)
    package_writer = providers.Callable(_package_writer)
    local_agent_fleet = providers.Factory(_local_agent_fleet)
    degraded_model_builder = providers.Object(_add_low_confidence_branch)
