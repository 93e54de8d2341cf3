"""The one composition root of the Dagster analytics: ``dagster dev -m assets_pipeline.definitions``."""

from __future__ import annotations

import dagster as dg

from assets_pipeline.defs.automation import jobs, schedules, sensors
from assets_pipeline.defs.marts import mart_assets
from assets_pipeline.defs.publication import publication_assets
from assets_pipeline.defs.raw import raw_assets
from assets_pipeline.resources import make_resources
from core.settings import Settings, get_settings

all_assets: list[dg.AssetsDefinition] = [*raw_assets, *mart_assets, *publication_assets]


def make_definitions(settings: Settings) -> dg.Definitions:
    """Definitions for ``settings`` (resources by a dict lookup on the analytics URL)."""
    return dg.Definitions(
        assets=all_assets,
        jobs=jobs,
        schedules=schedules,
        sensors=sensors,
        resources=make_resources(settings),
    )


defs = make_definitions(get_settings())
