"""The start-up schema check reads revisions without Alembic and agrees with Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from edgedeploy.adapters.sql import create_engine_for, database_revision, is_current, shipped_head
from edgedeploy.adapters.sql.migrate import head_revision, upgrade_to_head


def test_the_shipped_head_read_as_text_is_alembics_head() -> None:
    assert shipped_head() == head_revision()


def test_an_empty_database_is_behind_and_a_migrated_one_is_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = create_engine_for(url)
    try:
        assert database_revision(engine) is None
        assert not is_current(engine)
        upgrade_to_head(url)
        assert database_revision(engine) == shipped_head()
        assert is_current(engine)
    finally:
        engine.dispose()


def test_checking_an_up_to_date_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    upgrade_to_head(url)
    probe = ("import sys; from edgedeploy.adapters.sql import create_engine_for, is_current; "
             f"assert is_current(create_engine_for({url!r})); "
             "print('alembic' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
