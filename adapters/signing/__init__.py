"""Ed25519 signing of evidence-chain checkpoints (``cryptography``)."""

from edgedeploy.adapters.signing.ed25519 import (
    Ed25519EvidenceSigner,
    Ed25519SignatureVerifier,
    SigningKeyUnusable,
)

__all__ = ["Ed25519EvidenceSigner", "Ed25519SignatureVerifier", "SigningKeyUnusable"]
