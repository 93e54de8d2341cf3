-- user_growth_daily: METRICS "Users: new per day (growth), total". Grain: day. Partition: daily (day).
WITH spine AS (
    SELECT CAST(s.d AS DATE) AS day
    FROM generate_series(CAST(:start_day AS TIMESTAMP), CAST(:end_day AS TIMESTAMP) - INTERVAL '1 day', INTERVAL '1 day') AS s(d)
),
signups AS (
    SELECT CAST(created_at AS DATE) AS day, COUNT(*) AS n
    FROM raw_users
    WHERE created_at >= :start AND created_at < :end
    GROUP BY 1
),
base AS (
    SELECT COUNT(*) AS n FROM raw_users WHERE created_at < :start
)
SELECT
    spine.day,
    CAST(COALESCE(signups.n, 0) AS BIGINT) AS new_users,
    CAST((SELECT n FROM base) + SUM(COALESCE(signups.n, 0)) OVER (ORDER BY spine.day) AS BIGINT) AS total_users
FROM spine
LEFT JOIN signups ON signups.day = spine.day
