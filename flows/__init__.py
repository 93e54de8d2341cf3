"""Prefect flows and tasks; task-runner selection; the launcher."""
