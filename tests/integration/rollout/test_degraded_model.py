"""The deliberately degraded model the demo rolls back: same ranking, flattened confidence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgedeploy.adapters.edge import NumpyTensorTools
from edgedeploy.plugins.onnxruntime import factory
from edgedeploy.plugins.onnxruntime.degrade import add_low_confidence_branch
from tests.fakes.onnx_models import build_classifier


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    session = factory().load(str(path))
    try:
        return np.asarray(session.run({"x": x})["probs"])
    finally:
        session.close()


def test_bright_rows_lose_confidence_while_every_class_ranking_is_kept(tmp_path: Path) -> None:
    source = build_classifier(tmp_path / "good.onnx", 1.0)
    degraded = add_low_confidence_branch(source, tmp_path / "bad.onnx",
                                         brightness_threshold=0.0)
    x = np.array([[1.0, 0.5, 2.0, 0.0], [-1.0, -0.5, -2.0, 0.0]], dtype=np.float32)
    before, after = _run(source, x), _run(degraded, x)
    assert (before.argmax(axis=1) == after.argmax(axis=1)).all()
    tools = NumpyTensorTools()
    good, bad = tools.row_confidences({"p": before}), tools.row_confidences({"p": after})
    assert good[0] > 0.9 and bad[0] < 0.4  # the bright row (mean > 0) is flattened
    assert bad[1] == pytest.approx(good[1], abs=1e-6)  # the dark row is untouched


def test_a_temperature_that_would_not_flatten_anything_is_refused(tmp_path: Path) -> None:
    source = build_classifier(tmp_path / "good.onnx", 1.0)
    with pytest.raises(ValueError, match="temperature"):
        add_low_confidence_branch(source, tmp_path / "bad.onnx", brightness_threshold=0.0,
                                  temperature=1.0)
