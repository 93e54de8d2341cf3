"""Alembic migrations of the operational schema (SQLite and PostgreSQL)."""
