"""What the edge runtime needs from its host: packages, durable state and tensor operations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from edgedeploy.application.edge.package import ModelPackage
from edgedeploy.domain.models import ModelRef


class PackageSource(Protocol):
    """Where an agent finds model packages (an OTA cache directory, a registry mirror)."""

    def get(self, model: ModelRef) -> ModelPackage:
        """The package of ``model``; raises ``NotFound`` when the agent does not have it."""
        ...

    def file_digest(self, path: str) -> str:
        """``sha256:<hex>`` of the file's bytes, computed now."""
        ...


@dataclass(frozen=True, slots=True)
class AgentState:
    """What survives an agent restart."""

    epoch: int = 0
    last_known_good: ModelRef | None = None
    last_known_good_digest: str | None = None
    quarantine: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    """Model version -> (failures, quarantined until as a Unix time)."""


class AgentStateStore(Protocol):
    """Durable agent state; ``save`` must be atomic (a crash leaves the old or the new)."""

    def load(self) -> AgentState:
        """The saved state, or the empty state on first start."""
        ...

    def save(self, state: AgentState) -> None:
        """Replace the saved state atomically."""
        ...


class TensorTools(Protocol):
    """Array operations the runtime needs without importing an array library."""

    def max_abs_diff(self, actual: Any, expected: Any) -> float:
        """Largest absolute element difference (inf on shape mismatch)."""
        ...

    def confidence(self, outputs: Mapping[str, Any]) -> float | None:
        """Top-class probability of a result, or None when it has no such notion."""
        ...

    def rows(self, feeds: Mapping[str, Any]) -> int:
        """Rows (samples) in a batched request: the leading dimension of its first input."""
        ...

    def row_confidences(self, outputs: Mapping[str, Any]) -> list[float]:
        """Top-class probability of every row of a result; empty when it has no such notion."""
        ...
