"""Model versions, identified by name, version and the SHA-256 of their bytes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from edgedeploy.domain.errors import Conflict, InvariantViolation, NotFound
from edgedeploy.domain.requirements import ItemId, is_sha256_digest

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class InvalidModelVersion(InvariantViolation):
    """A model name, version or digest is malformed."""

    code = "MODEL_VERSION_INVALID"


class ModelVersionNotFound(NotFound):
    """No model version is registered under that reference."""

    code = "MODEL_VERSION_NOT_FOUND"


class DigestMismatch(Conflict):
    """Different bytes were offered under a version that is already registered."""

    code = "MODEL_DIGEST_MISMATCH"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """``name@version``: how users, URLs and the trace graph name one model version."""

    name: str
    version: str

    def __post_init__(self) -> None:
        for label, value in (("name", self.name), ("version", self.version)):
            if not _NAME.match(value):
                raise InvalidModelVersion(
                    f"model {label} '{value}' must be 1-128 letters, digits, '.', '_' or '-'")

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def item_id(self) -> ItemId:
        """The id of this model version in the trace graph."""
        return ItemId(str(self))

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """Read ``name@version``.

        Raises:
            InvalidModelVersion: the text is not of that form.
        """
        name, sep, version = text.partition("@")
        if not sep:
            raise InvalidModelVersion(f"'{text}' is not a model version; write NAME@VERSION")
        return cls(name, version)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A registered model version: its bytes are fixed by ``digest`` forever."""

    ref: ModelRef
    digest: str
    size_bytes: int
    registered_at: datetime
    registered_by: str
    source_name: str = ""

    def __post_init__(self) -> None:
        if not is_sha256_digest(self.digest):
            raise InvalidModelVersion(f"digest '{self.digest}' is not sha256:<64 hex>")
        if self.size_bytes <= 0:
            raise InvalidModelVersion(f"model {self.ref} is empty")

    def check_same_bytes(self, digest: str) -> None:
        """Refuse re-registration of this version with other bytes.

        Raises:
            DigestMismatch: naming both digests.
        """
        if digest != self.digest:
            raise DigestMismatch(
                f"{self.ref} is registered with {self.digest}; refusing different bytes "
                f"({digest}) under the same version: register a new version instead")
