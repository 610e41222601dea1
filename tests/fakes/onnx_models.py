"""Tiny ONNX classifiers for edge-agent integration tests, built with the ``onnx`` helpers.

Each model maps ``x`` (N x 4, float32) to ``probs`` = softmax(x W + b) (N x 3) and ``tag``
(N x 1), a constant naming the model version, so every answer can be checked against the
version the agent says produced it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgedeploy.adapters.edge import write_package
from edgedeploy.application.ports.inference import TensorSpec
from edgedeploy.domain.models import ModelRef

INPUTS = (TensorSpec("x", (None, 4), "float32"),)
OUTPUTS = (TensorSpec("probs", (None, 3), "float32"), TensorSpec("tag", (None, 1), "float32"))
GOLDEN_X = np.array([[0.5, -0.25, 1.0, 0.0]], dtype=np.float32)


def build_classifier(path: Path, tag: float, *, confident: bool = True, seed: int = 0) -> Path:
    """Write a model; ``confident=False`` gives near-uniform probabilities (low confidence)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    # A confident model puts class 0 far ahead for any input of ordinary size.
    scale = 1.0 if confident else 0.001
    weights = (rng.normal(size=(4, 3)) * scale).astype(np.float32)
    bias = np.array([30.0 * scale, 0.0, 0.0], dtype=np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        helper.make_node("ReduceSum", ["x", "axes"], ["row"], keepdims=1),
        helper.make_node("Mul", ["row", "zero"], ["zeros"]),
        helper.make_node("Add", ["zeros", "tagv"], ["tag"]),
    ]
    graph = helper.make_graph(
        nodes, f"classifier_{tag}",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 3]),
         helper.make_tensor_value_info("tag", TensorProto.FLOAT, ["N", 1])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b"),
         numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"),
         numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
         numpy_helper.from_array(np.array(tag, dtype=np.float32), "tagv")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def expected_outputs(path: Path, x: np.ndarray) -> dict[str, np.ndarray]:
    """Reference outputs computed from the file's own weights (NumPy, no runtime)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    logits = x @ init["W"] + init["b"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return {"probs": (e / e.sum(axis=1, keepdims=True)).astype(np.float32),
            "tag": np.full((x.shape[0], 1), float(init["tagv"]), dtype=np.float32)}


def publish(repository: Path, workdir: Path, model: ModelRef, tag: float, *,
            confident: bool = True, digest: str | None = None,
            p99_budget_ms: float | None = None) -> str:
    """Build a classifier and put it into an agent repository; returns its registry digest."""
    path = build_classifier(workdir / f"{model}.onnx", tag, confident=confident,
                            seed=int(tag * 10))
    golden = [({"x": GOLDEN_X}, expected_outputs(path, GOLDEN_X))]
    return write_package(repository, model, path, INPUTS, OUTPUTS, golden, tolerance=1e-4,
                         p99_budget_ms=p99_budget_ms, digest=digest)
