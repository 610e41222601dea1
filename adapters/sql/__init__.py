"""Relational persistence: SQLAlchemy Core tables, repositories, unit of work, migrations.

The migration functions load Alembic; they are imported on first use (module ``__getattr__``)
so that opening an up-to-date database never does.
"""

from typing import TYPE_CHECKING, Any

from edgedeploy.adapters.sql.drift_repository import SqlAlchemyDriftRepository
from edgedeploy.adapters.sql.engine import (
    create_engine_for,
    create_session_factory,
    default_database_url,
    parse_database_url,
    redact,
)
from edgedeploy.adapters.sql.repositories import (
    SqlAlchemyAuditLog,
    SqlAlchemyModelVersionRepository,
)
from edgedeploy.adapters.sql.rollout_journal import RolloutJournalConflict, SqlAlchemyRolloutJournal
from edgedeploy.adapters.sql.schema_state import database_revision, is_current, shipped_head
from edgedeploy.adapters.sql.tables import metadata
from edgedeploy.adapters.sql.unit_of_work import (
    SqlAlchemyUnitOfWork,
    SqlAlchemyUnitOfWorkFactory,
    create_schema,
)

if TYPE_CHECKING:
    from edgedeploy.adapters.sql.migrate import current_revision, head_revision, upgrade_to_head

_MIGRATIONS = ("current_revision", "head_revision", "upgrade_to_head")


def __getattr__(name: str) -> Any:
    if name in _MIGRATIONS:
        from edgedeploy.adapters.sql import migrate

        return getattr(migrate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "RolloutJournalConflict",
    "SqlAlchemyAuditLog",
    "SqlAlchemyDriftRepository",
    "SqlAlchemyModelVersionRepository",
    "SqlAlchemyRolloutJournal",
    "SqlAlchemyUnitOfWork",
    "SqlAlchemyUnitOfWorkFactory",
    "create_engine_for",
    "create_schema",
    "create_session_factory",
    "current_revision",
    "database_revision",
    "default_database_url",
    "head_revision",
    "is_current",
    "metadata",
    "parse_database_url",
    "redact",
    "shipped_head",
    "upgrade_to_head",
]
