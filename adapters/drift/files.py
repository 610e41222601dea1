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
    named: bool = True
    """False when the file gave no column names (``f0``, ``f1``, ... stand in)."""


def read_feature_table(name: str, data: bytes, key: str | None = None, *,
                       header: bool = True) -> FeatureTable:
    """Parse a window file; the suffix of ``name`` selects the format.

    ``.npz``: the array ``key`` (default: ``features``, ``embeddings``, ``outcomes``,
    ``inputs`` or the only array; images are flattened) and optional ``feature_names``.
    ``.csv``: a header row of names, then numbers (empty cells read as NaN); with
    ``header=False`` every row is data. A header row made only of numbers is refused, since it
    is almost certainly a data row that would silently be lost. ``.parquet``: every numeric
    column.

    Raises:
        InvalidInput: naming the file and what is wrong with it.
    """
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix == ".npz":
            return _npz(name, data, key)
        if suffix == ".csv":
            return _csv(name, data, header)
        if suffix == ".parquet":
            return _parquet(name, data)
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(f"{name}: cannot be read as {suffix[1:]}: {exc}") from exc
    raise InvalidInput(f"{name}: windows are read from .npz, .csv or .parquet files, "
                       f"not '{suffix or 'no suffix'}'", code="WINDOW_FORMAT_UNKNOWN")


def _numeric(cells: list[str]) -> bool:
    try:
        [float(c) for c in cells if c.strip()]
    except ValueError:
        return False
    return any(c.strip() for c in cells)


def _named(rows: np.ndarray, names: tuple[str, ...] | None, name: str) -> FeatureTable:
    if rows.ndim == 1:
        rows = rows.reshape(-1, 1)
    if rows.ndim > 2:
        rows = rows.reshape(rows.shape[0], -1)
    width = rows.shape[1]
    named = names is not None and len(names) == width
    if not named:
        names = tuple(f"f{i}" for i in range(width))
    if rows.shape[0] == 0:
        raise InvalidInput(f"{name}: holds no rows")
    return FeatureTable(np.asarray(rows, dtype=np.float64), tuple(names or ()), named)


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


def _csv(name: str, data: bytes, header: bool = True) -> FeatureTable:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    first = next(reader, None)
    if not first:
        raise InvalidInput(f"{name}: the file is empty" if not header
                           else f"{name}: the header row is missing")
    if header and _numeric(first):
        raise InvalidInput(f"{name}: the first row holds only numbers, so it is data, not a "
                           f"header of column names; pass --no-header (header=false) for a "
                           f"file without one", code="WINDOW_HEADER_MISSING")
    width = len(first)
    records = reader if header else [first, *reader]
    rows = []
    for line, record in enumerate(records, start=2 if header else 1):
        if len(record) != width:
            raise InvalidInput(f"{name}, line {line}: {len(record)} values for "
                               f"{width} columns")
        try:
            rows.append([float(v) if v.strip() else np.nan for v in record])
        except ValueError as exc:
            raise InvalidInput(f"{name}, line {line}: {exc}") from exc
    names = tuple(h.strip() for h in first) if header else None
    return _named(np.array(rows, dtype=np.float64), names, name)


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
