"""Ports for tamper evidence: the key that signs chain checkpoints, and reading the chains.

The signing key lives outside the database, so whoever can rewrite rows still cannot make a
rewritten chain match what was signed (ISO 26262-8 clause 10: configuration evidence).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from edgedeploy.domain.audit import AuditEntry, Checkpoint


@dataclass(frozen=True, slots=True)
class Signature:
    """A detached signature and the id of the key that made it (sha256 of the public key)."""

    key_id: str
    value: bytes


class SignatureVerifier(Protocol):
    """Checks signatures of one public key."""

    @property
    def key_id(self) -> str:
        """``sha256:<hex>`` of the raw public key."""
        ...

    @property
    def public_key_pem(self) -> bytes:
        """The public key, PEM-encoded, for auditors and export bundles."""
        ...

    def verify(self, data: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's signature over ``data``."""
        ...


class EvidenceSigner(SignatureVerifier, Protocol):
    """The private key that signs checkpoints (and verifies its own signatures)."""

    def sign(self, data: bytes) -> Signature:
        """Sign ``data``."""
        ...


@dataclass(frozen=True, slots=True)
class EvidenceChains:
    """Every evidence chain as stored: entries by chain name, and every checkpoint.

    Attributes:
        entries: chain name (``audit``, ``rollout:<id>``) to its entries in sequence order.
        checkpoints: every signed checkpoint, oldest first.
    """

    entries: Mapping[str, list[AuditEntry]]
    checkpoints: list[Checkpoint]


class EvidenceLedger(Protocol):
    """Reads the evidence chains and their checkpoints in one consistent snapshot."""

    def read(self) -> EvidenceChains:
        """Every chain (the audit log, each roll-out's decisions) and every checkpoint."""
        ...


class EvidenceInventory(Protocol):
    """The content-addressed evidence files, listed and read back."""

    def digests(self) -> Iterable[str]:
        """Every stored digest (``sha256:<hex>``)."""
        ...

    def get(self, digest: str) -> bytes:
        """The bytes under ``digest``; raises when they no longer hash to it."""
        ...


__all__ = [
    "EvidenceChains",
    "EvidenceInventory",
    "EvidenceLedger",
    "EvidenceSigner",
    "Signature",
    "SignatureVerifier",
]
