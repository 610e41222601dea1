"""Operator coverage is judged on the graph ONNX Runtime executes, and before any calibration."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgedeploy.application.optimization import UnsupportedOperator
from edgedeploy.application.optimization.optimize import check_operator_coverage
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.plugins.onnxruntime import OnnxRuntimeBackend
from edgedeploy.plugins.registry import BackendRegistry
from edgedeploy.plugins.torch import onnx_tools
from edgedeploy.plugins.torch.toolkit import TorchQuantizationToolkit
from tests.plugins.example_models import TrainedExample


def _clipped_cnn(activation: str) -> object:
    from torch import nn

    act = nn.ReLU6() if activation == "relu6" else nn.Hardtanh(-1.0, 1.0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), act, nn.Flatten(),
                         nn.Linear(4 * 32 * 32, 10)).eval()


@pytest.mark.parametrize("activation", ["relu6", "hardtanh"])
def test_a_model_with_clip_bounds_as_constants_is_accepted(activation: str,
                                                            tmp_path: Path) -> None:
    import onnx

    path = onnx_tools.export_onnx(_clipped_cnn(activation), (1, 1, 32, 32),
                                  tmp_path / f"{activation}.onnx")
    written = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "Clip" in written  # the activation is there, with its bounds as inputs

    backend = OnnxRuntimeBackend()
    assert backend.unsupported_operators(str(path)) == []
    check_operator_coverage(backend, str(path), "cpu", activation)


def _graph_with(op_type: str, domain: str, path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["h"], name="relu0"),
         helper.make_node(op_type, ["h"], ["y"], name="frob0", domain=domain)],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    opsets = [helper.make_opsetid("", 17)]
    if domain:
        opsets.append(helper.make_opsetid(domain, 1))
    onnx.save(helper.make_model(graph, opset_imports=opsets), str(path))
    return path


def test_a_genuinely_unsupported_operator_is_named_with_its_node_and_opset(
        tmp_path: Path) -> None:
    path = _graph_with("Frobnicate", "com.example", tmp_path / "custom.onnx")

    with pytest.raises(UnsupportedOperator) as caught:
        check_operator_coverage(OnnxRuntimeBackend(), str(path), "cpu", "custom")

    message = str(caught.value)
    assert "operator com.example::Frobnicate " in message
    assert "node 'frob0'" in message
    assert "opset com.example 1" in message
    assert caught.value.code == "UNSUPPORTED_OPERATOR"


def test_a_misspelled_standard_operator_names_the_default_opset(tmp_path: Path) -> None:
    path = _graph_with("Reluu", "", tmp_path / "typo.onnx")

    missing = OnnxRuntimeBackend().unsupported_operators(str(path))

    assert missing == ["Reluu (node 'frob0', opset ai.onnx 17)"]


def test_an_operator_the_target_lacks_is_refused_before_any_calibration(
        small_example: TrainedExample, tmp_path: Path) -> None:
    runtime = BackendRegistry().get("example-numpy")  # runs Gemm and Relu only, no Conv
    workdir = tmp_path / "work"

    with pytest.raises(UnsupportedOperator, match="operator Conv "):
        TorchQuantizationToolkit().open(ModelSource(str(small_example.checkpoint)),
                                        str(small_example.data), str(workdir), runtime=runtime)

    assert (workdir / "fp32.onnx").is_file()  # exported and judged ...
    assert not (workdir / "calibration.json").exists()  # ... and never calibrated
    assert not (workdir / "calibrated.onnx").exists()
