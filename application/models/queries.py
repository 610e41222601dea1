"""Use case: read the model registry without changing it."""

from __future__ import annotations

from collections.abc import Callable

from edgedeploy.application.ports.persistence import UnitOfWork
from edgedeploy.domain.models import ModelRef, ModelVersion, ModelVersionNotFound


class ModelQueries:
    """Registered model versions, listed or looked up by reference."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow

    def list(self, name: str | None = None) -> tuple[ModelVersion, ...]:
        """Every version (of model ``name`` when given), oldest first."""
        with self._uow() as work:
            return tuple(work.models.list(name))

    def find(self, ref: ModelRef) -> ModelVersion | None:
        """``ref``'s registration, or None; lets a caller refuse early without raising."""
        with self._uow() as work:
            return work.models.get(ref)

    def get(self, ref: ModelRef) -> ModelVersion:
        """``ref``'s registration.

        Raises:
            ModelVersionNotFound: ``ref`` is not registered.
        """
        found = self.find(ref)
        if found is None:
            raise ModelVersionNotFound(f"model version {ref} is not registered")
        return found
