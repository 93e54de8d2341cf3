"""Dagster Definitions: extracts, marts, checks, schedules, sensors, resources."""
