"""DTOs of the model registry."""

from __future__ import annotations

from datetime import datetime

import msgspec


class ModelVersionView(msgspec.Struct, kw_only=True):
    """A registered model version, fixed by the SHA-256 of its bytes."""

    ref: str
    digest: str
    size_bytes: int
    registered_at: datetime
    registered_by: str
    source_name: str


class ModelListView(msgspec.Struct, kw_only=True):
    """Every registered model version."""

    models: list[ModelVersionView]
    count: int


__all__ = ["ModelListView", "ModelVersionView"]
