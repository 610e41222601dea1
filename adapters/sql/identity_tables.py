"""Tables of principals and API tokens (``alembic/versions/0005_identity.py``)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, String, Table, Text

from edgedeploy.adapters.sql.tables import UtcDateTime, metadata

principals = Table(
    "principals", metadata,
    Column("name", String(128), primary_key=True),
    Column("roles", JSON, nullable=False),
    Column("unit", String(255), nullable=False, server_default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default="0"),
)
"""People and pipelines that may act, with their roles as a JSON list of role names."""

api_tokens = Table(
    "api_tokens", metadata,
    Column("token_id", String(32), primary_key=True),
    Column("principal", String(128), ForeignKey("principals.name"), nullable=False,
           index=True),
    Column("salt", String(64), nullable=False),
    Column("secret_hash", String(71), nullable=False),
    Column("scope", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("label", Text, nullable=False, server_default=""),
    Column("revoked_at", UtcDateTime, nullable=True),
)
"""API tokens: a salted SHA-256 of the secret, never the secret."""

__all__ = ["api_tokens", "principals"]
