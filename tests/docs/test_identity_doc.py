"""The user guide's role table says exactly what ``ROLE_PERMISSIONS`` grants."""

from __future__ import annotations

from pathlib import Path

from edgedeploy.domain.identity import ROLE_PERMISSIONS, Permission, Role

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "user-guide.md"


def _table() -> list[list[str]]:
    text = GUIDE.read_text(encoding="utf-8")
    body = text.split("<!-- role-table:begin -->", 1)[1].split("<!-- role-table:end -->", 1)[0]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in body.strip().splitlines()]


def test_the_role_table_has_a_column_per_role_and_a_row_per_permission():
    header, rule, *rows = _table()
    assert header == ["permission", *(role.value for role in Role)]
    assert len(rule) == len(header)
    assert [row[0].strip("`") for row in rows] == [p.value for p in Permission]


def test_every_tick_in_the_role_table_is_a_granted_permission_and_no_grant_is_missing():
    header, _, *rows = _table()
    documented = {(Role(role), Permission(row[0].strip("`")))
                  for row in rows for role, cell in zip(header[1:], row[1:], strict=True)
                  if cell == "✓"}
    granted = {(role, p) for role, perms in ROLE_PERMISSIONS.items() for p in perms}
    assert documented == granted


def test_the_readme_names_the_token_variable_and_the_service_actor():
    readme = (GUIDE.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "| `EDGEDEPLOY_TOKEN` |" in readme
    actor = next(line for line in readme.splitlines() if line.startswith("| `EDGEDEPLOY_ACTOR`"))
    assert "automatic decisions" in actor
