"""Per-class recall, noise robustness, the input guard and the split's facts on ONNX Runtime.

The deployed models here are the small example's FP32 export and variants of it built by editing
the ONNX graph, so each failure has one known cause.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.optimization import VerificationResult, VerifyModel, VerifyRequest
from edgedeploy.domain.input_contract import InputSummary
from edgedeploy.domain.verification import VerificationThresholds
from edgedeploy.plugins.onnxruntime import factory as onnxruntime_factory
from edgedeploy.plugins.torch import OnnxDeploymentVerifier
from edgedeploy.plugins.torch.examples import CALIBRATION_SAMPLES, CALIBRATION_SEED
from edgedeploy.plugins.torch.input_guard import (
    GuardedSession,
    contract_for,
    probe_guard,
    summarize,
)
from edgedeploy.plugins.torch.loading import load_model, stratified_sample
from edgedeploy.plugins.torch.onnx_tools import export_onnx
from edgedeploy.plugins.torch.verification import dataset_facts
from tests.plugins.example_models import TrainedExample

SWAP = (3, 8)


@pytest.fixture(name="fp32_onnx", scope="module")
def fx_fp32_onnx(small_example: TrainedExample,
                 tmp_path_factory: pytest.TempPathFactory) -> Path:
    from edgedeploy.application.ports.optimization import ModelSource

    loaded = load_model(ModelSource(str(small_example.checkpoint)))
    return export_onnx(loaded.module, (1, 1, 32, 32),
                       tmp_path_factory.mktemp("fp32") / "reference.onnx")


@pytest.fixture(name="full_data", scope="module")
def fx_full_data(small_example: TrainedExample) -> Path:
    """The example's own data file, which declares its split (the reduced one does not)."""
    return small_example.data.with_name("digits.npz")


def _swapped_classes(reference: Path, out: Path) -> Path:
    """The reference with the logits of two classes exchanged: it confuses them every time."""
    model = onnx.load(str(reference))
    graph = model.graph
    output = graph.output[0].name
    order = list(range(10))
    order[SWAP[0]], order[SWAP[1]] = SWAP[1], SWAP[0]
    graph.initializer.append(numpy_helper.from_array(np.array(order, np.int64), "swap_order"))
    for node in graph.node:
        node.output[:] = [f"{o}_raw" if o == output else o for o in node.output]
    graph.node.append(helper.make_node("Gather", [f"{output}_raw", "swap_order"], [output],
                                       axis=1))
    onnx.save(model, str(out))
    return out


def _verify(reference: Path, deployed: Path, data: Path, out: Path,
            **thresholds: float) -> VerificationResult:
    return VerifyModel(OnnxDeploymentVerifier(), onnxruntime_factory())(VerifyRequest(
        "digits@1", str(reference), str(deployed), str(data), str(out), latency_runs=3,
        thresholds=VerificationThresholds(**thresholds)))  # type: ignore[arg-type]


def test_a_faithful_model_passes_every_new_check_on_the_example_data(
        fp32_onnx: Path, full_data: Path, tmp_path: Path) -> None:
    result = _verify(fp32_onnx, fp32_onnx, full_data, tmp_path)
    by_name = {c.name: c for c in result.verdict.checks}
    for name in ("input_validation", "heldout_independence", "heldout_class_share"):
        assert by_name[name].passed and by_name[name].applicable, by_name[name].message
    report = json.loads(Path(result.report_path).read_text())
    assert set(report["per_class_recall"]) == {str(c) for c in range(10)}
    assert sum(report["class_support"].values()) == report["samples"]
    assert report["noise_robustness"]["seed"] > 0
    assert report["noise_robustness"]["noisy_accuracy"] == pytest.approx(
        report["noise_robustness"]["reference_noisy_accuracy"])
    assert report["input_contract"]["shape"] == [None, 1, 32, 32]
    assert report["input_contract"]["dtype"] == "float32"
    contract = report["input_contract"]
    low, high = contract["observed_range"]
    assert contract["min"] < low <= high < contract["max"]
    dataset = report["dataset_checks"]
    assert dataset["applicable"] is True
    assert dataset["heldout_overlap"] == {"count": 0, "by_content": 0, "by_source_index": 0}
    assert min(dataset["heldout_class_share"].values()) == pytest.approx(0.3, abs=0.01)
    assert dataset["calibration"]["samples"] == CALIBRATION_SAMPLES
    assert dataset["calibration"]["missing_classes"] == []


def test_a_model_that_confuses_two_classes_fails_per_class_recall(
        fp32_onnx: Path, full_data: Path, tmp_path: Path) -> None:
    confused = _swapped_classes(fp32_onnx, tmp_path / "confused.onnx")
    result = _verify(fp32_onnx, confused, full_data, tmp_path)
    failed = {c.name: c for c in result.verdict.failures}
    assert "per_class_recall" in failed
    report = json.loads(Path(result.report_path).read_text())
    assert report["worst_class"]["label"] in {str(c) for c in SWAP}
    assert all(report["per_class_recall"][str(c)] < 0.1 for c in SWAP)
    assert "below the minimum: 3, 8" in failed["per_class_recall"].message


