"""Reading users' models and calibration data, refusing what cannot be trusted with a clear error.

A corrupt checkpoint, a state dict whose keys do not match its class, or calibration data of the
wrong shape or type are refused here, before anything is exported, quantized or registered.

Every model file is treated as hostile: pickle-based files (checkpoints, TorchScript archives,
exported programs) are scanned with picklescan before anything is loaded, a file importing a
dangerous global is refused naming it, and nothing is ever unpickled outside PyTorch's
weights-only unpickler, so loading a model cannot run code shipped inside it.
"""

from __future__ import annotations

import importlib
import io
import types
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.optimization.optimize import UnsafeModelFile
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
    scan: what the pickle scan of the file found, recorded as evidence on the model version.
    """

    module: Any
    name: str
    kind: str
    trainable: bool
    input_shape: tuple[int, ...] | None
    scan: ModelFileScan | None = None


@dataclass(frozen=True, slots=True)
class ModelFileScan:
    """The globals a model file's pickles import, as picklescan classifies them.

    Attributes:
        scanner: the scanner and its version, so the evidence says what judged the file.
        pickles: how many pickle streams were found and scanned (nested archives included).
        dangerous: ``module.name`` of every global picklescan calls dangerous.
        suspicious: globals it does not know (TorchScript's own classes, user classes).
        innocuous: globals on its safe list (tensor rebuilders, storages).
    """

    scanner: str
    pickles: int
    dangerous: tuple[str, ...] = field(default=())
    suspicious: tuple[str, ...] = field(default=())
    innocuous: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> str:
        """``clean`` or ``dangerous``: a dangerous file never gets past the loader."""
        return "dangerous" if self.dangerous else "clean"

    def to_dict(self) -> dict[str, Any]:
        """The scan as plain data for ``export_report.json`` and the model's evidence."""
        return {"scanner": self.scanner, "verdict": self.verdict, "pickles": self.pickles,
                "dangerous": list(self.dangerous), "suspicious": list(self.suspicious),
                "innocuous": list(self.innocuous)}


_NESTING_LIMIT = 4
"""Archives inside archives deeper than this are refused rather than walked (zip bombs)."""


def scan_model_file(path: Path) -> ModelFileScan:
    """Scan every pickle stream in ``path`` (and in archives nested inside it) with picklescan.

    PyTorch files are zip archives of pickles, and an exported program holds further
    ``torch.save`` archives inside it; picklescan alone looks one level deep, so nested
    archives are walked here.

    Raises:
        InvalidInput: the file cannot be read, or nests archives deeper than is plausible.
    """
    from importlib.metadata import version

    from picklescan.scanner import SafetyLevel, ScanResult

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"model file {path} cannot be read: {exc}") from exc
    result = ScanResult([])
    try:
        _scan_bytes(data, str(path), result, 0)
    except InvalidInput:
        raise
    except Exception as exc:  # picklescan's own errors on bytes that are no pickle at all
        raise InvalidInput(f"model file {path} is corrupt: its pickles cannot be read "
                           f"({type(exc).__name__}: {exc})") from exc
    found: dict[SafetyLevel, set[str]] = {level: set() for level in SafetyLevel}
    for item in result.globals:
        found[item.safety].add(f"{item.module}.{item.name}")
    return ModelFileScan(
        scanner=f"picklescan {version('picklescan')}", pickles=int(result.scanned_files),
        dangerous=tuple(sorted(found[SafetyLevel.Dangerous])),
        suspicious=tuple(sorted(found[SafetyLevel.Suspicious])),
        innocuous=tuple(sorted(found[SafetyLevel.Innocuous])))


def _scan_bytes(data: bytes, name: str, result: Any, depth: int) -> None:
    from picklescan.scanner import scan_pickle_bytes, scan_pytorch

    if depth > _NESTING_LIMIT:
        raise InvalidInput(f"model file {name} nests archives more than {_NESTING_LIMIT} deep")
    if zipfile.is_zipfile(io.BytesIO(data)):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [(m, archive.read(m)) for m in archive.namelist()
                           if not m.endswith("/")]
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
            raise InvalidInput(f"model file {name} is a corrupt archive: {exc}") from exc
        for member, content in members:
            _scan_bytes(content, f"{name}:{member}", result, depth + 1)
        return
    if depth == 0:
        # A legacy (non-zip) torch.save file is a sequence of pickles.
        try:
            result.merge(scan_pytorch(io.BytesIO(data), name))
        except Exception:  # picklescan's InvalidMagicError: not a legacy checkpoint
            result.merge(scan_pickle_bytes(io.BytesIO(data), name))
        return
    if data[:1] == b"\x80" or name.endswith((".pkl", ".pickle")):
        result.merge(scan_pickle_bytes(io.BytesIO(data), name))


def refuse_unsafe(path: Path, scan: ModelFileScan,
                  allowed: frozenset[str] | None = None) -> None:
    """Refuse a file whose pickles import dangerous globals, or any outside ``allowed``.

    Raises:
        UnsafeModelFile: naming the first offending global and counting the others.
    """
    offending = list(scan.dangerous)
    if allowed is not None:
        offending += [g for g in (*scan.suspicious, *scan.innocuous) if g not in allowed]
    if offending:
        raise UnsafeModelFile(str(path), offending)


def weights_only_globals() -> frozenset[str]:
    """``module.name`` of every global PyTorch's weights-only unpickler accepts.

    Its built-in allowlist plus what the user registered with
    ``torch.serialization.add_safe_globals``.
    """
    import torch
    from torch import _weights_only_unpickler

    allowed = set(_weights_only_unpickler._get_allowed_globals())
    for item in torch.serialization.get_safe_globals():
        target = item[0] if isinstance(item, tuple) else item
        allowed.add(f"{target.__module__}.{target.__qualname__}")
    return frozenset(allowed)


