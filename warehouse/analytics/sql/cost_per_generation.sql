-- cost_per_generation: METRICS "AI cost per generation" = sum of the cost of all its calls,
-- retries and failures included. Grain: asset. Partition: daily (day the generation started).
-- A window builds its own days' generations and refreshes the earlier generations that got calls
-- in it (a retry after midnight, a regeneration days later), so a late call is counted as soon as
-- its own day is built, without rebuilding the generation's day.
WITH late AS (
    SELECT DISTINCT asset_id FROM raw_provider_calls
    WHERE created_at >= :start AND created_at < :end AND asset_created_at < :start
),
assets AS (
    SELECT asset_id, created_at, user_id, mode, status, model_attempts
    FROM raw_assets
    WHERE created_at >= :start AND created_at < :end
    UNION ALL
    SELECT asset_id, created_at, user_id, mode, status, model_attempts
    FROM raw_assets
    WHERE created_at >= :since AND created_at < :start AND asset_id IN (SELECT asset_id FROM late)
),
calls AS (
    -- a generation's calls start when it does, or later
    SELECT call_id, asset_id, status, cost_nano_usd FROM raw_provider_calls
    WHERE created_at >= :since AND asset_id IN (SELECT asset_id FROM assets)
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
FROM assets a
LEFT JOIN calls c ON c.asset_id = a.asset_id
GROUP BY a.asset_id, a.created_at, a.user_id, a.mode, a.status, a.model_attempts
