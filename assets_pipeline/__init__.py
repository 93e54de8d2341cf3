"""Dagster analytics: extracts, marts, checks, publication, schedules and sensors."""
