"""What each reference column holds, detected from its values, unless the user says otherwise.

The kind decides the test (:mod:`edgedeploy.adapters.drift.univariate`) and the data-quality
rules (:class:`edgedeploy.domain.drift_policy.DataQualityPolicy`):

* one value throughout: ``constant``;
* whole numbers only: ``count`` (event counts, 8-/10-bit sensor codes);
* a pile of at least ``BOUND_SHARE`` of the rows on the smallest or largest value, with other
  values spread between: ``bounded`` (a sensor saturating at its limit, a clipped score);
* otherwise ``continuous``.

``categorical`` is never guessed: codes look like counts, and only the user knows that their
order means nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from edgedeploy.application.errors import InvalidInput
from edgedeploy.domain.drift import ColumnKind, ColumnProfile

Matrix = npt.NDArray[np.float64]

BOUND_SHARE = 0.02
"""Share of rows on an extreme value from which a column counts as bounded."""
TABLE_LEVELS = 20
"""Columns with at most this many distinct reference values are compared as frequency tables."""


def column_profile(column: Matrix, name: str, declared: ColumnKind | None = None,
                   ) -> ColumnProfile:
    """Profile one reference column (finite values only)."""
    values, counts = np.unique(column, return_counts=True)
    n = int(counts.sum())
    if n == 0:
        raise InvalidInput(f"column {name} holds no values")
    top_share = float(counts.max()) / n
    low, high = float(values[0]), float(values[-1])
    if len(values) == 1:
        kind = ColumnKind.CONSTANT  # a single value cannot be tested, whatever was declared
    elif declared is not None:
        kind = declared
    elif np.all(values == np.round(values)):
        kind = ColumnKind.COUNT
    elif len(values) > 2 and max(counts[0], counts[-1]) / n >= BOUND_SHARE:
        kind = ColumnKind.BOUNDED
    else:
        kind = ColumnKind.CONTINUOUS
    return ColumnProfile(name, kind, len(values), top_share, low, high,
                         declared is not None and kind is declared)


def profile_columns(data: Matrix, names: Sequence[str],
                    declared: Mapping[str, ColumnKind] | None = None,
                    ) -> tuple[ColumnProfile, ...]:
    """Profile every column of a clean reference.

    Raises:
        InvalidInput: a declared kind names a column that does not exist.
    """
    given = dict(declared or {})
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise InvalidInput(f"column kinds are given for {', '.join(unknown)}, which "
                           f"{'is' if len(unknown) == 1 else 'are'} not among the columns "
                           f"({', '.join(names[:10])}{'…' if len(names) > 10 else ''})",
                           code="DRIFT_COLUMN_UNKNOWN")
    return tuple(column_profile(data[:, j], name, given.get(name))
                 for j, name in enumerate(names))


def tabled(column: ColumnProfile) -> bool:
    """Whether a column is compared as a frequency table rather than by rank tests."""
    return column.kind is ColumnKind.CATEGORICAL or (
        column.kind is not ColumnKind.CONSTANT and column.distinct <= TABLE_LEVELS)
