"""The GX Core expectations behind every mart's `expectations` check fail on data corrupted for them."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from assets_pipeline.expectations import validate_table
from warehouse.analytics.tables import spec


def _revenue(days: list[date]) -> pd.DataFrame:
    return pd.DataFrame({"day": days, "gross_sales_cents": [100] * len(days), "net_revenue_cents": [90] * len(days)})


def test_clean_mart_passes() -> None:
    passed, meta = validate_table(
        spec("revenue_daily"), _revenue([date(2026, 3, 1), date(2026, 3, 2)]), expected_rows=2
    )
    assert passed
    assert meta["failed"] == []


@pytest.mark.parametrize(
    ("frame", "expected_rows", "failing"),
    [
        (_revenue([date(2026, 3, 1), date(2026, 3, 1)]), 2, "expect_column_values_to_be_unique"),
        (_revenue([date(2026, 3, 1)]), 2, "expect_table_row_count_to_equal"),
        (_revenue([date(2026, 3, 1), None]), 2, "expect_column_values_to_not_be_null"),  # type: ignore[list-item]
    ],
)
def test_corrupted_mart_fails(frame: pd.DataFrame, expected_rows: int, failing: str) -> None:
    passed, meta = validate_table(spec("revenue_daily"), frame, expected_rows=expected_rows)
    assert not passed
    assert failing in {f["expectation"] for f in meta["failed"]}


def test_accepted_values_and_compound_key() -> None:
    frame = pd.DataFrame(
        {
            "day": [date(2026, 3, 1)] * 2,
            "stage": ["model", "model"],
            "mode": ["text", "hologram"],
            "provider": ["tripo", "tripo"],
            "calls": [1, 1],
        }
    )
    passed, meta = validate_table(spec("generation_activity_daily"), frame)
    assert not passed
    assert {f["expectation"] for f in meta["failed"]} == {"expect_column_values_to_be_in_set"}
    duplicated = frame.assign(mode=["text", "text"])
    passed, meta = validate_table(spec("generation_activity_daily"), duplicated)
    assert not passed
    assert {f["expectation"] for f in meta["failed"]} == {"expect_compound_columns_to_be_unique"}
