"""The one composition root: overrides, what it builds from settings, who reads the environment."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.jobs import JobRunner
from edgedeploy.application.rollout import PrepareRollout, RolloutFleets, RolloutTicker
from edgedeploy.entrypoints.bootstrap import bootstrap, close_container
from edgedeploy.entrypoints.settings import AgentSettings, RolloutSettings, Settings
from tests.fakes.clock import ManualClock
from tests.fakes.rollout import ScriptedReadiness

ROOT = Path(__file__).resolve().parents[3]
LAYERS = ("domain", "application", "adapters", "plugins", "entrypoints")


def test_an_override_replaces_the_provider_everywhere_it_is_used(settings: Settings) -> None:
    clock = ManualClock()
    container = bootstrap(settings, clock=clock, release_readiness=ScriptedReadiness())
    try:
        assert container.clock() is clock
        jobs = container.job_runner()
        try:
            assert jobs.submit("probe", "x", lambda _progress: {}).submitted_at == clock.current
        finally:
            jobs.shutdown()
        assert isinstance(container.release_readiness(), ScriptedReadiness)
    finally:
        close_container(container)


def test_an_override_naming_no_provider_is_refused(settings: Settings) -> None:
    with pytest.raises(InvalidInput, match="no provider named 'clocks'"):
        bootstrap(settings, clocks=ManualClock())


def test_the_root_builds_the_services_of_every_entrypoint(tmp_path: Path) -> None:
    settings = Settings(home=str(tmp_path / "home"),
                        rollout=RolloutSettings(tick_interval_s=0.25))
    container = bootstrap(settings)
    try:
        assert container.config.rollout.tick_interval_s() == 0.25
        assert isinstance(container.rollout_ticker(), RolloutTicker)
        first, second = container.job_runner(), container.job_runner()
        assert isinstance(first, JobRunner) and first is not second  # one per app
        first.shutdown()
        second.shutdown()
        assert isinstance(container.rollout_fleets(), RolloutFleets)
        assert isinstance(container.prepare_rollout(), PrepareRollout)
        # Nothing was opened yet: providers are lazy, so an agent never touches the database.
        assert not (tmp_path / "home" / "edgedeploy.db").exists()
    finally:
        close_container(container)


def test_the_edge_runtime_comes_from_the_agent_section_without_a_database(
        tmp_path: Path) -> None:
    settings = Settings(home=str(tmp_path / "home"), agent=AgentSettings(
        device_id="ecu-7", home=str(tmp_path / "agent"), backend="onnxruntime",
        repository=str(tmp_path / "packages"), probation_inferences=7,
        confidence_floor=0.3))
    container = bootstrap(settings)
    try:
        runtime = container.edge_runtime()
        assert runtime.device_id == "ecu-7"
        assert runtime.config.probation_inferences == 7
        assert runtime.config.confidence_floor == 0.3
        # An agent loads only its own backend, not every framework installed beside it.
        assert [r.name for r in container.agent_backends().records()] == ["onnxruntime"]
        assert not (tmp_path / "home").exists()
    finally:
        runtime.close()
        close_container(container)


def _environment_reads(path: Path) -> list[str]:
    """``os.environ[...]``, ``os.environ.get(...)``, ``os.getenv(...)`` in one module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr == "getenv":
            found.append(f"{path}:{node.lineno} getenv")
        if isinstance(node, ast.Subscript | ast.Call):
            target = node.value if isinstance(node, ast.Subscript) else node.func
            if isinstance(target, ast.Attribute) and target.attr in ("get", "__getitem__"):
                target = target.value
            if isinstance(target, ast.Attribute) and target.attr == "environ":
                found.append(f"{path}:{node.lineno} environ")
    return found


def test_only_the_settings_module_reads_the_environment() -> None:
    settings_module = ROOT / "entrypoints" / "settings.py"
    reads = [hit for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))
             if path != settings_module for hit in _environment_reads(path)]
    assert reads == []
    assert _environment_reads(settings_module)  # the check does see a read where one is
