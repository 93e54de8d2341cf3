-- user_growth_monthly: METRICS "Users: new per month (growth)" and "Conversion" with N = 30 days.
-- Grain: month. Partition: none (rebuilt whole; one row per month). A user converts with a first
-- paid purchase (a paid order, or a succeeded Stripe charge of their customer) within 30 days.
WITH months AS (
    SELECT CAST(s.d AS DATE) AS month
    FROM generate_series(
        COALESCE(CAST(date_trunc('month', (SELECT MIN(created_at) FROM raw_users)) AS TIMESTAMP), CAST(date_trunc('month', CAST(:now AS TIMESTAMPTZ)) AS TIMESTAMP)),
        CAST(date_trunc('month', CAST(:now AS TIMESTAMPTZ)) AS TIMESTAMP),
        INTERVAL '1 month'
    ) AS s(d)
),
paid AS (
    SELECT user_id, paid_at AS paid_time FROM raw_orders WHERE paid_at IS NOT NULL
    UNION ALL
    SELECT u.user_id, c.created_at AS paid_time
    FROM raw_stripe_charges c JOIN raw_users u ON u.stripe_customer_id = c.customer_id
    WHERE c.status = 'succeeded'
),
first_paid AS (
    SELECT user_id, MIN(paid_time) AS first_paid_at FROM paid GROUP BY user_id
),
cohorts AS (
    SELECT
        CAST(date_trunc('month', u.created_at) AS DATE) AS month,
        COUNT(*) AS new_users,
        COUNT(*) FILTER (WHERE f.first_paid_at <= u.created_at + INTERVAL '30 days') AS converted
    FROM raw_users u
    LEFT JOIN first_paid f ON f.user_id = u.user_id
    GROUP BY 1
)
SELECT
    months.month,
    CAST(COALESCE(cohorts.new_users, 0) AS BIGINT) AS new_users,
    CAST(SUM(COALESCE(cohorts.new_users, 0)) OVER (ORDER BY months.month) AS BIGINT) AS total_users,
    CAST(COALESCE(cohorts.converted, 0) AS BIGINT) AS converted_30d,
    CAST(cohorts.converted AS DOUBLE PRECISION) / NULLIF(cohorts.new_users, 0) AS conversion_30d
FROM months
LEFT JOIN cohorts ON cohorts.month = months.month
