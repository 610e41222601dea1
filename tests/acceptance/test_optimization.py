"""The optimization scenarios: steps call the application's use cases with the real plugins."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from edgedeploy.application.errors import ApplicationError
from edgedeploy.application.optimization import (
    OptimizationResult,
    OptimizeModel,
    OptimizeRequest,
    VerificationResult,
    VerifyModel,
    VerifyRequest,
)
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.domain.errors import DomainError
from edgedeploy.domain.quantization import Precision, pareto_frontier
from edgedeploy.plugins.onnxruntime import factory as onnxruntime_factory
from edgedeploy.plugins.torch import OnnxDeploymentVerifier, TorchQuantizationToolkit
from tests.fakes.persistence import InMemoryEvidenceStore
from tests.plugins.example_models import TrainedExample, outlier_example, trained_small_example

scenarios("optimization/optimize_and_verify.feature")


@dataclass
class OptimizationWorld:
    example: TrainedExample
    base: Path
    workdir: Path
    checkpoint: Path | None = None
    calibration: Path | None = None
    runtime: Any = None
    evidence: InMemoryEvidenceStore = field(default_factory=InMemoryEvidenceStore)
    result: OptimizationResult | None = None
    verification: VerificationResult | None = None
    error: Exception | None = None
    marker: Path | None = None


_OPTIMIZED: dict[str, OptimizationResult] = {}


@pytest.fixture(name="example", scope="module")
def fx_example(tmp_path_factory: pytest.TempPathFactory) -> TrainedExample:
    return trained_small_example(tmp_path_factory.getbasetemp())


@pytest.fixture(name="world")
def fx_world(example: TrainedExample, tmp_path_factory: pytest.TempPathFactory,
             tmp_path: Path) -> OptimizationWorld:
    return OptimizationWorld(example, tmp_path_factory.getbasetemp(), tmp_path)


@given("the trained digit classifier of the emergency braking example")
def trained_classifier(world: OptimizationWorld) -> None:
    world.checkpoint = world.example.checkpoint
    world.runtime = onnxruntime_factory()


@given("its calibration and held-out data")
def calibration_data(world: OptimizationWorld) -> None:
    world.calibration = world.example.data


@given("a classifier in which two layers cannot take 8-bit arithmetic")
def sensitive_classifier(world: OptimizationWorld) -> None:
    world.checkpoint = outlier_example(world.example, world.base)


@given(parsers.parse('a vehicle runtime that can only run "{first}" and "{second}" operations'))
def limited_runtime(world: OptimizationWorld, first: str, second: str) -> None:
    example = pytest.importorskip(
        "edgedeploy_example_backend",
        reason="pip install -e tests/plugins/example_backend provides the limited runtime")
    world.runtime = example.factory()
    assert {first, second} == set(example.SUPPORTED_OPS)


@given("a checkpoint file that was cut short in transfer")
def truncated_checkpoint(world: OptimizationWorld) -> None:
    assert world.checkpoint is not None
    cut = world.workdir / "truncated.pt"
    cut.write_bytes(world.checkpoint.read_bytes()[:4096])
    world.checkpoint = cut


class _RunsCode:
    """Pickles as a call to ``exec`` that writes ``marker``: what a crafted checkpoint does."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


@given("a checkpoint file crafted to run a program when it is opened")
def crafted_checkpoint(world: OptimizationWorld) -> None:
    import torch

    world.marker = world.workdir / "crafted-program-ran"
    crafted = world.workdir / "crafted.pt"
    torch.save({"state_dict": {}, "extra": _RunsCode(world.marker)}, crafted)
    world.checkpoint = crafted


@given("calibration data whose images are 28 by 28 pixels instead of 32 by 32")
def wrong_shape_data(world: OptimizationWorld) -> None:
    bad = world.workdir / "mnist-sized.npz"
    np.savez(bad, inputs=np.zeros((50, 1, 28, 28), np.float32), labels=np.arange(50) % 10)
    world.calibration = bad


def _optimize(world: OptimizationWorld, budget: float = 0.5, cache: bool = False) -> None:
    assert world.checkpoint is not None and world.calibration is not None
    key = f"{world.checkpoint}|{world.calibration}|{budget}"
    if cache and key in _OPTIMIZED:
        world.result = _OPTIMIZED[key]
        return
    request = OptimizeRequest(ModelSource(str(world.checkpoint)), str(world.calibration),
                              str(world.workdir / "out"), budget=budget,
                              calibration_samples=128)
    try:
        world.result = OptimizeModel(TorchQuantizationToolkit(), world.runtime,
                                     world.evidence)(request)
    except (ApplicationError, DomainError) as exc:
        world.error = exc
        return
    if cache:
        _OPTIMIZED[key] = world.result


@when(parsers.parse("the classifier is optimized with an accuracy budget of {budget:f} points"))
def optimize_with_budget(world: OptimizationWorld, budget: float) -> None:
    # The three scenarios on the same classifier and budget share one optimization run.
    _optimize(world, budget, cache=True)
    assert world.error is None, world.error


