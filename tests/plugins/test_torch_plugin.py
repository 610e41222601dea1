"""The torch plugin on the small example: sensitivity, budget, QAT, QDQ export, refusals."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.optimization import (
    OptimizationResult,
    OptimizeModel,
    OptimizeRequest,
    VerificationResult,
    VerifyModel,
    VerifyRequest,
)
from edgedeploy.application.ports.optimization import CandidateSpec, ModelSource
from edgedeploy.domain.quantization import Precision
from edgedeploy.plugins.onnxruntime import factory as onnxruntime_factory
from edgedeploy.plugins.torch import OnnxDeploymentVerifier, TorchQuantizationToolkit
from edgedeploy.plugins.torch.cpu import cpu_flags, has_vnni
from edgedeploy.plugins.torch.loading import load_dataset, stratified_sample
from tests.plugins.example_models import TrainedExample


@pytest.fixture(name="optimized", scope="module")
def fx_optimized(outlier_model: Path, small_example: TrainedExample,
                 tmp_path_factory: pytest.TempPathFactory) -> OptimizationResult:
    out = tmp_path_factory.mktemp("optimized")
    return OptimizeModel(TorchQuantizationToolkit(), onnxruntime_factory())(
        OptimizeRequest(ModelSource(str(outlier_model)), str(small_example.data), str(out),
                        calibration_samples=128))


def test_sensitivity_finds_the_layers_that_cannot_take_int8(optimized: OptimizationResult) -> None:
    by_layer = {s.layer: s for s in optimized.sensitivities}
    assert by_layer["/0/Conv"].deployed_drop > 1.0 or by_layer["/2/Conv"].deployed_drop > 1.0
    assert by_layer["/5/Conv"].deployed_drop < 1.0
    assert all(s.seconds > 0 for s in optimized.sensitivities)


def test_the_plan_keeps_a_sensitive_layer_in_float_within_the_budget(
        optimized: OptimizationResult) -> None:
    plan = optimized.plan
    assert plan.baseline_accuracy - plan.expected_accuracy <= plan.budget + 1e-9
    kept = [d for d in plan.decisions if d.precision is not Precision.INT8]
    assert kept and all(d.reason.startswith("sensitive") for d in kept)
    assert plan.counts()["int8"] >= 3
    assert plan.size_ratio > 3.0


def test_the_exported_model_is_valid_qdq_onnx(optimized: OptimizationResult) -> None:
    model = onnx.load(optimized.model_path)
    onnx.checker.check_model(model)
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    int8 = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.INT8]
    assert int8


def test_the_export_report_and_pareto_files_describe_the_choice(
        optimized: OptimizationResult) -> None:
    report = json.loads(Path(optimized.artifacts["export_report"]).read_text())
    assert report["environment"]["versions"]["onnxruntime"]
    assert report["plan"]["chosen"]["name"] == optimized.plan.chosen.name
    assert len(report["sensitivity"]) == 6
    assert Path(optimized.artifacts["pareto_plot"]).read_bytes()[:4] == b"\x89PNG"


@pytest.fixture(name="verified", scope="module")
def fx_verified(optimized: OptimizationResult, small_example: TrainedExample,
                tmp_path_factory: pytest.TempPathFactory) -> VerificationResult:
    return VerifyModel(OnnxDeploymentVerifier(), onnxruntime_factory())(VerifyRequest(
        "outlier@1", optimized.reference_path, optimized.model_path, str(small_example.data),
        str(tmp_path_factory.mktemp("verified")), latency_runs=5))


def test_verification_on_onnxruntime_records_the_deployed_accuracy(
        optimized: OptimizationResult, verified: VerificationResult) -> None:
    report = json.loads(Path(verified.report_path).read_text())
    assert report["deployed_runtime_accuracy"] == pytest.approx(optimized.plan.expected_accuracy)
    assert report["smoke_single_batch"] is True
    assert report["size_bytes"]["weights"] > report["size_bytes"]["scales"] > 0
    assert set(report["latency_ms"]) == {"batch_1", "batch_64"}
    assert report["operators"]["DequantizeLinear"] > 0


def test_verifying_the_int8_model_measures_recall_noise_and_the_guard_on_onnxruntime(
        verified: VerificationResult) -> None:
    report = json.loads(Path(verified.report_path).read_text())
    assert len(report["per_class_recall"]) == 10
    assert report["worst_class"]["recall"] == min(report["per_class_recall"].values())
    noise = report["noise_robustness"]
    assert noise["clean_accuracy"] == report["deployed_runtime_accuracy"]
    assert noise["drop_points"] == pytest.approx(noise["clean_accuracy"] - noise["noisy_accuracy"])
    assert all(c["passed"] for c in report["input_validation"])
    # The reduced test data keeps no split information, so those checks cannot apply.
    assert report["dataset_checks"]["applicable"] is False
    assert "calibration" in report["dataset_checks"]["reason"]


def test_quantization_aware_training_runs_one_epoch_and_exports_qdq(
        small_example: TrainedExample, tmp_path: Path) -> None:
    ws = TorchQuantizationToolkit().open(ModelSource(str(small_example.checkpoint)),
                                         str(small_example.data), str(tmp_path),
                                         calibration_samples=64)
    result = ws.train_qat(CandidateSpec("qat"), epochs=1)
    model = onnx.load(result.path)
    assert {"QuantizeLinear", "DequantizeLinear"} <= {n.op_type for n in model.graph.node}
    assert result.size_bytes < ws.fp32_size_bytes / 3
    assert result.accuracy > 50.0


def test_a_corrupt_checkpoint_is_refused_with_a_clear_error(
        small_example: TrainedExample, tmp_path: Path) -> None:
    broken = tmp_path / "broken.pt"
    broken.write_bytes(small_example.checkpoint.read_bytes()[:2000])
    with pytest.raises(InvalidInput, match=r"checkpoint .*broken\.pt is corrupt"):
        TorchQuantizationToolkit().open(ModelSource(str(broken)), str(small_example.data),
                                        str(tmp_path / "work"))


def test_a_state_dict_that_does_not_fit_its_class_is_refused(
        small_example: TrainedExample, tmp_path: Path) -> None:
    import torch

    state = torch.load(small_example.checkpoint, weights_only=True)["state_dict"]
    bare = tmp_path / "bare.pt"
    torch.save(state, bare)
    with pytest.raises(InvalidInput, match="name its class"):
        TorchQuantizationToolkit().open(ModelSource(str(bare)), str(small_example.data),
                                        str(tmp_path / "w1"))
    with pytest.raises(InvalidInput, match="do not fit the model"):
        TorchQuantizationToolkit().open(
            ModelSource(str(bare), module="torch.nn:Linear",
                        module_kwargs={"in_features": 4, "out_features": 2}),
            str(small_example.data), str(tmp_path / "w2"))


def test_mis_shaped_calibration_data_is_refused_naming_the_shapes(
        small_example: TrainedExample, tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, inputs=np.zeros((20, 1, 28, 28), np.float32), labels=np.zeros(20, np.int64))
    with pytest.raises(InvalidInput, match=r"\(1, 28, 28\)"):
        TorchQuantizationToolkit().open(ModelSource(str(small_example.checkpoint)), str(bad),
                                        str(tmp_path / "work"))


@pytest.mark.parametrize(("arrays", "message"), [
    ({"inputs": np.zeros((4, 1, 32, 32), np.float32)}, "no 'labels'"),
    ({"inputs": np.zeros((4, 1, 32, 32), np.float32), "labels": np.zeros(3, np.int64)},
     "4 'inputs' but 3 'labels'"),
    ({"inputs": np.zeros((4, 1, 32, 32), np.int64), "labels": np.zeros(4, np.int64)},
     "expected floating point"),
    ({"inputs": np.full((4, 1, 32, 32), np.nan, np.float32), "labels": np.zeros(4, np.int64)},
     "NaN or Inf"),
])
def test_unusable_calibration_files_are_refused_with_the_reason(
        tmp_path: Path, arrays: dict[str, np.ndarray], message: str) -> None:
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=message):
        load_dataset(str(path), input_shape=(1, 1, 32, 32), classes=10)


def test_a_file_that_is_not_an_npz_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    path.write_bytes(b"inputs,labels\n0.1,3\n")
    with pytest.raises(InvalidInput, match=r"not a readable \.npz"):
        load_dataset(str(path), input_shape=None, classes=None)


def test_an_npz_member_that_is_not_an_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inputs.npy", b"not an array")
        archive.writestr("labels.npy", b"nor this")
    with pytest.raises(InvalidInput, match="'inputs' is not a NumPy array"):
        load_dataset(str(path), input_shape=None, classes=None)


def test_stratified_sampling_draws_every_class_in_proportion() -> None:
    labels = np.array([0] * 90 + [1] * 10)
    picked = stratified_sample(labels, 20, seed=1)
    assert len(picked) == 20
    assert (labels[picked] == 1).sum() == 2
    tags = np.array(["day", "night"] * 50)
    by_slice = stratified_sample(labels, 20, seed=1, slices=tags)
    assert {"day", "night"} <= set(tags[by_slice])


def test_vnni_is_read_from_the_cpu_flags() -> None:
    assert has_vnni(cpu_flags("flags\t: fpu avx2 avx512f avx512_vnni\n"))
    assert not has_vnni(cpu_flags("flags\t: fpu avx2 avx512f avx512bw\n"))
    assert "avx2" in cpu_flags("processor: 0\nflags : sse avx2\n")


def test_an_unexportable_operator_is_named(tmp_path: Path) -> None:
    import torch

    from edgedeploy.application.errors import CapabilityNotSupported
    from edgedeploy.plugins.torch.onnx_tools import export_onnx

    class Fft(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.fft.fft2(x).abs()

    with pytest.raises(CapabilityNotSupported, match="fft"):
        export_onnx(Fft(), (1, 1, 8, 8), tmp_path / "fft.onnx")