def load_exported_program(path: Path) -> tuple[Any, ModelFileScan]:
    """Scan and load a ``.pt2`` exported program without unpickling anything but tensors.

    Raises:
        UnsafeModelFile: the archive's pickles import a global that PyTorch's weights-only
            unpickler would refuse.
        InvalidInput: the archive is corrupt or not an exported program.
    """
    import torch

    if not zipfile.is_zipfile(path):
        raise InvalidInput(f"{path} is not a readable exported program: not a .pt2 archive")
    scan = scan_model_file(path)
    # torch.export.load unpickles with weights_only=False; allowing only the globals the
    # weights-only unpickler accepts makes that load exactly as safe as a weights-only one.
    refuse_unsafe(path, scan, weights_only_globals())
    try:
        program = torch.export.load(str(path))
    except Exception as exc:  # torch raises many kinds for a bad or refused archive
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidInput(f"{path} is not a readable exported program: {first[:300]}") from exc
    return program, scan


def exported_module(program: Any) -> Any:
    """The exported program as a module that ``eval()``, ``train()`` and the exporter accept.

    ``ExportedProgram.module()`` refuses ``train()``/``eval()`` (its graph is frozen in the
    mode it was exported in, so the flags change nothing) and exposes an FX graph the ONNX
    exporter mistakes for a TorchScript one; restoring the ordinary methods and wrapping it
    in a plain module makes it look like any other model.
    """
    from torch import nn

    graph_module = program.module()
    for name in ("train", "eval"):
        setattr(graph_module, name, types.MethodType(getattr(nn.Module, name), graph_module))

    class ExportedProgramModule(nn.Module):
        """A plain module around an exported program's graph module."""

        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.program = inner

        def forward(self, *args: Any) -> Any:
            """Run the exported graph."""
            return self.program(*args)

    return ExportedProgramModule(graph_module).eval()


def _program_input_shape(program: Any) -> tuple[int, ...] | None:
    user_inputs = set(program.graph_signature.user_inputs)
    for node in program.graph.nodes:
        if node.op == "placeholder" and node.name in user_inputs:
            value = node.meta.get("val")
            dims = tuple(getattr(value, "shape", ()))
            if len(dims) < 2:
                return None
            try:
                return (1, *(int(d) for d in dims[1:]))
            except TypeError:  # a symbolic dimension beyond the batch
                return None
    return None


def _import_class(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not attr or not module_name:
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
        program, scan = load_exported_program(path)
        return LoadedModel(exported_module(program), name, "exported-program", False,
                           _program_input_shape(program), scan)
    scan = scan_model_file(path)
    refuse_unsafe(path, scan)
    if _is_torchscript(path):
        try:
            scripted = torch.jit.load(str(path), map_location="cpu")  # type: ignore[no-untyped-call]
        except Exception as exc:  # torch raises RuntimeError with C++ text
            raise InvalidInput(f"{path} is a corrupt TorchScript archive: {exc}") from exc
        return LoadedModel(scripted.eval(), name, "torchscript", False, None, scan)
    try:
        checkpoint = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle garbage, foreign format
        raise InvalidInput(
            f"checkpoint {path} is corrupt or not a PyTorch checkpoint: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    loaded = _from_checkpoint(checkpoint, source, path)
    return LoadedModel(loaded.module, loaded.name, loaded.kind, loaded.trainable,
                       loaded.input_shape, scan)


def load_for_inspection(path: Path) -> tuple[LoadedModel | None, ModelFileScan, str]:
    """Load a PyTorch file as optimization will, without the class a bare state dict needs.

    The same scan, refusals and weights-only loads as ``load_model``. Returns the model when
    the file itself defines it (TorchScript, exported program, edgedeploy's checkpoints), else
    None; then the scan and what the file holds, in words.

    Raises:
        UnsafeModelFile: the file's pickles import a dangerous global.
        InvalidInput: the file is corrupt or holds no state dict.
    """
    import torch

    if path.suffix == ".pt2":
        program, scan = load_exported_program(path)
        return (LoadedModel(exported_module(program), path.stem, "exported-program", False,
                            _program_input_shape(program), scan), scan, "an exported program")
    scan = scan_model_file(path)
    refuse_unsafe(path, scan)
    if _is_torchscript(path):
        try:
            scripted = torch.jit.load(str(path), map_location="cpu")  # type: ignore[no-untyped-call]
        except Exception as exc:  # torch raises RuntimeError with C++ text
            raise InvalidInput(f"{path} is a corrupt TorchScript archive: {exc}") from exc
        return (LoadedModel(scripted.eval(), path.stem, "torchscript", False, None, scan), scan,
                "a TorchScript archive")
    try:
        checkpoint = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, pickle garbage, foreign format
        raise InvalidInput(
            f"checkpoint {path} is corrupt or not a PyTorch checkpoint: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    if isinstance(checkpoint, dict) and checkpoint.get("arch") == EXAMPLE_ARCH:
        loaded = _from_checkpoint(checkpoint, ModelSource(str(path)), path)
        return (LoadedModel(loaded.module, loaded.name, loaded.kind, loaded.trainable,
                            loaded.input_shape, scan), scan, "an edgedeploy checkpoint")
    if not isinstance(checkpoint, dict):
        raise InvalidInput(f"checkpoint {path} holds a {type(checkpoint).__name__}, "
                           "not a state dict")
    state = checkpoint.get("state_dict", checkpoint)
    tensors = sum(1 for v in state.values() if isinstance(v, torch.Tensor)) \
        if isinstance(state, dict) else 0
    return None, scan, f"a state dict of {tensors} tensors, whose class is named at optimization"


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
