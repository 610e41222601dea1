"""How a controller and its edge agents know each other: a shared fleet secret, optional mTLS.

The secret lives in a file only its owner may read (mode 0600 or 0400), never inline in a fleet
description that is committed. A fleet file names it relative to itself::

    auth:
      token_file: secrets/bench-a.token     # one line, 32..512 token characters
      tls:                                  # optional: mutual TLS
        ca_file: pki/agents-ca.pem          # verifies the agents' server certificates
        cert_file: pki/controller.pem       # the controller's client certificate
        key_file: pki/controller.key

The agent receives the same secret through its settings (``agent.token_file``) and, for mTLS,
its server certificate and the CA of controller certificates.
"""

from __future__ import annotations

import os
import re
import secrets
import ssl
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgedeploy.application.errors import InvalidInput

TOKEN_INVALID = "FLEET_TOKEN_INVALID"
# One line of URL-safe or base64 characters: a key file, a certificate or anything multi-line
# named by mistake (or on purpose, in an inline description) is refused, never sent.
_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{32,512}")
_PRIVATE = stat.S_IRWXG | stat.S_IRWXO


def read_secret_file(path: Path) -> str:
    """The secret in ``path``, a regular file that only its owner may read.

    Raises:
        InvalidInput: the file is missing, not a regular file, readable or writable by group
            or others, or does not hold one line of 32..512 token characters.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InvalidInput(f"token file '{path}' cannot be read: {exc.strerror}",
                           code=TOKEN_INVALID) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidInput(f"token file '{path}' is not a regular file", code=TOKEN_INVALID)
        if info.st_mode & _PRIVATE:
            raise InvalidInput(
                f"token file '{path}' is accessible to group or others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}); restrict it with 'chmod 600 {path}'",
                code=TOKEN_INVALID)
        data = os.read(descriptor, 4096)
    finally:
        os.close(descriptor)
    return check_token(data.decode("ascii", errors="replace").strip(), f"token file '{path}'")


def check_token(token: str, origin: str) -> str:
    """``token`` when it is a usable fleet secret: one line of 32..512 token characters.

    Raises:
        InvalidInput: it is shorter, longer or holds other characters; ``origin`` names where
            it came from (the secret itself is never repeated).
    """
    if not _TOKEN.fullmatch(token):
        raise InvalidInput(f"{origin} must hold one line of 32 to 512 characters "
                           "from A-Z a-z 0-9 . _ ~ + / = -", code=TOKEN_INVALID)
    return token


def ensure_secret_file(path: Path) -> str:
    """The secret in ``path``; a fresh random one is written there (mode 0600) when absent.

    Raises:
        InvalidInput: an existing file fails :func:`read_secret_file`, or none can be created.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret_file(path)
    except OSError as exc:
        raise InvalidInput(f"token file '{path}' cannot be created: {exc.strerror}",
                           code=TOKEN_INVALID) from None
    try:
        os.write(descriptor, (secrets.token_urlsafe(32) + "\n").encode("ascii"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return read_secret_file(path)


@dataclass(frozen=True, slots=True)
class ControllerCredentials:
    """What the controller presents to agents: the fleet secret and, for mTLS, certificates.

    Attributes:
        token: the shared secret sent as ``Authorization: Bearer``.
        ca_file: CA that signed the agents' server certificates (https agents).
        cert_file: the controller's client certificate (mTLS).
        key_file: the key of ``cert_file``.
    """

    token: str
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None

    def __repr__(self) -> str:
        # The secret never reaches a log line or a traceback.
        return (f"ControllerCredentials(token=***, ca_file={self.ca_file}, "
                f"cert_file={self.cert_file})")

    @property
    def headers(self) -> dict[str, str]:
        """Request headers that authenticate the controller."""
        return {"Authorization": f"Bearer {self.token}"}

    def ssl_context(self) -> ssl.SSLContext | None:
        """The client TLS context for https agents (None when no TLS file is named).

        Raises:
            InvalidInput: a certificate or key cannot be loaded.
        """
        if self.ca_file is None and self.cert_file is None:
            return None
        try:
            context = ssl.create_default_context(
                cafile=str(self.ca_file) if self.ca_file else None)
            if self.cert_file is not None:
                context.load_cert_chain(str(self.cert_file),
                                        str(self.key_file) if self.key_file else None)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput(f"fleet TLS files cannot be loaded: {exc}",
                               code=TOKEN_INVALID) from None
        return context


def controller_credentials(auth: Any, base: Path, origin: str) -> ControllerCredentials:
    """The credentials an ``auth`` section describes; relative paths resolve against ``base``.

    Raises:
        InvalidInput: the section is missing or malformed, inlines the secret, or its token
            file is unsafe (see :func:`read_secret_file`).
    """
    if not isinstance(auth, Mapping) or not auth.get("token_file"):
        raise InvalidInput(f"{origin}: 'auth.token_file' is required: agents refuse a "
                           "controller without the fleet's secret", code=TOKEN_INVALID)
    unknown = set(auth) - {"token_file", "tls"}
    if unknown:
        raise InvalidInput(f"{origin}: unknown field(s) in 'auth': {', '.join(sorted(unknown))}"
                           " (the secret is never inline: name a 'token_file')",
                           code=TOKEN_INVALID)
    tls = auth.get("tls") or {}
    if not isinstance(tls, Mapping) or set(tls) - {"ca_file", "cert_file", "key_file"}:
        raise InvalidInput(f"{origin}: 'auth.tls' takes ca_file, cert_file and key_file",
                           code=TOKEN_INVALID)
    if bool(tls.get("cert_file")) != bool(tls.get("key_file")):
        raise InvalidInput(f"{origin}: 'auth.tls' needs cert_file and key_file together",
                           code=TOKEN_INVALID)

    def resolve(name: str) -> Path | None:
        value = tls.get(name)
        return None if not value else base / str(value)

    return ControllerCredentials(read_secret_file(base / str(auth["token_file"])),
                                 resolve("ca_file"), resolve("cert_file"), resolve("key_file"))


__all__ = [
    "TOKEN_INVALID",
    "ControllerCredentials",
    "check_token",
    "controller_credentials",
    "ensure_secret_file",
    "read_secret_file",
]
