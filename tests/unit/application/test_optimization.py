"""OptimizeModel and VerifyModel with scripted ports: the decisions, the reports, the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.optimization import (
    OptimizeModel,
    OptimizeRequest,
    UnsupportedOperator,
    VerifyModel,
    VerifyRequest,
)
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.domain.quantization import Precision
from edgedeploy.domain.verification import NoiseRobustness, VerificationThresholds
from tests.fakes.optimization import (
    ScriptedDeploymentVerifier,
    ScriptedInferenceBackend,
    ScriptedQuantizationToolkit,
    guard_cases,
)
from tests.fakes.persistence import InMemoryEvidenceStore

CULPRIT_DROPS = {"/0/Conv": 20.0, "/2/Conv": 0.1, "/5/Conv": 0.1, "/8/Gemm": 0.0}


def _request(tmp_path: Path, **kwargs: object) -> OptimizeRequest:
    tmp_path.mkdir(parents=True, exist_ok=True)
    model = tmp_path / "model.pt"
    data = tmp_path / "data.npz"
    model.write_bytes(b"checkpoint")
    data.write_bytes(b"npz")
    return OptimizeRequest(ModelSource(str(model)), str(data), str(tmp_path / "out"),
                           **kwargs)  # type: ignore[arg-type]


def test_the_culprit_layer_is_held_in_float_and_the_others_go_int8(tmp_path: Path) -> None:
    toolkit = ScriptedQuantizationToolkit(CULPRIT_DROPS)
    result = OptimizeModel(toolkit, ScriptedInferenceBackend())(_request(tmp_path))
    plan = result.plan
    assert plan.precision_of("/0/Conv") is Precision.FP32
    assert [plan.precision_of(n) for n in ("/2/Conv", "/5/Conv", "/8/Gemm")] == [
        Precision.INT8] * 3
    assert plan.chosen.name == "mixed-1"
    reason = next(d.reason for d in plan.decisions if d.layer == "/0/Conv")
    assert "20.00 points" in reason and "0.5-point budget" in reason


def test_the_plan_respects_the_budget_the_user_gave(tmp_path: Path) -> None:
    toolkit = ScriptedQuantizationToolkit(CULPRIT_DROPS)
    result = OptimizeModel(toolkit, ScriptedInferenceBackend())(_request(tmp_path, budget=0.1))
    assert result.plan.baseline_accuracy - result.plan.expected_accuracy <= 0.1
    assert result.plan.counts()["fp32"] >= 2


def test_a_model_that_tolerates_int8_everywhere_is_quantized_whole(tmp_path: Path) -> None:
    toolkit = ScriptedQuantizationToolkit({"/0/Conv": 0.1, "/2/Conv": 0.1})
    result = OptimizeModel(toolkit, ScriptedInferenceBackend())(_request(tmp_path))
    assert result.plan.chosen.name == "all-int8"
    assert toolkit.workspace is not None and "mixed-1" not in toolkit.workspace.built


def test_every_layer_is_measured_and_progress_reaches_each_stage(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    toolkit = ScriptedQuantizationToolkit(CULPRIT_DROPS)
    OptimizeModel(toolkit, ScriptedInferenceBackend())(
        _request(tmp_path), lambda stage, fraction: seen.append((stage, fraction)))
    assert toolkit.workspace is not None
    assert toolkit.workspace.measured == list(CULPRIT_DROPS)
    assert toolkit.workspace.closed
    for stage in ("load", "sensitivity", "plan", "candidates", "report"):
        assert (stage, 1.0) in seen


def test_without_vnni_reduced_range_candidates_are_measured_too(tmp_path: Path) -> None:
    toolkit = ScriptedQuantizationToolkit(CULPRIT_DROPS, vnni=False)
    OptimizeModel(toolkit, ScriptedInferenceBackend())(_request(tmp_path))
    assert toolkit.workspace is not None
    assert "all-int8-reduced-range" in toolkit.workspace.built


def test_qat_runs_only_when_post_training_quantization_misses_the_budget(tmp_path: Path) -> None:
    tolerant = ScriptedQuantizationToolkit({"/0/Conv": 0.1}, qat_accuracy=97.9)
    OptimizeModel(tolerant, ScriptedInferenceBackend())(_request(tmp_path / "a", qat_epochs=2))
    assert tolerant.workspace is not None and "qat" not in tolerant.workspace.built
    spread = {f"/{i}/Conv": 0.4 for i in range(4)}  # every layer costs a little: PTQ misses
    toolkit = ScriptedQuantizationToolkit(spread, qat_accuracy=97.8)
    result = OptimizeModel(toolkit, ScriptedInferenceBackend())(
        _request(tmp_path / "b", qat_epochs=2, budget=0.3))
    assert result.plan.chosen.name == "qat"
    assert result.plan.qat_epochs == 2
    assert all("quantization-aware training" in d.reason for d in result.plan.decisions)


def test_reports_plot_and_model_are_written_and_stored_as_evidence(tmp_path: Path) -> None:
    evidence = InMemoryEvidenceStore()
    toolkit = ScriptedQuantizationToolkit(CULPRIT_DROPS)
    result = OptimizeModel(toolkit, ScriptedInferenceBackend(), evidence)(_request(tmp_path))
    out = tmp_path / "out"
    for name in ("model.onnx", "reference_fp32.onnx", "pareto.png", "pareto.json",
                 "export_report.json"):
        assert (out / name).is_file(), name
    report = json.loads((out / "export_report.json").read_text())
    assert report["plan"]["chosen"]["name"] == "mixed-1"
    assert report["plan"]["layers"][0]["precision"] == "fp32"
    assert report["environment"]["opset"] == 17
    assert report["source"]["sha256"].startswith("sha256:")
    assert all(evidence.exists(d) for d in result.digests.values())
    pareto = json.loads((out / "pareto.json").read_text())
    assert pareto["chosen"] == "mixed-1" and "fp32" in {c["name"] for c in pareto["candidates"]}


def test_an_operator_the_runtime_cannot_run_stops_before_any_measurement(tmp_path: Path) -> None:
    toolkit = ScriptedQuantizationToolkit(CULPRIT_DROPS)
    runtime = ScriptedInferenceBackend(unsupported=["GridSample", "Einsum"])
    with pytest.raises(UnsupportedOperator, match="operator GridSample") as caught:
        OptimizeModel(toolkit, runtime)(_request(tmp_path))
    assert caught.value.code == "UNSUPPORTED_OPERATOR"
    assert toolkit.workspace is not None and toolkit.workspace.measured == []
    assert not (tmp_path / "out" / "model.onnx").exists()


def test_a_refused_checkpoint_writes_nothing_and_stores_nothing(tmp_path: Path) -> None:
    evidence = InMemoryEvidenceStore()
    toolkit = ScriptedQuantizationToolkit(CULPRIT_DROPS)
    request = _request(tmp_path)
    toolkit.refuse[request.source.path] = "checkpoint is corrupt"
    with pytest.raises(InvalidInput, match="corrupt"):
        OptimizeModel(toolkit, ScriptedInferenceBackend(), evidence)(request)
    assert evidence.blobs == {}
    assert not (tmp_path / "out").exists()


def test_negative_budgets_are_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="budget"):
        _request(tmp_path, budget=-1.0)


def _verify_request(tmp_path: Path, **kwargs: object) -> VerifyRequest:
    for name in ("ref.onnx", "dep.onnx", "data.npz"):
        (tmp_path / name).write_bytes(name.encode())
    return VerifyRequest("digits@1", str(tmp_path / "ref.onnx"), str(tmp_path / "dep.onnx"),
                         str(tmp_path / "data.npz"), str(tmp_path), **kwargs)  # type: ignore[arg-type]


def test_verification_records_deployed_runtime_accuracy_and_passes(tmp_path: Path) -> None:
    result = VerifyModel(ScriptedDeploymentVerifier(), ScriptedInferenceBackend())(
        _verify_request(tmp_path))
    assert result.passed
    report = json.loads(Path(result.report_path).read_text())
    assert report["deployed_runtime_accuracy"] == 97.8
    assert report["runtime"] == "onnxruntime"
    assert report["latency_ms"]["batch_64"]["p50"] == 9.0
    assert report["size_bytes"]["weights"] == 900
    assert report["digests"]["deployed"].startswith("sha256:")


def test_verification_fails_with_every_failed_check_listed(tmp_path: Path) -> None:
    verifier = ScriptedDeploymentVerifier(deployed_accuracy=90.0, nonfinite_outputs=2)
    result = VerifyModel(verifier, ScriptedInferenceBackend())(_verify_request(
        tmp_path, thresholds=VerificationThresholds(max_latency_p99_ms=0.1)))
    assert not result.passed
    assert {c.name for c in result.verdict.failures} == {
        "accuracy_drop", "finite_outputs", "latency_p99"}
    assert json.loads(Path(result.report_path).read_text())["passed"] is False


def test_verification_fails_fast_on_an_unsupported_operator(tmp_path: Path) -> None:
    verifier = ScriptedDeploymentVerifier()
    with pytest.raises(UnsupportedOperator, match="NonMaxSuppression"):
        VerifyModel(verifier, ScriptedInferenceBackend(unsupported=["NonMaxSuppression"]))(
            _verify_request(tmp_path))
    assert verifier.calls == []


def test_the_report_carries_recall_noise_guard_contract_and_dataset_sections(
        tmp_path: Path) -> None:
    result = VerifyModel(ScriptedDeploymentVerifier(), ScriptedInferenceBackend())(
        _verify_request(tmp_path))
    report = json.loads(Path(result.report_path).read_text())
    assert report["schema"] == "edgedeploy.verification_report/2"
    assert report["per_class_recall"]["0"] == pytest.approx(0.97)
    assert report["worst_class"] == {"label": "0", "recall": 0.97, "support": 54}
    assert report["noise_robustness"]["drop_points"] == pytest.approx(0.8)
    assert report["input_contract"] == {"shape": [None, 1, 32, 32], "dtype": "float32",
                                        "min": -0.5, "max": 1.5, "requirement": "ML-AEB-005",
                                        "observed_range": [0.0, 1.0]}
    assert [c["name"] for c in report["input_validation"]][:3] == [
        "valid_batch", "wrong_shape", "nan"]
    assert all(c["passed"] for c in report["input_validation"])
    assert report["dataset_checks"]["applicable"] is True
    assert report["dataset_checks"]["heldout_overlap"]["count"] == 0
    assert report["thresholds"]["min_calibration_samples"] == 256
    names = {c["name"] for c in report["verdict"]["checks"]}
    assert {"per_class_recall", "noise_robustness", "input_validation", "heldout_independence",
            "heldout_class_share", "calibration_coverage"} <= names


def test_the_noise_level_of_the_thresholds_reaches_the_measurement(tmp_path: Path) -> None:
    verifier = ScriptedDeploymentVerifier()
    VerifyModel(verifier, ScriptedInferenceBackend())(_verify_request(
        tmp_path, thresholds=VerificationThresholds(noise_sigma=0.25)))
    assert verifier.noise_sigmas == [0.25]


def test_a_noise_fragile_model_a_leaky_guard_and_a_confused_class_all_fail(
        tmp_path: Path) -> None:
    recall = {**{str(c): 0.98 for c in range(10)}, "3": 0.4}
    verifier = ScriptedDeploymentVerifier(
        per_class_recall=recall, noise=NoiseRobustness(0.1, 0.1, 7, 97.8, 80.0),
        input_validation=guard_cases(leaks=("nan", "inf")))
    result = VerifyModel(verifier, ScriptedInferenceBackend())(_verify_request(tmp_path))
    assert not result.passed
    assert {c.name for c in result.verdict.failures} == {
        "per_class_recall", "noise_robustness", "input_validation"}
    report = json.loads(Path(result.report_path).read_text())
    assert report["worst_class"]["label"] == "3"
    leaked = [c["name"] for c in report["input_validation"] if not c["passed"]]
    assert leaked == ["nan", "inf"]


def test_a_data_file_without_its_split_reports_the_dataset_checks_as_not_applicable(
        tmp_path: Path) -> None:
    verifier = ScriptedDeploymentVerifier(dataset=None,
                                          dataset_reason="the data file has no held-out split")
    result = VerifyModel(verifier, ScriptedInferenceBackend())(_verify_request(tmp_path))
    assert result.passed
    report = json.loads(Path(result.report_path).read_text())
    assert report["dataset_checks"] == {"applicable": False,
                                        "reason": "the data file has no held-out split"}
    skipped = [c for c in report["verdict"]["checks"] if not c["applicable"]]
    assert len(skipped) == 3 and all(c["passed"] for c in skipped)
