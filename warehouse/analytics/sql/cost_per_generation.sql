-- cost_per_generation: METRICS "AI cost per generation" = sum of the cost of all its calls,
-- retries and failures included. Grain: asset. Partition: daily (day the generation started);
-- calls made on later days (regenerations) count toward the asset's own day.
WITH calls AS (
    -- a generation's calls start when it does, or later: only calls since the window's start count
    SELECT call_id, asset_id, status, cost_nano_usd FROM raw_provider_calls WHERE created_at >= :start
)
SELECT
    CAST(a.created_at AS DATE) AS day,
    a.asset_id,
    a.user_id,
    a.mode,
    a.status,
    a.status = 'COMPLETED' AS succeeded,
    COUNT(c.call_id) AS calls,
    COUNT(c.call_id) FILTER (WHERE c.status <> 'succeeded') AS failed_calls,
    a.model_attempts,
    CAST(COALESCE(SUM(c.cost_nano_usd), 0) AS BIGINT) AS cost_nano_usd,
    CAST(CAST(COALESCE(SUM(c.cost_nano_usd), 0) AS DECIMAL(18, 0)) * 0.000000001 AS DECIMAL(18, 9)) AS cost_usd
FROM raw_assets a
LEFT JOIN calls c ON c.asset_id = a.asset_id
WHERE a.created_at >= :start AND a.created_at < :end
GROUP BY a.asset_id, a.created_at, a.user_id, a.mode, a.status, a.model_attempts
