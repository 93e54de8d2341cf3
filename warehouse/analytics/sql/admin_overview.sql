-- admin_overview: METRICS "Users: total, by plan and role", revenue totals (from revenue_daily),
-- AI cost total (from ai_cost_daily), total storage. Grain: one row (as of the build). Partition: none.
-- One pass over each table it counts.
WITH users AS (
    SELECT
        COUNT(*) AS total_users,
        COUNT(*) FILTER (WHERE plan = 'free') AS users_free,
        COUNT(*) FILTER (WHERE plan = 'starter') AS users_starter,
        COUNT(*) FILTER (WHERE plan = 'pro') AS users_pro,
        COUNT(*) FILTER (WHERE plan = 'studio') AS users_studio,
        COUNT(*) FILTER (WHERE role = 'admin') AS admins,
        CAST(COALESCE(SUM(credit_balance), 0) AS BIGINT) AS credits_outstanding
    FROM raw_users
),
generations AS (
    SELECT
        COUNT(*) AS generations,
        COUNT(*) FILTER (WHERE status = 'COMPLETED') AS generations_completed,
        COUNT(*) FILTER (WHERE status = 'FAILED') AS generations_failed
    FROM raw_assets
),
revenue AS (
    SELECT
        CAST(COALESCE(SUM(gross_sales_cents), 0) AS BIGINT) AS gross_sales_cents,
        CAST(COALESCE(SUM(net_revenue_cents), 0) AS BIGINT) AS net_revenue_cents
    FROM revenue_daily
)
SELECT
    CAST(:now AS TIMESTAMPTZ) AS as_of,
    u.total_users,
    u.users_free,
    u.users_starter,
    u.users_pro,
    u.users_studio,
    u.admins,
    g.generations,
    g.generations_completed,
    g.generations_failed,
    (SELECT CAST(COALESCE(SUM(cost_nano_usd), 0) AS BIGINT) FROM ai_cost_daily) AS ai_cost_nano_usd,
    r.gross_sales_cents,
    r.net_revenue_cents,
    u.credits_outstanding,
    (SELECT CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT) FROM raw_asset_files) AS storage_bytes
FROM users u CROSS JOIN generations g CROSS JOIN revenue r
