-- generation_activity_daily: METRICS "Generation activity" (started, succeeded, failed, success
-- rate, p50/p95 duration = queue + run seconds) by stage, mode and provider.
-- Grain: day x stage x mode x provider. Partition: daily (day of the call's start).
SELECT
    CAST(c.created_at AS DATE) AS day,
    c.stage,
    COALESCE(c.asset_mode, 'unknown') AS mode,
    c.provider,
    COUNT(*) AS calls,
    COUNT(*) FILTER (WHERE c.status = 'succeeded') AS succeeded,
    COUNT(*) FILTER (WHERE c.status <> 'succeeded') AS failed,
    CAST(COUNT(*) FILTER (WHERE c.status = 'succeeded') AS DOUBLE PRECISION) / COUNT(*) AS success_rate,
    COUNT(DISTINCT c.asset_id) AS generations,
    COUNT(*) FILTER (WHERE c.asset_skip_concept) AS skip_concept_calls,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY c.queue_seconds + c.run_seconds) AS p50_duration_s,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY c.queue_seconds + c.run_seconds) AS p95_duration_s
FROM raw_provider_calls c
WHERE c.created_at >= :start AND c.created_at < :end
GROUP BY 1, 2, 3, 4
