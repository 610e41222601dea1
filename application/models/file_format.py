"""Which format a model file is in, read from its first bytes before its name.

The bytes come first because the name can mislead: an optimized ONNX model is registered under
the name of the PyTorch checkpoint it was built from. Protobuf has no magic number, but every
ONNX writer puts ``ir_version`` (field 1, a varint: byte ``0x08``) first, and PyTorch files
are zip archives or pickles. A name with a model suffix declares the format when the bytes do
not say, so a damaged ``.onnx`` file is inspected as ONNX and refused rather than let through.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePath

from edgedeploy.application.ports.model_files import ModelFormat

_ZIP_MAGIC, _PICKLE_PROTOCOL, _ONNX_IR_VERSION_TAG = b"PK\x03\x04", b"\x80", b"\x08"
_SUFFIXES = {
    ".onnx": ModelFormat.ONNX,
    ".pt2": ModelFormat.EXPORTED_PROGRAM,
    ".pt": ModelFormat.PYTORCH, ".pth": ModelFormat.PYTORCH, ".ckpt": ModelFormat.PYTORCH,
    ".ts": ModelFormat.PYTORCH, ".torchscript": ModelFormat.PYTORCH,
}


def model_format(data: bytes, name: str = "") -> ModelFormat:
    """The format ``data`` is to be inspected as; ``UNKNOWN`` when neither bytes nor name say.

    Any ``.pt``-like name over bytes that are neither zip nor pickle is still ``PYTORCH``, so
    the inspection refuses it instead of registering it unchecked.
    """
    suffix = PurePath(name).suffix.lower() if name else ""
    if data.startswith(_ZIP_MAGIC):
        return (ModelFormat.EXPORTED_PROGRAM
                if suffix == ".pt2" or _is_exported_program(data) else ModelFormat.PYTORCH)
    if data.startswith(_PICKLE_PROTOCOL):
        return ModelFormat.PYTORCH
    if data.startswith(_ONNX_IR_VERSION_TAG):
        return ModelFormat.ONNX
    return _SUFFIXES.get(suffix, ModelFormat.UNKNOWN)


def _is_exported_program(data: bytes) -> bool:
    # torch.export.save writes ``<archive>/archive_format``; TorchScript and checkpoints do not.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(n.endswith("/archive_format") for n in archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return False
