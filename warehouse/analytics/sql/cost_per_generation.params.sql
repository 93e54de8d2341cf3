-- cost_per_generation, before the build: how far back the generations refreshed by this window
-- start (those of earlier days that got calls in the window: retries after midnight,
-- regenerations), so the reads below are bounded by time and prune to those days.
SELECT
    COALESCE(MIN(asset_created_at), CAST(:start AS TIMESTAMPTZ)) AS since,
    CAST(COALESCE(MIN(asset_created_at), CAST(:start AS TIMESTAMPTZ)) AS DATE) AS since_day
FROM raw_provider_calls
WHERE created_at >= :start AND created_at < :end AND asset_id IS NOT NULL AND asset_created_at < :start
