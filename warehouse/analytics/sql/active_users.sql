-- active_users: METRICS "DAU / WAU / MAU" = distinct users with >= 1 credit-spending generation
-- (a ledger spend) in the day / 7 days / 30 days ending that day. Grain: day. Partition: daily (day).
WITH spine AS (
    SELECT CAST(s.d AS DATE) AS day
    FROM generate_series(CAST(:start_day AS TIMESTAMP), CAST(:end_day AS TIMESTAMP) - INTERVAL '1 day', INTERVAL '1 day') AS s(d)
),
spends AS (
    SELECT DISTINCT user_id, CAST(created_at AS DATE) AS day
    FROM raw_credit_ledger
    WHERE kind = 'spend'
      AND created_at >= CAST(:start AS TIMESTAMPTZ) - INTERVAL '29 days'
      AND created_at < :end
)
SELECT
    spine.day,
    CAST(COUNT(DISTINCT s.user_id) FILTER (WHERE s.day = spine.day) AS BIGINT) AS dau,
    CAST(COUNT(DISTINCT s.user_id) FILTER (WHERE s.day > CAST(spine.day - INTERVAL '7 days' AS DATE)) AS BIGINT) AS wau,
    CAST(COUNT(DISTINCT s.user_id) AS BIGINT) AS mau
FROM spine
LEFT JOIN spends s ON s.day <= spine.day AND s.day > CAST(spine.day - INTERVAL '30 days' AS DATE)
GROUP BY spine.day
