"""Small ports onto the outside world: time and content-addressed evidence files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol


class Clock(Protocol):
    """Where "now" comes from, so tests and replays control time."""

    def now(self) -> datetime:
        """The current time, time-zone aware (UTC)."""
        ...


class EvidenceStore(Protocol):
    """Content-addressed storage for artifacts and reports (``sha256:<hex>`` keys)."""

    def put(self, data: bytes) -> str:
        """Store bytes (idempotent); return their digest."""
        ...

    def get(self, digest: str) -> bytes:
        """The bytes stored under ``digest``; raises ``NotFound`` when absent."""
        ...

    def path(self, digest: str) -> Path:
        """Where the bytes lie on disk, for tools that read files."""
        ...

    def exists(self, digest: str) -> bool:
        """True when ``digest`` is stored."""
        ...
