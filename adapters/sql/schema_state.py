"""Where a database stands against the shipped migrations, without loading Alembic.

Every command that opens the database first checks that its schema is current; loading
Alembic and its migration scripts for that check costs more than the command itself. The
revision identifiers are read from the scripts as text and the database's from Alembic's
``alembic_version`` table; only a database that is behind loads Alembic to upgrade it.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from sqlalchemy import Engine, inspect, text

from edgedeploy.adapters.sql.errors import translated

VERSIONS = Path(__file__).resolve().parents[2] / "alembic" / "versions"
"""The migration scripts (``<repository>/alembic/versions``, or ``edgedeploy/alembic/versions``)."""


def _assigned(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == name and value is not None:
            return ast.literal_eval(value)
    raise ValueError(f"no '{name}' assignment")


@cache
def shipped_head() -> str:
    """The newest revision among the shipped scripts: the one no other script follows.

    Raises:
        RuntimeError: the scripts do not form one line of revisions.
    """
    revisions: dict[str, object] = {}
    for script in sorted(VERSIONS.glob("*.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        revisions[str(_assigned(tree, "revision"))] = _assigned(tree, "down_revision")
    followed = {down for down in revisions.values() if isinstance(down, str)}
    heads = sorted(set(revisions) - followed)
    if len(heads) != 1:
        raise RuntimeError(f"migration scripts under {VERSIONS} have heads {heads}")
    return heads[0]


def database_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (None: never migrated).

    Raises:
        BackendUnavailable: the database cannot be reached.
    """
    with translated(engine.url), engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def is_current(engine: Engine) -> bool:
    """True when the database is at the shipped head: nothing to migrate."""
    return database_revision(engine) == shipped_head()