def test_noise_far_beyond_the_requirement_makes_the_model_fail_noise_robustness(
        fp32_onnx: Path, full_data: Path, tmp_path: Path) -> None:
    result = _verify(fp32_onnx, fp32_onnx, full_data, tmp_path, noise_sigma=1.0)
    check = next(c for c in result.verdict.checks if c.name == "noise_robustness")
    assert not check.passed
    assert check.measured is not None and check.measured > 10.0
    assert result.run.noise is not None and result.run.noise.std == pytest.approx(1.0, abs=0.05)


def test_the_guard_rejects_every_malformed_probe_and_accepts_a_valid_batch(
        fp32_onnx: Path, full_data: Path) -> None:
    with np.load(full_data) as data:
        x = data["heldout_inputs"][:4]
    session = onnxruntime_factory().load(str(fp32_onnx))
    try:
        guarded = GuardedSession(session, contract_for(session.inputs[0], x))
        cases = {c.name: c for c in probe_guard(guarded, x)}
    finally:
        session.close()
    assert set(cases) == {"valid_batch", "wrong_shape", "nan", "inf", "far_above_range",
                          "far_below_range", "wrong_dtype"}
    assert all(c.passed for c in cases.values()), [c.message for c in cases.values()]
    assert not cases["valid_batch"].rejected
    assert "NaN/Inf" in cases["nan"].message and "dtype float64" in cases["wrong_dtype"].message


def test_a_guard_that_ignores_finiteness_is_caught_by_the_probes(
        fp32_onnx: Path, full_data: Path) -> None:
    def blind_to_nan(batch: np.ndarray) -> InputSummary:
        s = summarize(batch)
        return InputSummary(s.shape, s.dtype, 0, s.lowest, s.highest)

    with np.load(full_data) as data:
        x = data["heldout_inputs"][:4]
    session = onnxruntime_factory().load(str(fp32_onnx))
    try:
        leaky = GuardedSession(session, contract_for(session.inputs[0], x), blind_to_nan)
        cases = {c.name: c for c in probe_guard(leaky, x)}
    finally:
        session.close()
    assert [n for n, c in cases.items() if not c.passed] == ["nan", "inf"]
    assert "accepted and classified" in cases["nan"].message


def test_the_summary_counts_nan_and_inf_and_ignores_them_in_the_range() -> None:
    batch = np.array([[0.0, np.nan, 2.0, np.inf]], np.float32)
    assert summarize(batch) == InputSummary((1, 4), "float32", 2, 0.0, 2.0)
    assert summarize(np.full((2, 2), np.nan)) == InputSummary((2, 2), "float64", 4, None, None)


def _split(**extra: np.ndarray) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    pool = rng.random((40, 1, 4, 4)).astype(np.float32)
    held = rng.random((20, 1, 4, 4)).astype(np.float32)
    arrays: dict[str, np.ndarray] = {
        "inputs": pool, "labels": np.arange(40) % 4, "heldout_inputs": held,
        "heldout_labels": np.arange(20) % 4, "calibration_index": np.arange(0, 40, 2)}
    arrays.update(extra)
    return arrays


def test_split_facts_count_overlap_shares_and_calibration_coverage() -> None:
    facts, reason = dataset_facts(_split())
    assert facts is not None and reason == ""
    assert facts.heldout_overlap == 0
    assert facts.heldout_class_share == {str(c): pytest.approx(1 / 3) for c in range(4)}
    assert facts.calibration_samples == 20
    assert facts.calibration_classes == ("0", "2")  # every other sample: classes 0 and 2 only
    assert facts.missing_calibration_classes == ("1", "3")


def test_a_heldout_sample_copied_from_training_is_found_by_content_and_by_index() -> None:
    arrays = _split()
    arrays["heldout_inputs"][5] = arrays["inputs"][7]
    arrays["train_source_index"] = np.arange(40)
    arrays["heldout_source_index"] = np.r_[np.arange(100, 119), 3]  # the last one leaked
    facts, _ = dataset_facts(arrays)
    assert facts is not None
    assert (facts.heldout_overlap, facts.overlap_by_content, facts.overlap_by_source_index) == (
        2, 1, 1)


@pytest.mark.parametrize(("drop", "reason"), [
    ("calibration_index", "does not declare its calibration set"),
    ("heldout_inputs", "no separate held-out split"),
])
def test_without_split_information_the_facts_say_why_they_do_not_apply(
        drop: str, reason: str) -> None:
    arrays = _split()
    del arrays[drop]
    facts, why = dataset_facts(arrays)
    assert facts is None and reason in why


def test_a_calibration_index_outside_the_pool_is_refused() -> None:
    with pytest.raises(InvalidInput, match="outside the 40 pool samples"):
        dataset_facts(_split(calibration_index=np.array([0, 40])))


def test_the_example_declares_the_calibration_set_the_optimizer_draws_by_default(
        full_data: Path) -> None:
    with np.load(full_data) as data:
        declared = data["calibration_index"]
        labels = data["labels"]
        assert not set(data["train_source_index"]) & set(data["heldout_source_index"])
    assert np.array_equal(declared,
                          stratified_sample(labels, CALIBRATION_SAMPLES, CALIBRATION_SEED))
