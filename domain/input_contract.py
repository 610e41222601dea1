"""The input contract of a deployed model: what the perception component may classify (ML-AEB-005).

A frame whose shape, element type, finiteness or value range does not match the model's
specification must be reported, never classified: a NaN from a broken sensor or an image still in
0-255 after a missed normalization would otherwise produce a confident but meaningless class.
The contract is derived at verification time from the model's input spec and the value range of
the reference data, written into the verification report, and enforced by whatever runs the model
(the verifier's guarded session today, an edge agent later). The check of an array happens where
arrays live (a plugin); this module holds the rule, judged on a summary of the array.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from edgedeploy.domain.errors import InvariantViolation

DEFAULT_RANGE_MARGIN = 0.5
"""Share of the observed value range tolerated beyond each end of it.

Wide enough for sensor noise well past the robustness requirement's 0.1 (5 standard deviations),
narrow enough to reject data in another unit or scale (e.g. 0-255 pixels for a 0-1 model).
"""


class InvalidInputContract(InvariantViolation):
    """A contract that no input could satisfy or that describes no tensor."""

    code = "INPUT_CONTRACT_INVALID"


class InputRejected(InvariantViolation):
    """An input broke the contract; the message lists every violation (ML-AEB-005)."""

    code = "INPUT_REJECTED"


@dataclass(frozen=True, slots=True)
class InputSummary:
    """What the rule needs to know about one input batch, computed where the array lives.

    Attributes:
        shape: the batch's shape.
        dtype: its element type, NumPy spelling (``float32``).
        nonfinite: count of NaN or Inf values.
        lowest, highest: the smallest and largest finite values, None when there are none.
    """

    shape: tuple[int, ...]
    dtype: str
    nonfinite: int
    lowest: float | None
    highest: float | None


@dataclass(frozen=True, slots=True)
class InputContract:
    """Shape, element type and accepted value range of a model input (ML-AEB-005).

    Attributes:
        shape: expected shape; ``None`` marks a dynamic dimension (the batch).
        dtype: expected element type, NumPy spelling.
        min_value, max_value: accepted value bounds, inclusive (the observed data range widened
            by a margin, see :meth:`from_observed_range`).
    """

    shape: tuple[int | None, ...]
    dtype: str
    min_value: float
    max_value: float

    def __post_init__(self) -> None:
        if not self.shape:
            raise InvalidInputContract("an input contract needs at least one dimension")
        if any(d is not None and (not isinstance(d, int) or d <= 0) for d in self.shape):
            raise InvalidInputContract(f"dimensions must be positive or dynamic, got {self.shape}")
        if not self.dtype:
            raise InvalidInputContract("an input contract needs an element type")
        if not (math.isfinite(self.min_value) and math.isfinite(self.max_value)):
            raise InvalidInputContract("the accepted value range must be finite")
        if self.min_value > self.max_value:
            raise InvalidInputContract(
                f"min_value {self.min_value:g} is above max_value {self.max_value:g}")

    @classmethod
    def from_observed_range(cls, shape: Sequence[int | None], dtype: str, lowest: float,
                            highest: float,
                            margin: float = DEFAULT_RANGE_MARGIN) -> InputContract:
        """The contract for data seen between ``lowest`` and ``highest``.

        Each bound moves out by ``margin`` times the observed range (or by ``margin`` itself
        when every value was the same), so realistic noise passes and another scale does not.
        The first dimension is made dynamic: the batch size is the caller's choice.

        Raises:
            InvalidInputContract: the range is not finite or the margin is negative.
        """
        if not (math.isfinite(margin) and margin >= 0):
            raise InvalidInputContract("the range margin must be a finite share >= 0")
        if not (math.isfinite(lowest) and math.isfinite(highest)):
            raise InvalidInputContract("the observed value range must be finite")
        width = highest - lowest
        pad = margin * width if width > 0 else margin
        dims: tuple[int | None, ...] = (None, *tuple(shape)[1:])
        return cls(dims, dtype, lowest - pad, highest + pad)

    def violations(self, summary: InputSummary) -> tuple[str, ...]:
        """Every way ``summary`` breaks the contract; empty when the input is acceptable."""
        found: list[str] = []
        if len(summary.shape) != len(self.shape) or any(
                want is not None and got != want for got, want in zip(summary.shape, self.shape,
                                                                       strict=False)):
            found.append(f"shape {_dims(summary.shape)} does not match {_dims(self.shape)}")
        if summary.dtype != self.dtype:
            found.append(f"dtype {summary.dtype} is not {self.dtype}")
        if summary.nonfinite:
            found.append(f"{summary.nonfinite} NaN/Inf values")
        if summary.lowest is not None and summary.lowest < self.min_value:
            found.append(f"value {summary.lowest:g} below the accepted minimum "
                         f"{self.min_value:g}")
        if summary.highest is not None and summary.highest > self.max_value:
            found.append(f"value {summary.highest:g} above the accepted maximum "
                         f"{self.max_value:g}")
        return tuple(found)

    def enforce(self, summary: InputSummary) -> None:
        """Refuse an input that breaks the contract.

        Raises:
            InputRejected: naming every violation.
        """
        found = self.violations(summary)
        if found:
            raise InputRejected("input rejected: " + "; ".join(found))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for reports and for an edge agent to enforce (``null`` = dynamic)."""
        return {"shape": list(self.shape), "dtype": self.dtype, "min": self.min_value,
                "max": self.max_value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InputContract:
        """Read a contract back from :meth:`to_dict`'s form.

        Raises:
            InvalidInputContract: a key is missing or a value is unusable.
        """
        try:
            return cls(tuple(None if d is None else int(d) for d in data["shape"]),
                       str(data["dtype"]), float(data["min"]), float(data["max"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInputContract(f"unreadable input contract: {exc!r}") from exc


def _dims(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("N" if d is None else str(d) for d in shape) + ")"
