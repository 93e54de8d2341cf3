"""users.updated_at, and indexes on the change stamps the analytics extracts read by

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

``users.updated_at`` is backfilled from ``created_at``. SQLite cannot add a NOT NULL column
without a constant default, and the batch alternative (recreating ``users``) fails while rows of
other tables refer to it with foreign keys on; so on SQLite the column keeps a constant default
(the epoch) that the application never relies on: every insert and update sets it explicitly.
PostgreSQL gets the column without a default.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_EPOCH = "1970-01-01 00:00:00.000000"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.add_column(
            "users",
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=SQLITE_EPOCH),
        )
        op.execute("UPDATE users SET updated_at = created_at")
    else:
        op.add_column("users", sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        op.execute("UPDATE users SET updated_at = created_at")
        op.alter_column("users", "updated_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index(op.f("ix_users_updated_at"), "users", ["updated_at"], unique=False)
    op.create_index(op.f("ix_print_configs_updated_at"), "print_configs", ["updated_at"], unique=False)
    op.create_index(op.f("ix_asset_files_created_at"), "asset_files", ["created_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_asset_files_created_at"), table_name="asset_files")
    op.drop_index(op.f("ix_print_configs_updated_at"), table_name="print_configs")
    op.drop_index(op.f("ix_users_updated_at"), table_name="users")
    # SQLite ≥ 3.35 drops a column in place (no index or constraint refers to it any more)
    op.drop_column("users", "updated_at")
