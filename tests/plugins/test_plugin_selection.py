"""The composition root selects plugins by setting and capability and records their provenance.

Nothing names a backend in code: the default is the first usable backend offering INT8 ONNX on
CPU, and what measured an artifact reaches the trace link that the artifact's report supports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edgedeploy.adapters.files import FileEvidenceStore
from edgedeploy.application.errors import CapabilityNotSupported
from edgedeploy.application.optimization import VerifyModel, VerifyRegisteredModel
from edgedeploy.application.optimization.release import DATA, REFERENCE
from edgedeploy.application.ports.trace_store import TraceChange
from edgedeploy.domain.models import ModelRef
from edgedeploy.domain.requirements import Artifact, ArtifactKind, ItemId, Requirement
from edgedeploy.domain.safety import ASIL
from edgedeploy.domain.traceability import Relation, TraceLink
from edgedeploy.entrypoints.settings import Settings
from tests.fakes.clock import ManualClock
from tests.fakes.optimization import ScriptedDeploymentVerifier, ScriptedInferenceBackend
from tests.fakes.trace_store import InMemoryTraceStore


def _container(tmp_path: Path, **fields: Any) -> Iterator[Any]:
    from edgedeploy.entrypoints.bootstrap import bootstrap, close_container

    container = bootstrap(Settings(home=str(tmp_path / "home"), actor="test.actor",
                                   log_level="error", **fields))
    yield container
    close_container(container)


@pytest.fixture(name="make_container")
def fx_make_container(tmp_path: Path) -> Iterator[Any]:
    opened: list[Iterator[Any]] = []

    def make(**fields: Any) -> Any:
        gen = _container(tmp_path, **fields)
        opened.append(gen)
        return next(gen)

    yield make
    for gen in opened:
        next(gen, None)


def test_the_default_runtime_is_chosen_by_capability_with_its_provenance(
        make_container: Any) -> None:
    container = make_container()
    assert container.runtime().capabilities.name == "onnxruntime"
    provenance = container.runtime_provenance()
    assert provenance["distribution"] == "edgedeploy"
    assert provenance["entry_point"] == "edgedeploy.plugins.onnxruntime:factory"


def test_a_configured_backend_is_the_runtime(make_container: Any) -> None:
    container = make_container(backend="example-numpy")
    assert container.runtime().capabilities.name == "example-numpy"
    assert container.runtime_provenance()["distribution"] == "edgedeploy-example-backend"


def test_a_trace_store_plugin_is_selected_by_setting(make_container: Any) -> None:
    store = make_container(trace_store="example-memory").trace_store()
    assert type(store).__name__ == "MemoryTraceStore"


def test_an_unknown_trace_store_names_the_installed_ones(make_container: Any) -> None:
    with pytest.raises(CapabilityNotSupported, match="rdflib-memory"):
        make_container(trace_store="no-such-store").trace_store()


def test_plugin_detectors_join_the_containers_detector_pool(make_container: Any) -> None:
    from edgedeploy.domain.drift import DetectorCapability

    pool = make_container().detector_pool()
    names = [d.name for d in pool._provider(DetectorCapability.FEATURES)]
    assert names[:3] == ["mmd", "univariate", "psi"]
    assert "example-mean-shift" in names and len(names) == len(set(names))


def test_the_verifying_plugin_reaches_the_trace_links_evidence(tmp_path: Path) -> None:
    evidence = FileEvidenceStore(tmp_path / "evidence")
    ref = ModelRef("digits", "1")
    model, reference, data = (evidence.put(name.encode()) for name in ("dep", "ref", "data"))
    store = InMemoryTraceStore()
    store.apply(TraceChange(
        items=[Requirement(ItemId("ML-1"), "Classify digits", ASIL.B),
               Artifact(ref.item_id, ArtifactKind.MODEL, digest=model,
                        attributes=((REFERENCE, reference), (DATA, data)))],
        links=[TraceLink(ItemId("ML-1"), Relation.IMPLEMENTED_BY, ref.item_id)]))
    provenance = {"plugin": "onnxruntime", "group": "edgedeploy.inference_backends",
                  "entry_point": "edgedeploy.plugins.onnxruntime:factory",
                  "distribution": "edgedeploy", "version": "0.1.0"}
    verify = VerifyModel(ScriptedDeploymentVerifier(), ScriptedInferenceBackend(), evidence,
                         provenance=provenance)
    result = VerifyRegisteredModel(verify, store, evidence, ManualClock())(ref, "qa")
    assert result.report["plugin"] == provenance
    link = store.get_link((ItemId("ML-1"), Relation.IMPLEMENTED_BY, ref.item_id))
    assert link is not None
    assert "entry point edgedeploy.plugins.onnxruntime:factory" in link.evidence[-1].note
    assert "edgedeploy 0.1.0" in link.evidence[-1].note
    test = store.get_item(ItemId(f"verification:{ref}"))
    assert isinstance(test, Artifact)
    assert dict(test.attributes)["runtime_entry_point"] == provenance["entry_point"]


def test_doctor_reports_broken_and_outdated_plugins_of_every_group(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    from edgedeploy.entrypoints.cli import cli

    monkeypatch.setenv("EDGEDEPLOY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("EDGEDEPLOY_LOG_LEVEL", "warning")
    runner = CliRunner()
    doctor = runner.invoke(cli, ["doctor", "--json"], catch_exceptions=False)
    assert doctor.exit_code == 0, doctor.output
    plugins = json.loads(doctor.stdout)["plugins"]
    rows = {(group, r["name"]): r for group, records in plugins.items() for r in records}
    broken = rows[("edgedeploy.inference_backends", "example-broken")]
    assert not broken["usable"] and "does_not_exist" in broken["reason"]
    outdated = rows[("edgedeploy.drift_detectors", "example-old-drift")]
    assert outdated["reason"] == "speaks API version 0, edgedeploy needs 1"
    assert rows[("edgedeploy.rollout_targets", "example-bench")]["usable"]


def test_loading_every_plugin_group_prints_nothing_at_the_default_log_level(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    from edgedeploy.entrypoints.bootstrap import bootstrap, close_container

    container = bootstrap(Settings(home=str(tmp_path / "home"), actor="test.actor"))
    try:
        capfd.readouterr()
        report = container.plugins().report()
        assert any(not r.usable for records in report.values() for r in records)
        out, err = capfd.readouterr()
        assert "example-broken" not in out + err and "plugin." not in out + err
    finally:
        close_container(container)


def test_a_fleet_kind_names_its_rollout_target_plugin(make_container: Any,
                                                      tmp_path: Path) -> None:
    from edgedeploy.application.ports.rollout import FleetDriver, RolloutTarget

    opener = make_container().fleet_opener()
    path = tmp_path / "FLEET.yaml"
    path.write_text("name: bench-b\nkind: example-bench\ndevices: [ecu-0, ecu-1]\n",
                    encoding="utf-8")
    fleet = opener(str(path))
    try:
        assert isinstance(fleet, FleetDriver) and isinstance(fleet.target, RolloutTarget)
        assert fleet.name == "bench-b" and fleet.clock is None
        assert [d.device_id for d in fleet.target.devices()] == ["ecu-0", "ecu-1"]
    finally:
        fleet.close()
    simulated = opener({"name": "sim", "kind": "simulated", "size": 5})
    assert len(simulated.target.devices()) == 5
    simulated.close()


def test_an_unknown_fleet_kind_is_bad_input_naming_every_kind(make_container: Any) -> None:
    from edgedeploy.application.errors import InvalidInput

    with pytest.raises(InvalidInput, match=r"unknown kind 'satellite' \(http, local, "
                                           r"simulated, example-bench\)"):
        make_container().fleet_opener()({"name": "x", "kind": "satellite"})


def test_doctor_reports_backends_without_importing_frameworks_unless_deep(
        tmp_path: Path) -> None:
    import json
    import subprocess
    import sys

    script = ("import json, sys\n"
              "from click.testing import CliRunner\n"
              "from edgedeploy.entrypoints.cli import cli\n"
              "result = CliRunner().invoke(cli, ['doctor', '--json', *sys.argv[1:]])\n"
              "assert result.exit_code == 0, result.output\n"
              "backends = {r['name']: r for r in json.loads(result.stdout)['inference_backends']}\n"
              "print(json.dumps({'torch': backends['torch'], "
              "'imported': sorted(m for m in ('torch', 'scipy') if m in sys.modules)}))\n")
    env = {**os.environ, "EDGEDEPLOY_HOME": str(tmp_path / "home")}
    quick, deep = (json.loads(subprocess.run(
        [sys.executable, "-c", script, *extra], env=env, capture_output=True, text=True,
        check=True).stdout.splitlines()[-1]) for extra in ([], ["--deep"]))
    assert quick["imported"] == [] and quick["torch"]["usable"]
    assert "installed" in quick["torch"]["reason"]
    assert "torch" in deep["imported"] and deep["torch"]["usable"]
