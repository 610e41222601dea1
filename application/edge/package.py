"""What an edge agent needs to install a model version safely, and the checks before commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from edgedeploy.application.ports.inference import TensorSpec
from edgedeploy.domain.errors import Conflict
from edgedeploy.domain.models import ModelRef


class VerificationFailed(Conflict):
    """A model version failed a check before commit; the agent keeps what it serves."""

    code = "EDGE_VERIFICATION_FAILED"


class SwapRefused(Conflict):
    """A swap was refused outright (memory budget, quarantine, superseded, busy)."""

    code = "EDGE_SWAP_REFUSED"


@dataclass(frozen=True, slots=True)
class GoldenCase:
    """An input with the output the model must reproduce within ``tolerance`` (max abs)."""

    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    tolerance: float = 1e-4


@dataclass(frozen=True, slots=True)
class ModelPackage:
    """A model file plus the contract and golden case that verify it.

    ``digest`` is the SHA-256 the registry recorded; the agent recomputes the file's own
    digest and refuses the package on any difference (Uptane-style: devices verify what
    they install).
    """

    model: ModelRef
    digest: str
    path: str
    size_bytes: int
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    golden: tuple[GoldenCase, ...] = field(default=())
    p99_budget_ms: float | None = None


def check_contract(package: ModelPackage, inputs: tuple[TensorSpec, ...],
                   outputs: tuple[TensorSpec, ...]) -> None:
    """The loaded session's inputs and outputs must match the package's contract.

    A dynamic dimension (None) on either side matches any size.

    Raises:
        VerificationFailed: naming the first mismatch.
    """
    for side, want, got in (("input", package.inputs, inputs),
                            ("output", package.outputs, outputs)):
        if [s.name for s in want] != [s.name for s in got]:
            raise VerificationFailed(
                f"{package.model}: {side}s {[s.name for s in got]} do not match the contract "
                f"{[s.name for s in want]}")
        for w, g in zip(want, got, strict=True):
            if w.dtype != g.dtype:
                raise VerificationFailed(
                    f"{package.model}: {side} '{w.name}' is {g.dtype}, contract says {w.dtype}")
            if len(w.shape) != len(g.shape) or any(
                    a is not None and b is not None and a != b
                    for a, b in zip(w.shape, g.shape, strict=True)):
                raise VerificationFailed(
                    f"{package.model}: {side} '{w.name}' has shape {g.shape}, contract says "
                    f"{w.shape}")
