"""The composition root: the only place that knows which adapter serves which port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from dependency_injector import containers, providers
from sqlalchemy.engine import Engine

from edgedeploy.adapters.drift import NumpyWindowInspector, detector_provider
from edgedeploy.adapters.files import FileEvidenceStore
from edgedeploy.adapters.interchange import (
    CsvHtmlMatrixRenderer,
    CsvRequirementsReader,
    ReqIfReader,
    ReqIfWriter,
    YamlRequirementsReader,
)
from edgedeploy.adapters.rdf import OxigraphTraceStore, RdflibTraceStore
from edgedeploy.adapters.reporting import HtmlReleaseReportRenderer
from edgedeploy.adapters.sql import SqlAlchemyUnitOfWork, create_engine_for, create_session_factory
from edgedeploy.adapters.sql.drift_repository import SqlAlchemyDriftRepository
from edgedeploy.adapters.sql.migrate import upgrade_to_head
from edgedeploy.adapters.system import SystemClock
from edgedeploy.application.models import RegisterModel
from edgedeploy.application.monitoring import (
    CheckWindow,
    DetectorPool,
    DriftReport,
    FitReference,
    RecordFeedback,
)
from edgedeploy.application.optimization import (
    OptimizeAndRegister,
    OptimizeModel,
    VerifyModel,
    VerifyRegisteredModel,
)
from edgedeploy.application.ports.inference import InferenceBackend
from edgedeploy.application.traceability import (
    AssessReadiness,
    BuildTraceMatrix,
    EvaluateGate,
    ExportRequirements,
    ImportRequirements,
    LinkItems,
    RecordArtifact,
    TraceQueries,
)
from edgedeploy.entrypoints.rollout_container import RolloutContainer
from edgedeploy.entrypoints.settings import Settings
from edgedeploy.plugins.registry import BackendRegistry
from edgedeploy.plugins.torch import OnnxDeploymentVerifier, TorchQuantizationToolkit


def _migrated_engine(url: str) -> Iterator[Engine]:
    """Apply pending migrations on first use, then hand out the engine until shutdown."""
    upgrade_to_head(url)
    engine = create_engine_for(url)
    yield engine
    engine.dispose()


def _oxigraph(path: str) -> Iterator[OxigraphTraceStore]:
    Path(path).mkdir(parents=True, exist_ok=True)
    store = OxigraphTraceStore(Path(path))
    yield store
    store.close()


def _rdflib_memory() -> Iterator[RdflibTraceStore]:
    store = RdflibTraceStore()
    yield store
    store.close()


def _backend_registry(allow: list[str] | None) -> BackendRegistry:
    return BackendRegistry(allow=set(allow) if allow is not None else None)


def _default_runtime(registry: BackendRegistry) -> InferenceBackend:
    return registry.get("onnxruntime")


def _evidence(path: str) -> FileEvidenceStore:
    Path(path).mkdir(parents=True, exist_ok=True)
    return FileEvidenceStore(Path(path))


class Container(containers.DeclarativeContainer):
    """Wires settings, adapters and use cases; built once per process."""

    config = providers.Configuration()
    settings: providers.Dependency[Settings] = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    engine = providers.Resource(_migrated_engine, config.database_url)
    session_factory = providers.Singleton(create_session_factory, engine)
    uow = providers.Factory(SqlAlchemyUnitOfWork, session_factory)
    trace_store = providers.Selector(
        config.trace_store,
        oxigraph=providers.Resource(_oxigraph, config.trace_store_path),
        **{"rdflib-memory": providers.Resource(_rdflib_memory)},
    )
    evidence = providers.Singleton(_evidence, config.evidence_path)

    readers = providers.List(
        providers.Singleton(ReqIfReader),
        providers.Singleton(CsvRequirementsReader),
        providers.Singleton(YamlRequirementsReader),
    )
    reqif_writer = providers.Singleton(ReqIfWriter, now=clock.provided.now)
    matrix_renderer = providers.Singleton(CsvHtmlMatrixRenderer)

    import_requirements = providers.Factory(ImportRequirements, trace_store, readers)
    link_items = providers.Factory(LinkItems, trace_store)
    record_artifact = providers.Factory(RecordArtifact, trace_store)
    trace_queries = providers.Factory(TraceQueries, trace_store)
    evaluate_gate = providers.Factory(EvaluateGate, trace_store, uow.provider, clock)
    assess_readiness = providers.Factory(AssessReadiness, evaluate_gate, uow.provider)
    build_matrix = providers.Factory(BuildTraceMatrix, trace_store, clock)
    export_requirements = providers.Factory(ExportRequirements, trace_store, reqif_writer)
    register_model = providers.Factory(RegisterModel, uow.provider, evidence, trace_store,
                                       clock)

    drift_repository = providers.Singleton(SqlAlchemyDriftRepository, engine)
    window_inspector = providers.Singleton(NumpyWindowInspector)
    detector_pool = providers.Singleton(
        DetectorPool, providers.Callable(detector_provider, config.plugins.allow))
    fit_reference = providers.Factory(FitReference, drift_repository, window_inspector,
                                      detector_pool, clock)
    check_window = providers.Factory(CheckWindow, drift_repository, window_inspector,
                                     detector_pool, clock)
    record_feedback = providers.Factory(RecordFeedback, drift_repository, clock)
    drift_report = providers.Factory(DriftReport, drift_repository)

    backends = providers.Singleton(_backend_registry, config.plugins.allow)
    runtime = providers.Factory(_default_runtime, backends)
    quantization_toolkit = providers.Singleton(TorchQuantizationToolkit)
    deployment_verifier = providers.Singleton(OnnxDeploymentVerifier)
    optimize_model = providers.Factory(OptimizeModel, toolkit=quantization_toolkit,
                                       runtime=runtime, evidence=evidence)
    verify_model = providers.Factory(VerifyModel, verifier=deployment_verifier, runtime=runtime,
                                     evidence=evidence)
    optimize_and_register = providers.Factory(OptimizeAndRegister, optimize=optimize_model,
                                              register=register_model, evidence=evidence)
    verify_registered = providers.Factory(VerifyRegisteredModel, verify=verify_model,
                                          store=trace_store, evidence=evidence, clock=clock)
    release_report = providers.Singleton(HtmlReleaseReportRenderer)

    rollout = providers.Container(
        RolloutContainer, db_engine=engine, actor=config.actor, clock=clock,
        trace_store=trace_store, evidence=evidence, evaluate_gate=evaluate_gate,
        record_artifact=record_artifact, link_items=link_items)
