-- unit_economics: METRICS "Unit economics" and "Cost per successful generation".
--   credit value     = pack sales / paid credits granted (promotional credits are worth 0);
--   consumed value   = credits spent x value of the grants consumed, first in first out
--                      (valued per entry in core_credit_consumption; refunds of spends give value back);
--   gross margin     = consumed value - AI cost; margin % = 1 - AI cost / consumed value.
-- Reads the window's partitions of core_credit_grants and core_credit_consumption and the
-- window's provider calls and completions only. Grain: day. Partition: daily (day).
WITH spine AS (
    SELECT CAST(s.d AS DATE) AS day
    FROM generate_series(CAST(:start_day AS TIMESTAMP), CAST(:end_day AS TIMESTAMP) - INTERVAL '1 day', INTERVAL '1 day') AS s(d)
),
paid_grants AS (
    SELECT day, SUM(credits) AS credits, SUM(value_cents) AS cents
    FROM core_credit_grants
    WHERE kind = 'grant_purchase' AND day >= :start_day AND day < :end_day
    GROUP BY day
),
consumed AS (
    SELECT day, SUM(credits) AS credits, SUM(value_cents) AS cents
    FROM core_credit_consumption
    WHERE day >= :start_day AND day < :end_day
    GROUP BY day
),
cost AS (
    SELECT CAST(created_at AS DATE) AS day, SUM(cost_nano_usd) AS nano
    FROM raw_provider_calls
    WHERE created_at >= :start AND created_at < :end
    GROUP BY 1
),
completed AS (
    SELECT CAST(completed_at AS DATE) AS day, COUNT(*) AS n
    FROM raw_assets
    WHERE status = 'COMPLETED' AND completed_at >= :start AND completed_at < :end
    GROUP BY 1
),
joined AS (
    SELECT
        spine.day,
        CAST(COALESCE(pg.credits, 0) AS BIGINT) AS paid_credits_granted,
        CAST(COALESCE(pg.cents, 0) AS BIGINT) AS pack_sales_cents,
        CAST(COALESCE(cc.credits, 0) AS BIGINT) AS credits_consumed,
        CAST(FLOOR(COALESCE(cc.cents, 0) + 0.5) AS BIGINT) AS consumed_value_cents,
        CAST(COALESCE(cost.nano, 0) AS BIGINT) AS ai_cost_nano_usd,
        CAST(COALESCE(completed.n, 0) AS BIGINT) AS successful_generations
    FROM spine
    LEFT JOIN paid_grants pg ON pg.day = spine.day
    LEFT JOIN consumed cc ON cc.day = spine.day
    LEFT JOIN cost ON cost.day = spine.day
    LEFT JOIN completed ON completed.day = spine.day
)
SELECT
    day,
    paid_credits_granted,
    pack_sales_cents,
    CAST(pack_sales_cents AS DOUBLE PRECISION) / NULLIF(paid_credits_granted, 0) AS credit_value_cents,
    credits_consumed,
    consumed_value_cents,
    ai_cost_nano_usd,
    successful_generations,
    CAST(FLOOR(CAST(ai_cost_nano_usd AS DOUBLE PRECISION) / NULLIF(successful_generations, 0) + 0.5) AS BIGINT)
        AS cost_per_successful_generation_nano_usd,
    consumed_value_cents * 10000000 - ai_cost_nano_usd AS gross_margin_nano_usd,
    1.0 - CAST(ai_cost_nano_usd AS DOUBLE PRECISION) / NULLIF(CAST(consumed_value_cents AS DOUBLE PRECISION) * 10000000, 0)
        AS margin_pct
FROM joined
