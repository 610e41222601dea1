"""Reading users' models and calibration data, refusing what cannot be trusted with a clear error.

A corrupt checkpoint, a state dict whose keys do not match its class, or calibration data of the
wrong shape or type are refused here, before anything is exported, quantized or registered.
"""

from __future__ import annotations

import importlib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.optimization import ModelSource
from edgedeploy.plugins.torch.examples import EXAMPLE_ARCH, build_digits_cnn


@dataclass(frozen=True, slots=True)
class LoadedModel:
    """A model in eval mode, ready to trace and export.

    Attributes:
        module: the ``torch.nn.Module``.
        name: a name for reports (the file stem).
        kind: ``checkpoint``, ``torchscript`` or ``exported-program``.
        trainable: False for TorchScript and exported programs, which cannot be fine-tuned here.
        input_shape: the declared input shape (batch first), when the file declares one.
    """

    module: Any
    name: str
    kind: str
    trainable: bool
    input_shape: tuple[int, ...] | None


def _import_class(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not attr:
        raise InvalidInput(f"module '{spec}' must be written 'package.module:Class'")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise InvalidInput(f"cannot import model class '{spec}': {exc}") from exc


def load_model(source: ModelSource) -> LoadedModel:
    """Load a TorchScript archive, an exported program or a checkpoint with a state dict.

    Raises:
        InvalidInput: the file is missing, corrupt, or its weights do not fit the class.
    """
    import torch

    path = Path(source.path)
    if not path.is_file():
        raise InvalidInput(f"model file {path} does not exist")
    name = path.stem
    if path.suffix == ".pt2":
        try:
            program = torch.export.load(str(path))
        except Exception as exc:  # torch raises many kinds for a bad archive
            raise InvalidInput(f"{path} is not a readable exported program: {exc}") from exc
        return LoadedModel(program.module(), name, "exported-program", False, None)
    if _is_torchscript(path):
        try:
            scripted = torch.jit.load(str(path), map_location="cpu")  # type: ignore[no-untyped-call]
        except Exception as exc:  # torch raises RuntimeError with C++ text
            raise InvalidInput(f"{path} is a corrupt TorchScript archive: {exc}") from exc
        return LoadedModel(scripted.eval(), name, "torchscript", False, None)
    try:
        checkpoint = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle garbage, foreign format
        raise InvalidInput(
            f"checkpoint {path} is corrupt or not a PyTorch checkpoint: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    return _from_checkpoint(checkpoint, source, path)


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith("constants.pkl") for n in archive.namelist())
    except zipfile.BadZipFile:
        return False


def _from_checkpoint(checkpoint: Any, source: ModelSource, path: Path) -> LoadedModel:
    if not isinstance(checkpoint, dict):
        raise InvalidInput(f"checkpoint {path} holds a {type(checkpoint).__name__}, "
                           "not a state dict")
    state = checkpoint.get("state_dict", checkpoint)
    shape = checkpoint.get("input_shape")
    if checkpoint.get("arch") == EXAMPLE_ARCH:
        module = build_digits_cnn(**checkpoint["config"])
    elif source.module:
        try:
            module = _import_class(source.module)(**dict(source.module_kwargs))
        except InvalidInput:
            raise
        except Exception as exc:  # the user's constructor
            raise InvalidInput(f"cannot construct {source.module}: {exc}") from exc
    else:
        raise InvalidInput(f"checkpoint {path} holds a bare state dict; name its class with "
                           "module='package.module:Class'")
    try:
        module.load_state_dict(state, strict=True)
    except Exception as exc:  # RuntimeError listing missing/unexpected keys and bad shapes
        raise InvalidInput(f"the weights in {path} do not fit the model: "
                           f"{str(exc).splitlines()[0]}") from exc
    return LoadedModel(module.eval(), path.stem, "checkpoint", True,
                       tuple(int(d) for d in shape) if shape else None)


@dataclass(frozen=True, slots=True)
class Dataset:
    """Calibration pool and held-out split as float32 inputs and int64 labels."""

    inputs: Any
    labels: Any
    heldout_inputs: Any
    heldout_labels: Any
    slices: Any | None = None


def load_dataset(path: str, *, input_shape: tuple[int, ...] | None, classes: int | None,
                 seed: int = 0) -> Dataset:
    """Read a ``.npz`` of calibration pool and held-out split.

    Keys: ``inputs`` and ``labels``, optionally ``heldout_inputs``, ``heldout_labels`` and
    ``slices`` (a tag per pool sample for stratification). Without a held-out split, a
    stratified 20 % of the pool is held out.

    Raises:
        InvalidInput: the file is unreadable, keys are missing, or shapes or types do not fit;
            the message names the file, the key and the shapes.
    """
    import numpy as np

    file = Path(path)
    if not file.is_file():
        raise InvalidInput(f"calibration data {file} does not exist")
    try:
        with np.load(file, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zipfile, pickle refusal, bad header
        raise InvalidInput(f"calibration data {file} is not a readable .npz: {exc}") from exc
    for key in ("inputs", "labels"):
        if key not in arrays:
            raise InvalidInput(f"calibration data {file} has no '{key}' array "
                               f"(found: {sorted(arrays)})")
    _check_pair(file, arrays, "inputs", "labels", input_shape, classes)
    if "heldout_inputs" in arrays or "heldout_labels" in arrays:
        _check_pair(file, arrays, "heldout_inputs", "heldout_labels", input_shape, classes)
        return Dataset(arrays["inputs"].astype(np.float32), arrays["labels"].astype(np.int64),
                       arrays["heldout_inputs"].astype(np.float32),
                       arrays["heldout_labels"].astype(np.int64), arrays.get("slices"))
    from edgedeploy.plugins.torch.examples import stratified_split

    keep, held = stratified_split(arrays["labels"], 0.2, seed)
    x, y = arrays["inputs"].astype(np.float32), arrays["labels"].astype(np.int64)
    slices = arrays.get("slices")
    return Dataset(x[keep], y[keep], x[held], y[held],
                   slices[keep] if slices is not None else None)


def _check_pair(file: Path, arrays: dict[str, Any], xkey: str, ykey: str,
                input_shape: tuple[int, ...] | None, classes: int | None) -> None:
    import numpy as np

    if xkey not in arrays or ykey not in arrays:
        raise InvalidInput(f"calibration data {file} has '{xkey}' or '{ykey}' without the other")
    x, y = arrays[xkey], arrays[ykey]
    for key, value in ((xkey, x), (ykey, y)):
        if not isinstance(value, np.ndarray):
            raise InvalidInput(f"calibration data {file}: '{key}' is not a NumPy array")
    if not np.issubdtype(x.dtype, np.floating):
        raise InvalidInput(f"calibration data {file}: '{xkey}' has dtype {x.dtype}, "
                           "expected floating point")
    if input_shape is not None and tuple(x.shape[1:]) != tuple(input_shape[1:]):
        raise InvalidInput(f"calibration data {file}: '{xkey}' has samples of shape "
                           f"{tuple(x.shape[1:])}, the model expects {tuple(input_shape[1:])}")
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise InvalidInput(f"calibration data {file}: '{ykey}' must be a 1-D integer array, "
                           f"got shape {y.shape} and dtype {y.dtype}")
    if len(x) != len(y):
        raise InvalidInput(f"calibration data {file}: {len(x)} '{xkey}' but {len(y)} '{ykey}'")
    if len(x) == 0:
        raise InvalidInput(f"calibration data {file}: '{xkey}' is empty")
    if not np.isfinite(x).all():
        raise InvalidInput(f"calibration data {file}: '{xkey}' contains NaN or Inf")
    if classes is not None and (y.min() < 0 or y.max() >= classes):
        raise InvalidInput(f"calibration data {file}: '{ykey}' has classes outside "
                           f"0..{classes - 1}")


def stratified_sample(labels: Any, n: int, seed: int, slices: Any | None = None) -> Any:
    """Indices of up to ``n`` samples drawn evenly over classes (and slice tags when given).

    Each stratum gets its proportional share, at least one sample, so that rare classes and
    rare operating conditions still shape the quantization ranges.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    keys = labels.astype(str) if slices is None else np.char.add(
        labels.astype(str), np.char.add("|", slices.astype(str)))
    strata = np.unique(keys)
    if n >= len(labels):
        return np.arange(len(labels))
    picked: list[int] = []
    for key in strata:
        members = np.flatnonzero(keys == key)
        share = max(1, round(n * len(members) / len(labels)))
        picked += rng.choice(members, size=min(share, len(members)), replace=False).tolist()
    return np.array(sorted(picked[:max(n, len(strata))]))
