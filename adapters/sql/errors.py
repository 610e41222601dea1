"""Translation of driver exceptions into the application's error taxonomy.

``sqlalchemy.exc.*`` must never leave the adapter: callers see ``BackendUnavailable`` (HTTP 503,
exit 5) with the database named and its password hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)

from edgedeploy.adapters.sql.engine import redact
from edgedeploy.application.errors import BackendUnavailable

_MISSING_TABLE = re.compile(r"no such table|relation \S+ does not exist")


def unavailable(url: URL | str, exc: BaseException) -> BackendUnavailable:
    """The error reported when the database at ``url`` failed with ``exc``."""
    return BackendUnavailable(f"database {redact(url)} is unavailable: {_reason(exc, url)}")


@contextmanager
def translated(url: URL | str) -> Iterator[None]:
    """Turn driver failures inside the block into ``BackendUnavailable`` naming ``url``.

    Callers that can name the rule an ``IntegrityError`` broke catch it inside the block (and
    raise a domain ``Conflict``); any other refusal by the database is reported here.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise unavailable(url, exc) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise unavailable(url, exc) from exc
        raise BackendUnavailable(
            f"database {redact(url)} refused the operation: {_reason(exc, url)}") from exc
    except SQLAlchemyError as exc:
        raise BackendUnavailable(
            f"database {redact(url)} failed: {_reason(exc, url)}") from exc


def _reason(exc: BaseException, url: URL | str) -> str:
    """The driver's first line, without SQLAlchemy's statement echo, and never a password."""
    origin = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(origin).strip().splitlines()
    reason = lines[0] if lines else type(origin).__name__
    password = _password(url)
    if password:
        reason = reason.replace(password, "***")
    if _MISSING_TABLE.search(reason):
        reason += "; is the schema migrated? run `edgedeploy db upgrade`"
    return reason


def _password(url: URL | str) -> str | None:
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return None
    return parsed.password if isinstance(parsed.password, str) and parsed.password else None
