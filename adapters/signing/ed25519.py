"""Ed25519 keys kept as PEM files: the private key signs, any copy of the public key verifies.

The private key is created on first use with owner-only permissions (file 0600, folder 0700)
and never leaves its file; the key id, ``sha256:`` of the raw 32-byte public key, is recorded
with every checkpoint so a verifier knows which public key to use.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from edgedeploy.application.errors import BackendUnavailable, InvalidInput
from edgedeploy.application.ports.signing import Signature


class SigningKeyUnusable(BackendUnavailable):
    """The signing key file exists but cannot be read or is not an Ed25519 private key."""

    code = "SIGNING_KEY_UNUSABLE"


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


class Ed25519SignatureVerifier:
    """Verifies signatures of one Ed25519 public key."""

    def __init__(self, public: Ed25519PublicKey) -> None:
        self._public = public
        self._key_id = _key_id(public)

    @classmethod
    def from_pem(cls, pem: bytes) -> Ed25519SignatureVerifier:
        """The verifier of a PEM ``PUBLIC KEY``.

        Raises:
            InvalidInput: ``pem`` is not an Ed25519 public key.
        """
        try:
            public = serialization.load_pem_public_key(pem)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(f"not a PEM public key: {exc}",
                               code="PUBLIC_KEY_INVALID") from None
        if not isinstance(public, Ed25519PublicKey):
            raise InvalidInput("the public key is not an Ed25519 key", code="PUBLIC_KEY_INVALID")
        return cls(public)

    @property
    def key_id(self) -> str:
        """``sha256:<hex>`` of the raw public key."""
        return self._key_id

    @property
    def public_key_pem(self) -> bytes:
        """The public key as PEM ``SubjectPublicKeyInfo``."""
        return self._public.public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)

    def verify(self, data: bytes, signature: bytes) -> bool:
        """True when ``signature`` is this key's over ``data``."""
        try:
            self._public.verify(signature, data)
        except InvalidSignature:
            return False
        return True


class Ed25519EvidenceSigner(Ed25519SignatureVerifier):
    """Signs with an Ed25519 private key read from (or created at) a PEM file."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        super().__init__(private.public_key())
        self._private = private

    @classmethod
    def load_or_create(cls, path: Path) -> Ed25519EvidenceSigner:
        """The key at ``path``; a missing file is created (0600, in a 0700 folder).

        Raises:
            SigningKeyUnusable: the file cannot be read or written, or holds another kind of
                key.
        """
        path = Path(path)
        try:
            if not path.exists():
                return cls._create(path)
            data = path.read_bytes()
        except OSError as exc:
            raise SigningKeyUnusable(
                f"signing key {path} cannot be used: {exc.strerror or exc}") from None
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise SigningKeyUnusable(f"signing key {path} is not a PEM private key without "
                                     f"a password: {exc}") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise SigningKeyUnusable(f"signing key {path} is not an Ed25519 key")
        return cls(private)

    @classmethod
    def _create(cls, path: Path) -> Ed25519EvidenceSigner:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        # Written whole under a temporary name, then linked into place: two processes starting
        # at once never read a half-written key, and the loser of the race uses the winner's.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(pem)
                stream.flush()
                os.fsync(stream.fileno())
            os.link(temporary, path)
        except FileExistsError:
            return cls.load_or_create(path)
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink()
        return cls(private)

    def sign(self, data: bytes) -> Signature:
        """The Ed25519 signature over ``data``."""
        return Signature(self.key_id, self._private.sign(data))
