"""Read monitoring windows and references from files: ``.npz``, ``.csv`` and ``.parquet``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from edgedeploy.application.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class FeatureTable:
    """Rows of features (or embeddings, or prediction outcomes) and the column names."""

    rows: np.ndarray
    feature_names: tuple[str, ...]


def read_feature_table(name: str, data: bytes, key: str | None = None) -> FeatureTable:
    """Parse a window file; the suffix of ``name`` selects the format.

    ``.npz``: the array ``key`` (default: ``features``, ``embeddings``, ``outcomes``,
    ``inputs`` or the only array; images are flattened) and optional ``feature_names``.
    ``.csv``: a header row of names, then numbers (empty cells read as NaN). ``.parquet``: every
    numeric column.

    Raises:
        InvalidInput: naming the file and what is wrong with it.
    """
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix == ".npz":
            return _npz(name, data, key)
        if suffix == ".csv":
            return _csv(name, data)
        if suffix == ".parquet":
            return _parquet(name, data)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"{name}: cannot be read as {suffix[1:]}: {exc}") from exc
    raise InvalidInput(f"{name}: windows are read from .npz, .csv or .parquet files, "
                       f"not '{suffix or 'no suffix'}'", code="WINDOW_FORMAT_UNKNOWN")


def _named(rows: np.ndarray, names: tuple[str, ...] | None, name: str) -> FeatureTable:
    if rows.ndim == 1:
        rows = rows.reshape(-1, 1)
    if rows.ndim > 2:
        rows = rows.reshape(rows.shape[0], -1)
    width = rows.shape[1]
    if names is None or len(names) != width:
        names = tuple(f"f{i}" for i in range(width))
    if rows.shape[0] == 0:
        raise InvalidInput(f"{name}: holds no rows")
    return FeatureTable(np.asarray(rows, dtype=np.float64), names)


def _npz(name: str, data: bytes, key: str | None) -> FeatureTable:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        keys = [k for k in archive.files if k != "feature_names"]
        candidates = [key] if key else [k for k in ("features", "embeddings", "outcomes",
                                                    "inputs") if k in keys]
        if not candidates and len(keys) == 1:
            candidates = keys
        if not candidates or candidates[0] not in archive.files:
            raise InvalidInput(f"{name}: no array named {key or 'features'} (arrays: "
                               f"{', '.join(archive.files)})")
        rows = archive[candidates[0]]
        names = (tuple(str(n) for n in archive["feature_names"])
                 if "feature_names" in archive.files else None)
    return _named(rows, names, name)


def _csv(name: str, data: bytes) -> FeatureTable:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = next(reader, None)
    if not header:
        raise InvalidInput(f"{name}: the header row is missing")
    rows = []
    for line, record in enumerate(reader, start=2):
        if len(record) != len(header):
            raise InvalidInput(f"{name}, line {line}: {len(record)} values for "
                               f"{len(header)} columns")
        try:
            rows.append([float(v) if v.strip() else np.nan for v in record])
        except ValueError as exc:
            raise InvalidInput(f"{name}, line {line}: {exc}") from exc
    return _named(np.array(rows, dtype=np.float64), tuple(h.strip() for h in header), name)


def _parquet(name: str, data: bytes) -> FeatureTable:
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(data))
    columns = [c for c in table.column_names
               if str(table.schema.field(c).type).startswith(("int", "uint", "float", "double",
                                                              "bool"))]
    if not columns:
        raise InvalidInput(f"{name}: has no numeric columns")
    rows = np.column_stack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float64)
                            for c in columns])
    return _named(rows, tuple(columns), name)
