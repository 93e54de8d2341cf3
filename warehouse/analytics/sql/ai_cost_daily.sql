-- ai_cost_daily: METRICS "Cost by provider / model / stage / day", queue and run time kept apart.
-- Cost is the cost frozen on each call at call time (never repriced). Grain: day x provider x
-- model x stage. Partition: daily (day of the call's start).
SELECT
    CAST(created_at AS DATE) AS day,
    provider,
    model,
    stage,
    COUNT(*) AS calls,
    COUNT(*) FILTER (WHERE status <> 'succeeded') AS failed_calls,
    SUM(units) AS units,
    CAST(SUM(cost_nano_usd) AS BIGINT) AS cost_nano_usd,
    CAST(CAST(SUM(cost_nano_usd) AS DECIMAL(18, 0)) * 0.000000001 AS DECIMAL(18, 9)) AS cost_usd,
    CAST(COALESCE(SUM(cost_nano_usd) FILTER (WHERE status <> 'succeeded'), 0) AS BIGINT) AS failed_cost_nano_usd,
    SUM(queue_seconds) AS queue_seconds,
    SUM(run_seconds) AS run_seconds
FROM raw_provider_calls
WHERE created_at >= :start AND created_at < :end
GROUP BY 1, 2, 3, 4
