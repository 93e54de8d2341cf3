"""Per-domain Dagster definitions, merged in ``assets_pipeline.definitions``."""
