"""The input guard of a deployed model: the domain's ``InputContract`` on arrays (ML-AEB-005).

The rule (shape, dtype, finiteness, value range) lives in ``edgedeploy.domain.input_contract``;
this module
only summarizes a NumPy batch for it and wraps an inference session so that every batch is
checked before the runtime sees it. The verifier probes the guarded session with malformed
batches and records how each was handled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from edgedeploy.application.ports.inference import InferenceSession, TensorSpec
from edgedeploy.domain.input_contract import (
    DEFAULT_RANGE_MARGIN,
    InputContract,
    InputRejected,
    InputSummary,
)
from edgedeploy.domain.verification import InputValidationCase


def summarize(batch: Any) -> InputSummary:
    """Shape, dtype, NaN/Inf count and finite value range of an array (anything array-like)."""
    import numpy as np

    array = np.asarray(batch)
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        return InputSummary(tuple(array.shape), str(array.dtype), 0, None, None)
    if np.issubdtype(array.dtype, np.inexact):
        finite = np.isfinite(array)
        nonfinite = int(array.size - np.count_nonzero(finite))
        values = array[finite] if nonfinite else array
    else:
        nonfinite, values = 0, array
    if values.size == 0:
        return InputSummary(tuple(array.shape), str(array.dtype), nonfinite, None, None)
    return InputSummary(tuple(array.shape), str(array.dtype), nonfinite, float(values.min()),
                        float(values.max()))


def contract_for(spec: TensorSpec, reference: Any,
                 margin: float = DEFAULT_RANGE_MARGIN) -> InputContract:
    """The contract for a model input, from its spec and the reference data's value range.

    The spec's shape wins where it states a dimension; where it has none (an unknown rank), the
    reference data's sample shape is used. The batch dimension is always dynamic.

    Raises:
        InvalidInputContract: the reference data holds no finite value.
    """
    summary = summarize(reference)
    rank_known = len(spec.shape) == len(summary.shape)
    shape: tuple[int | None, ...] = spec.shape if rank_known else summary.shape
    dtype = spec.dtype if not spec.dtype.startswith("tensor(") else summary.dtype
    lowest = summary.lowest if summary.lowest is not None else float("nan")
    highest = summary.highest if summary.highest is not None else float("nan")
    return InputContract.from_observed_range(shape, dtype, lowest, highest, margin)


class GuardedSession:
    """An inference session that refuses, before inference, any batch that breaks the contract.

    Only the first input is guarded: the contract describes one tensor, and the models this
    project deploys take one.
    """

    def __init__(self, session: InferenceSession, contract: InputContract,
                 summarize_batch: Callable[[Any], InputSummary] = summarize) -> None:
        self._session, self.contract, self._summarize = session, contract, summarize_batch
        self.inputs = session.inputs
        self.outputs = session.outputs

    def check(self, batch: Any) -> None:
        """Refuse ``batch`` when it breaks the contract.

        Raises:
            InputRejected: naming every violation.
        """
        self.contract.enforce(self._summarize(batch))

    def run(self, feeds: Mapping[str, Any]) -> dict[str, Any]:
        """Check the guarded input, then run the session.

        Raises:
            InputRejected: the batch breaks the contract; the runtime never saw it.
        """
        name = self.inputs[0].name
        if name in feeds:
            self.check(feeds[name])
        return self._session.run(feeds)

    def close(self) -> None:
        """Close the wrapped session."""
        self._session.close()


def malformed_batches(valid: Any, contract: InputContract) -> dict[str, tuple[Any, bool]]:
    """Probes for the guard: name -> (batch, must be rejected), built from a valid batch.

    One valid batch, and one batch each with a wrong shape, a NaN, an Inf, a value far above
    and far below the accepted range, and a wrong element type.
    """
    import numpy as np

    x = np.ascontiguousarray(valid)
    width = max(contract.max_value - contract.min_value, 1.0)

    def poked(value: float) -> Any:
        copy = x.copy()
        copy.flat[0] = value
        return copy

    shape_off = x[..., :-1] if x.ndim >= 2 and x.shape[-1] > 1 else x[..., None]
    other = np.float64 if x.dtype != np.float64 else np.float32
    return {
        "valid_batch": (x, False),
        "wrong_shape": (np.ascontiguousarray(shape_off), True),
        "nan": (poked(float("nan")), True),
        "inf": (poked(float("inf")), True),
        "far_above_range": (poked(contract.max_value + 10 * width), True),
        "far_below_range": (poked(contract.min_value - 10 * width), True),
        "wrong_dtype": (x.astype(other), True),
    }


def probe_guard(session: GuardedSession, valid: Any) -> tuple[InputValidationCase, ...]:
    """Run every probe through the guarded session and record how each was handled.

    A probe counts as rejected only when the guard refused it: a runtime that fails on a batch
    the guard let through has classified nothing, but it has not reported a contract violation
    either, which is what ML-AEB-005 asks for. A valid batch on which the runtime fails counts
    as rejected, so that case fails.
    """
    import numpy as np

    from edgedeploy.application.errors import ApplicationError

    name = session.inputs[0].name
    cases: list[InputValidationCase] = []
    for case, (batch, must_reject) in malformed_batches(valid, session.contract).items():
        try:
            out = session.run({name: batch})
        except InputRejected as exc:
            cases.append(InputValidationCase(case, must_reject, True, str(exc)))
            continue
        except ApplicationError as exc:
            verdict = "must be rejected by the guard" if must_reject else "valid batch"
            cases.append(InputValidationCase(
                case, must_reject, not must_reject,
                f"accepted by the guard, then the runtime failed ({verdict}): {exc}"))
            continue
        first = np.asarray(next(iter(out.values())))
        cases.append(InputValidationCase(
            case, must_reject, False,
            f"accepted and classified: output shape {tuple(first.shape)}"))
    return tuple(cases)
