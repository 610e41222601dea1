"""The roll-out journal persisted in SQL."""

from adapters.rollout_sql.journal import RolloutJournalConflict, SqlAlchemyRolloutJournal
from adapters.rollout_sql.tables import metadata

__all__ = ["RolloutJournalConflict", "SqlAlchemyRolloutJournal", "metadata"]
