"""Example models for tests: the small CNN, trained briefly, on a reduced data set.

Shared by the plugin tests and the acceptance steps; both train into the session's base
temporary directory, so the model is trained once per test session.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TEST_EPOCHS = 6
POOL, HELDOUT = 400, 300


@dataclass(frozen=True)
class TrainedExample:
    checkpoint: Path
    data: Path
    accuracy: float


def trained_small_example(base: Path) -> TrainedExample:
    """The small example trained for a few epochs, with a smaller data file for speed."""
    import numpy as np

    from edgedeploy.plugins.torch import ensure_example_model

    example = ensure_example_model("small", base / "edgedeploy-home" / "models",
                                   epochs=TEST_EPOCHS)
    reduced = example.data.with_name("digits-reduced.npz")
    if not reduced.is_file():
        with np.load(example.data) as full:
            np.savez(reduced, inputs=full["inputs"][:POOL], labels=full["labels"][:POOL],
                     heldout_inputs=full["heldout_inputs"][:HELDOUT],
                     heldout_labels=full["heldout_labels"][:HELDOUT])
    return TrainedExample(example.checkpoint, reduced, example.accuracy)


def outlier_example(example: TrainedExample, base: Path, factor: float = 300.0) -> Path:
    """The same function with one first-layer channel scaled up and the next layer scaled down.

    ReLU is positively homogeneous, so the FP32 model computes the same logits; but the scaled
    channel stretches the per-tensor activation range between the first two convolutions, so
    8-bit activations there lose the other channels. Those two layers become the sensitive ones.
    """
    import numpy as np
    import torch

    target = base / "outlier-model.pt"
    if target.is_file():
        return target
    checkpoint = torch.load(example.checkpoint, weights_only=True)
    state = checkpoint["state_dict"]
    with np.load(example.data) as data:
        x = torch.from_numpy(data["inputs"][:200])
    with torch.no_grad():
        act = torch.relu(torch.nn.functional.conv2d(x, state["0.weight"], state["0.bias"],
                                                    padding=1))
    channel = int(act.amax(dim=(0, 2, 3)).argmax())
    state["0.weight"][channel] *= factor
    state["0.bias"][channel] *= factor
    state["2.weight"][:, channel] /= factor
    torch.save(checkpoint, target)
    return target