@when("the classifier is optimized for that runtime")
@when("the classifier is optimized from that checkpoint")
@when("the classifier is optimized with that calibration data")
def optimize_expecting_refusal(world: OptimizationWorld) -> None:
    _optimize(world)


@when("the optimized classifier is verified against its full-precision reference")
def verify(world: OptimizationWorld) -> None:
    assert world.result is not None and world.calibration is not None
    world.verification = VerifyModel(OnnxDeploymentVerifier(), world.runtime, world.evidence)(
        VerifyRequest("digits-small@1", world.result.reference_path, world.result.model_path,
                      str(world.calibration), str(world.workdir), latency_runs=5))


@then("at least one layer is kept in higher precision")
def some_layer_kept(world: OptimizationWorld) -> None:
    assert world.result is not None
    assert any(d.precision is not Precision.INT8 for d in world.result.plan.decisions)


@then("the plan gives, for every layer kept in higher precision, the accuracy it would cost in "
      "8-bit arithmetic")
def kept_layers_explained(world: OptimizationWorld) -> None:
    assert world.result is not None
    for d in world.result.plan.decisions:
        if d.precision is not Precision.INT8:
            assert "sensitive: INT8 alone costs" in d.reason and "points on onnxruntime" in d.reason


@then("every other layer runs in 8-bit arithmetic")
def others_int8(world: OptimizationWorld) -> None:
    assert world.result is not None
    plan = world.result.plan
    assert plan.counts()["int8"] == len(plan.decisions) - plan.counts()["fp32"] - plan.counts()[
        "fp16"]
    assert plan.counts()["int8"] >= 1


@then(parsers.parse("the optimized classifier loses no more than {budget:f} points of accuracy "
                    "on the vehicle runtime"))
def within_budget(world: OptimizationWorld, budget: float) -> None:
    assert world.result is not None
    plan = world.result.plan
    assert plan.baseline_accuracy - plan.expected_accuracy <= budget + 1e-9
    assert world.result.chosen.accuracy == plan.expected_accuracy


@then("the chosen candidate lies on the accuracy, size and latency frontier")
def chosen_on_frontier(world: OptimizationWorld) -> None:
    assert world.result is not None
    plan = world.result.plan
    qualified = [p for p in plan.candidates
                 if plan.baseline_accuracy - p.accuracy <= plan.budget + 1e-9]
    assert plan.chosen in pareto_frontier(qualified)


@then("the verification report records the accuracy measured on the vehicle runtime")
def report_has_accuracy(world: OptimizationWorld) -> None:
    assert world.verification is not None and world.result is not None
    report = json.loads(Path(world.verification.report_path).read_text())
    assert report["runtime"] == "onnxruntime"
    assert report["deployed_runtime_accuracy"] == pytest.approx(
        world.result.plan.expected_accuracy)
    assert world.evidence.exists(world.verification.report_digest)


@then("the verification report records latency at batch sizes 1 and 64 and the model size by "
      "part")
def report_has_latency_and_size(world: OptimizationWorld) -> None:
    assert world.verification is not None
    report = json.loads(Path(world.verification.report_path).read_text())
    assert {"p50", "p95", "p99"} <= set(report["latency_ms"]["batch_1"])
    assert {"p50", "p95", "p99"} <= set(report["latency_ms"]["batch_64"])
    assert {"weights", "scales", "biases", "graph", "total"} <= set(report["size_bytes"])


@then(parsers.parse('the optimization is refused naming the operator "{operator}"'))
def refused_operator(world: OptimizationWorld, operator: str) -> None:
    assert world.error is not None
    assert getattr(world.error, "code", "") == "UNSUPPORTED_OPERATOR"
    assert f"operator {operator} " in str(world.error)


@then("the optimization is refused saying the checkpoint is corrupt")
def refused_checkpoint(world: OptimizationWorld) -> None:
    assert world.error is not None
    assert getattr(world.error, "code", "") == "INVALID_INPUT"
    assert "truncated.pt is corrupt" in str(world.error)


@then(parsers.parse('the optimization is refused naming the call "{call}" the file would make'))
def refused_unsafe(world: OptimizationWorld, call: str) -> None:
    assert world.error is not None
    assert getattr(world.error, "code", "") == "UNSAFE_MODEL_FILE"
    assert call in str(world.error)


@then("the crafted program never ran")
def program_never_ran(world: OptimizationWorld) -> None:
    assert world.marker is not None and not world.marker.exists()


@then(parsers.parse('the optimization is refused naming the shape "{shape}"'))
def refused_shape(world: OptimizationWorld, shape: str) -> None:
    assert world.error is not None
    assert getattr(world.error, "code", "") == "INVALID_INPUT"
    assert shape in str(world.error) and "(1, 32, 32)" in str(world.error)


@then("nothing is registered")
def nothing_registered(world: OptimizationWorld) -> None:
    assert world.result is None
    assert world.evidence.blobs == {}
    out = world.workdir / "out"
    assert not (out / "model.onnx").exists()
    assert not (out / "export_report.json").exists()
