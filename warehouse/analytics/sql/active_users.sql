-- active_users: METRICS "DAU / WAU / MAU" = distinct users with >= 1 credit-spending generation
-- (a ledger spend) in the day / 7 days / 30 days ending that day. Grain: day. Partition: daily (day).
-- Linear, not a range join: a spend on day s keeps its user active on days [s, s + 30) (MAU) or
-- [s, s + 7) (WAU), cut at the user's next spend day so that one user is counted once; counts
-- are running sums of +1/-1 at the interval ends over a spine that starts 29 days early.
WITH user_days AS (
    SELECT DISTINCT user_id, CAST(created_at AS DATE) AS day
    FROM raw_credit_ledger
    WHERE kind = 'spend'
      AND created_at >= CAST(:start AS TIMESTAMPTZ) - INTERVAL '29 days'
      AND created_at < :end
),
runs AS (
    SELECT day, LEAD(day) OVER (PARTITION BY user_id ORDER BY day) AS next_day
    FROM user_days
),
events AS (
    SELECT day AS event_day, 1 AS dau, 1 AS wau, 1 AS mau FROM runs
    UNION ALL
    SELECT CAST(day + INTERVAL '1 day' AS DATE), -1, 0, 0 FROM runs
    UNION ALL
    SELECT LEAST(CAST(day + INTERVAL '7 days' AS DATE), COALESCE(next_day, CAST(day + INTERVAL '7 days' AS DATE))), 0, -1, 0
    FROM runs
    UNION ALL
    SELECT LEAST(CAST(day + INTERVAL '30 days' AS DATE), COALESCE(next_day, CAST(day + INTERVAL '30 days' AS DATE))), 0, 0, -1
    FROM runs
),
deltas AS (
    SELECT event_day, SUM(dau) AS dau, SUM(wau) AS wau, SUM(mau) AS mau FROM events GROUP BY event_day
),
spine AS (
    SELECT CAST(s.d AS DATE) AS day
    FROM generate_series(
        CAST(:start_day AS TIMESTAMP) - INTERVAL '29 days',
        CAST(:end_day AS TIMESTAMP) - INTERVAL '1 day',
        INTERVAL '1 day'
    ) AS s(d)
),
running AS (
    SELECT
        spine.day,
        SUM(COALESCE(deltas.dau, 0)) OVER (ORDER BY spine.day) AS dau,
        SUM(COALESCE(deltas.wau, 0)) OVER (ORDER BY spine.day) AS wau,
        SUM(COALESCE(deltas.mau, 0)) OVER (ORDER BY spine.day) AS mau
    FROM spine
    LEFT JOIN deltas ON deltas.event_day = spine.day
)
SELECT day, CAST(dau AS BIGINT) AS dau, CAST(wau AS BIGINT) AS wau, CAST(mau AS BIGINT) AS mau
FROM running
WHERE day >= :start_day
