"""The pure domain core of edgedeploy: standard library only."""

from edgedeploy.domain.errors import Conflict, DomainError, InvariantViolation, NotFound
from edgedeploy.domain.safety import ASIL, DecomposedAsil, validate_decomposition

__all__ = [
    "ASIL",
    "Conflict",
    "DecomposedAsil",
    "DomainError",
    "InvariantViolation",
    "NotFound",
    "validate_decomposition",
]
