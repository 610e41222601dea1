"""Model packages in a directory: ``<root>/<name>@<version>/manifest.json`` + the model file."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgedeploy.application.edge.package import GoldenCase, ModelPackage
from edgedeploy.application.errors import InvalidInput
from edgedeploy.application.ports.inference import TensorSpec
from edgedeploy.domain.errors import NotFound
from edgedeploy.domain.models import ModelRef

_DTYPES = {"float32": np.float32, "float64": np.float64, "float16": np.float16,
           "int64": np.int64, "int32": np.int32, "int8": np.int8, "uint8": np.uint8,
           "bool": np.bool_}


def sha256_file(path: str | Path) -> str:
    """``sha256:<hex>`` of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _spec(data: Mapping[str, Any]) -> TensorSpec:
    return TensorSpec(str(data["name"]), tuple(None if d is None else int(d)
                                               for d in data["shape"]), str(data["dtype"]))


def _spec_dict(spec: TensorSpec) -> dict[str, Any]:
    return {"name": spec.name, "shape": list(spec.shape), "dtype": spec.dtype}


class DirectoryPackageSource:
    """:class:`edgedeploy.application.edge.ports.PackageSource` over a local repository directory.

    Golden tensors are stored as JSON lists and turned into NumPy arrays of the contract's
    dtype, the tensor type the first-party backends take.
    """

    def __init__(self, root: Path) -> None:
        self._root = root

    def get(self, model: ModelRef) -> ModelPackage:
        """Read a package's manifest.

        Raises:
            NotFound: the repository holds no package for ``model``.
            InvalidInput: the manifest is unreadable.
        """
        folder = self._root / str(model)
        manifest = folder / "manifest.json"
        if not manifest.exists():
            raise NotFound(f"no package for {model} under {self._root}",
                           code="EDGE_PACKAGE_NOT_FOUND")
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            inputs = tuple(_spec(s) for s in data["inputs"])
            outputs = tuple(_spec(s) for s in data["outputs"])
            dtypes = {s.name: _DTYPES.get(s.dtype, np.float32) for s in inputs + outputs}
            golden = tuple(
                GoldenCase({k: np.asarray(v, dtype=dtypes.get(k)) for k, v in
                            case["inputs"].items()},
                           {k: np.asarray(v, dtype=dtypes.get(k)) for k, v in
                            case["outputs"].items()},
                           float(case.get("tolerance", 1e-4)))
                for case in data.get("golden", ()))
            path = folder / data["file"]
            return ModelPackage(model, str(data["digest"]), str(path),
                                path.stat().st_size if path.exists() else 1, inputs, outputs,
                                golden, data.get("p99_budget_ms"))
        except (KeyError, ValueError, TypeError, OSError) as exc:
            raise InvalidInput(f"package manifest {manifest} unreadable: {exc}") from exc

    def file_digest(self, path: str) -> str:
        """The SHA-256 of the file as it is on disk now."""
        try:
            return sha256_file(path)
        except OSError:
            return "sha256:" + "0" * 64


def write_package(root: Path, model: ModelRef, model_file: Path,
                  inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec],
                  golden: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]] = (),
                  *, tolerance: float = 1e-4, p99_budget_ms: float | None = None,
                  digest: str | None = None) -> str:
    """Put a model file and its manifest into a repository; returns the registry digest.

    ``digest`` overrides the recorded digest (the registry's); by default it is the file's.
    """
    folder = root / str(model)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / model_file.name
    if model_file.resolve() != target.resolve():
        shutil.copyfile(model_file, target)
    recorded = digest or sha256_file(target)
    manifest = {
        "model": str(model), "digest": recorded, "file": target.name,
        "inputs": [_spec_dict(s) for s in inputs], "outputs": [_spec_dict(s) for s in outputs],
        "golden": [{"inputs": {k: np.asarray(v).tolist() for k, v in gi.items()},
                    "outputs": {k: np.asarray(v).tolist() for k, v in go.items()},
                    "tolerance": tolerance} for gi, go in golden],
        "p99_budget_ms": p99_budget_ms}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return recorded
