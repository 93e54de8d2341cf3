"""Persistence: operational schema and migrations, repositories, object storage, analytics store."""
