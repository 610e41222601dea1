"""Relational persistence: SQLAlchemy Core tables, repositories, unit of work, migrations."""

from edgedeploy.adapters.sql.drift_repository import SqlAlchemyDriftRepository
from edgedeploy.adapters.sql.engine import (
    create_engine_for,
    create_session_factory,
    default_database_url,
    parse_database_url,
    redact,
)
from edgedeploy.adapters.sql.migrate import current_revision, head_revision, upgrade_to_head
from edgedeploy.adapters.sql.repositories import (
    SqlAlchemyAuditLog,
    SqlAlchemyModelVersionRepository,
)
from edgedeploy.adapters.sql.rollout_journal import RolloutJournalConflict, SqlAlchemyRolloutJournal
from edgedeploy.adapters.sql.tables import metadata
from edgedeploy.adapters.sql.unit_of_work import (
    SqlAlchemyUnitOfWork,
    SqlAlchemyUnitOfWorkFactory,
    create_schema,
)

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
    "default_database_url",
    "head_revision",
    "metadata",
    "parse_database_url",
    "redact",
    "upgrade_to_head",
]
