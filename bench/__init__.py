"""Benchmarks: one JSON line per measurement, compared with a baseline run in the same process."""
