-- admin_overview: METRICS "Users: total, by plan and role", revenue totals (from revenue_daily),
-- AI cost total (from ai_cost_daily), total storage. Grain: one row (as of the build). Partition: none.
SELECT
    CAST(:now AS TIMESTAMPTZ) AS as_of,
    (SELECT COUNT(*) FROM raw_users) AS total_users,
    (SELECT COUNT(*) FROM raw_users WHERE plan = 'free') AS users_free,
    (SELECT COUNT(*) FROM raw_users WHERE plan = 'starter') AS users_starter,
    (SELECT COUNT(*) FROM raw_users WHERE plan = 'pro') AS users_pro,
    (SELECT COUNT(*) FROM raw_users WHERE plan = 'studio') AS users_studio,
    (SELECT COUNT(*) FROM raw_users WHERE role = 'admin') AS admins,
    (SELECT COUNT(*) FROM raw_assets) AS generations,
    (SELECT COUNT(*) FROM raw_assets WHERE status = 'COMPLETED') AS generations_completed,
    (SELECT COUNT(*) FROM raw_assets WHERE status = 'FAILED') AS generations_failed,
    (SELECT CAST(COALESCE(SUM(cost_nano_usd), 0) AS BIGINT) FROM ai_cost_daily) AS ai_cost_nano_usd,
    (SELECT CAST(COALESCE(SUM(gross_sales_cents), 0) AS BIGINT) FROM revenue_daily) AS gross_sales_cents,
    (SELECT CAST(COALESCE(SUM(net_revenue_cents), 0) AS BIGINT) FROM revenue_daily) AS net_revenue_cents,
    (SELECT CAST(COALESCE(SUM(credit_balance), 0) AS BIGINT) FROM raw_users) AS credits_outstanding,
    (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM raw_asset_files) AS storage_bytes
