-- storage_usage: METRICS "Storage: bytes stored per user" (the total is in admin_overview).
-- Grain: user. Partition: none (the current state of storage).
SELECT
    user_id,
    COUNT(*) AS files,
    CAST(SUM(size_bytes) AS BIGINT) AS bytes_stored,
    CAST(COALESCE(SUM(size_bytes) FILTER (WHERE kind IN ('glb', 'stl', 'obj', 'mtl')), 0) AS BIGINT) AS model_bytes
FROM raw_asset_files
WHERE user_id IS NOT NULL
GROUP BY user_id
