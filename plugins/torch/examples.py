"""The bundled example: a CNN for scikit-learn's digits, upsampled to 32x32, trained at first use.

Two sizes: ``small`` (about 0.3M parameters) and ``medium`` (over 1M). Training is seeded and
the result is cached under ``<home>/examples/<name>/`` together with the data split it was trained
on, so every later run (and every machine with the same library versions) sees the same model.
The digits images ship inside scikit-learn, so nothing is downloaded.

The data file also records how it was split (format ``DATA_FORMAT``): each sample's index in the
source data set and the calibration set, so that verification can show the held-out set is
independent and balanced and the calibration set representative (DS-AEB-001, DS-AEB-002).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from edgedeploy.application.errors import InvalidInput

_log = structlog.get_logger(__name__)

EXAMPLE_ARCH = "edgedeploy.digits-cnn"
SEED = 20240611

DATA_FORMAT = 2
"""Version of the data file's layout; part of the cache key, so an older cache is never reused.

1: ``inputs``, ``labels``, ``heldout_inputs``, ``heldout_labels``.
2: adds ``train_source_index``, ``heldout_source_index`` (index of each sample in scikit-learn's
   digits) and ``calibration_index`` (positions in ``inputs`` of the calibration set).
"""

TRAINING_RECIPE = 2
"""Version of the training recipe; part of the cache key, so a changed recipe trains anew.

1: Adam at a fixed rate 1e-3, batches of 64, twelve epochs, all cores.
2: Adam under a one-cycle schedule peaking at 3e-3, batches of 32, ``DEFAULT_EPOCHS`` epochs,
   one thread: the schedule converges in a few epochs what the fixed rate needed twelve for.
"""

DEFAULT_EPOCHS = 5
"""The training budget: five passes take about 10 s on an idle 2-core machine and stay near a
minute when both cores are busy with other work, which keeps ``edgedeploy demo`` within its
three minutes (``benchmarks/demo_under_load.py``)."""

MAX_LEARNING_RATE, BATCH_SIZE, TRAINING_THREADS = 3e-3, 32, 1
"""One thread: on a shared host, a second intra-op thread waits at every barrier for whichever
thread the scheduler parked, which made training slower under load, not faster; one thread
also gives the same sums in the same order on every machine."""

CALIBRATION_SAMPLES, CALIBRATION_SEED = 256, 0
"""The calibration set the data file declares: the optimizer's default draw (``OptimizeRequest``
defaults: 256 samples, seed 0, stratified over classes), so the declaration and the default run
agree."""

# name -> (conv widths, hidden units)
EXAMPLE_CONFIGS: dict[str, dict[str, Any]] = {
    "small": {"widths": [32, 64, 128, 128], "hidden": 32},
    "medium": {"widths": [48, 96, 192, 256], "hidden": 128},
}


def build_digits_cnn(widths: list[int], hidden: int, classes: int = 10) -> Any:
    """Four 3x3 conv blocks (the last three followed by 2x2 max-pooling), then two linear layers.

    The first convolution sees raw pixel intensities and has a single input channel, which makes
    it the layer most exposed to integer-kernel saturation: a useful property for an example.
    """
    from torch import nn

    layers: list[nn.Module] = []
    channels = 1
    for i, width in enumerate(widths):
        layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU()]
        if i > 0:
            layers.append(nn.MaxPool2d(2))
        channels = width
    side = 32 // 2 ** (len(widths) - 1)
    layers += [nn.Flatten(), nn.Linear(channels * side * side, hidden), nn.ReLU(),
               nn.Linear(hidden, classes)]
    return nn.Sequential(*layers)


def digits_32x32() -> tuple[Any, Any]:
    """All 1797 digits images as float32 (N, 1, 32, 32) in [0, 1], and their labels."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from torch.nn import functional

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    upsampled = functional.interpolate(images, size=(32, 32), mode="bilinear",
                                       align_corners=False)
    return upsampled.numpy().astype(np.float32), digits.target.astype(np.int64)


def stratified_split(labels: Any, test_share: float, seed: int) -> tuple[Any, Any]:
    """Indices of a train/test split that keeps every class's share in both parts."""
    import numpy as np

    rng = np.random.default_rng(seed)
    train: list[int] = []
    test: list[int] = []
    for cls in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == cls))
        cut = round(len(idx) * test_share)
        test += idx[:cut].tolist()
        train += idx[cut:].tolist()
    return np.array(sorted(train)), np.array(sorted(test))


