"""Translation of driver exceptions into the application's error taxonomy.

``sqlalchemy.exc.*`` must never leave the adapter: callers see ``BackendUnavailable`` (HTTP 503,
exit 5) with the database named and its password hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from adapters.sql.engine import redact
from application.errors import BackendUnavailable


def unavailable(url: URL | str, exc: BaseException) -> BackendUnavailable:
    """The error reported when the database at ``url`` failed with ``exc``."""
    return BackendUnavailable(f"database {redact(url)} is unavailable: {_reason(exc)}")


@contextmanager
def translated(url: URL | str) -> Iterator[None]:
    """Turn driver failures inside the block into ``BackendUnavailable`` naming ``url``.

    Integrity errors are left to the caller, which knows which rule was broken and can say so.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise unavailable(url, exc) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise unavailable(url, exc) from exc
        raise BackendUnavailable(
            f"database {redact(url)} refused the operation: {_reason(exc)}") from exc
    except SQLAlchemyError as exc:
        raise BackendUnavailable(
            f"database {redact(url)} failed: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    """The driver's own message, first line only, without SQLAlchemy's statement echo."""
    origin = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(origin).strip().splitlines()
    return text[0] if text else type(origin).__name__