@dataclass(frozen=True, slots=True)
class ExampleModel:
    """A trained example on disk.

    Attributes:
        name: ``small`` or ``medium``.
        checkpoint: self-describing checkpoint (architecture, config, state dict).
        data: ``.npz`` with ``inputs``/``labels`` (training pool, calibration is drawn from it),
            ``heldout_inputs``/``heldout_labels`` (never trained on) and the split's indices
            (see ``DATA_FORMAT``).
        params: parameter count.
        accuracy: FP32 top-1 accuracy (%) on the held-out split.
    """

    name: str
    checkpoint: Path
    data: Path
    params: int
    accuracy: float


def ensure_example_model(name: str, home: Path, *, epochs: int = DEFAULT_EPOCHS,
                         progress: Callable[[str, float], None] | None = None) -> ExampleModel:
    """Train the example ``name`` once and cache it under ``home``; later calls reuse it.

    Args:
        name: ``small`` or ``medium``.
        home: the models directory (the caller passes ``$EDGEDEPLOY_HOME/models``).
        epochs: the training budget in epochs; part of the cache key (with ``DATA_FORMAT``
            and ``TRAINING_RECIPE``), so a different count trains anew.
        progress: optional callback (stage, fraction).

    Raises:
        InvalidInput: ``name`` is not an example.
    """
    if name not in EXAMPLE_CONFIGS:
        raise InvalidInput(f"no example model '{name}'; choose one of {sorted(EXAMPLE_CONFIGS)}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise InvalidInput(f"the training budget must be a whole number of epochs >= 1, "
                           f"not {epochs!r}")
    folder = home / "examples" / f"{name}-e{epochs}-d{DATA_FORMAT}-r{TRAINING_RECIPE}"
    meta_path = folder / "example.json"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        return ExampleModel(name, folder / "model.pt", folder / "digits.npz", meta["params"],
                            meta["accuracy"])
    folder.mkdir(parents=True, exist_ok=True)
    return _train(name, folder, epochs, progress)


def _train(name: str, folder: Path, epochs: int,
           progress: Callable[[str, float], None] | None) -> ExampleModel:
    import numpy as np
    import torch

    started = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(TRAINING_THREADS)
    try:
        torch.manual_seed(SEED)
        x, y = digits_32x32()
        train_idx, test_idx = stratified_split(y, 0.3, SEED)
        config = EXAMPLE_CONFIGS[name]
        model = build_digits_cnn(config["widths"], config["hidden"])
        xt, yt = torch.from_numpy(x[train_idx]), torch.from_numpy(y[train_idx])
        optimizer = torch.optim.Adam(model.parameters(), lr=MAX_LEARNING_RATE)
        steps = epochs * -(-len(xt) // BATCH_SIZE)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=MAX_LEARNING_RATE,
                                                       total_steps=steps)
        generator = torch.Generator().manual_seed(SEED)
        for epoch in range(epochs):
            model.train()
            order = torch.randperm(len(xt), generator=generator)
            for start in range(0, len(xt), BATCH_SIZE):
                batch = order[start:start + BATCH_SIZE]
                optimizer.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(xt[batch]), yt[batch])
                loss.backward()  # type: ignore[no-untyped-call]
                optimizer.step()
                schedule.step()
            if progress is not None:
                progress(f"train {name}", (epoch + 1) / epochs)
    finally:
        torch.set_num_threads(threads)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x[test_idx]))
    accuracy = float((logits.argmax(1).numpy() == y[test_idx]).mean() * 100)
    params = sum(p.numel() for p in model.parameters())
    checkpoint = folder / "model.pt"
    torch.save({"arch": EXAMPLE_ARCH, "config": config, "input_shape": [1, 1, 32, 32],
                "state_dict": model.state_dict()}, checkpoint)
    data = folder / "digits.npz"
    from edgedeploy.plugins.torch.loading import stratified_sample

    calibration = stratified_sample(y[train_idx], CALIBRATION_SAMPLES, CALIBRATION_SEED)
    np.savez(data, inputs=x[train_idx], labels=y[train_idx], heldout_inputs=x[test_idx],
             heldout_labels=y[test_idx], train_source_index=train_idx.astype(np.int64),
             heldout_source_index=test_idx.astype(np.int64),
             calibration_index=np.asarray(calibration, dtype=np.int64))
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    (folder / "example.json").write_text(json.dumps(
        {"name": name, "params": params, "accuracy": accuracy, "epochs": epochs, "seed": SEED,
         "data_format": DATA_FORMAT, "training_recipe": TRAINING_RECIPE,
         "sha256": digest, "train_seconds": time.perf_counter() - started}, indent=2))
    _log.info("example.trained", name=name, params=params, accuracy=accuracy,
              seconds=round(time.perf_counter() - started, 1))
    return ExampleModel(name, checkpoint, data, params, accuracy)
