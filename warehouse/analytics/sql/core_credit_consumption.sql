-- core_credit_consumption: every consumption of credits (spends, refunds of spends, negative
-- adjustments) valued first in first out (METRICS "Consumed value"). A user's grants form
-- consecutive credit intervals [credits_before, credits_before + credits) with a value per
-- credit (core_credit_grants); a consumption moving the user's consumed total from b to e is
-- worth V(e) - V(b), V being the cumulative grant value, so a refund (e < b) gives value back.
-- The position b before the window comes from the ledger's running balance, not its history:
-- consumed before = granted before - the balance before the user's first entry in the window;
-- granted before is the end of the user's last earlier grant, and only the grants the window's
-- positions overlap are read (index probes on (user_id, credits_before) on PostgreSQL).
-- Grain: consuming ledger entry. Partition: daily (day of the entry).
WITH ledger AS (
    SELECT
        e.user_id, e.entry_id, e.kind, e.amount, e.balance_after, e.created_at,
        CASE WHEN e.kind IN ('spend', 'refund') OR (e.kind = 'adjustment' AND e.amount < 0)
             THEN -e.amount ELSE 0 END AS consumed
    FROM raw_credit_ledger e
    WHERE e.created_at >= :start AND e.created_at < :end
),
first_entry AS (
    SELECT user_id, balance_after - amount AS balance_before,
           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at, entry_id) AS rn
    FROM ledger
),
users AS (
    SELECT DISTINCT user_id FROM ledger WHERE consumed <> 0
),
granted_before AS (
    -- what each user had been granted before the window: the end of their last grant before it
    -- (one index probe per user on PostgreSQL)
    SELECT u.user_id, COALESCE(last_grant.reach, 0) AS total
    FROM users u
    LEFT JOIN LATERAL (
        SELECT g.credits_before + g.credits AS reach
        FROM core_credit_grants g
        WHERE g.user_id = u.user_id AND g.created_at < :start
        ORDER BY g.credits_before DESC
        LIMIT 1
    ) AS last_grant ON TRUE
),
positions AS (
    SELECT
        l.user_id, l.entry_id, l.kind, l.created_at, l.consumed,
        CAST(
            COALESCE(gb.total, 0) - f.balance_before
            + SUM(l.consumed) OVER (PARTITION BY l.user_id ORDER BY l.created_at, l.entry_id ROWS UNBOUNDED PRECEDING)
            AS BIGINT
        ) AS consumed_after
    FROM ledger l
    JOIN first_entry f ON f.user_id = l.user_id AND f.rn = 1
    LEFT JOIN granted_before gb ON gb.user_id = l.user_id
),
consumption AS (
    SELECT user_id, entry_id, kind, created_at, consumed, consumed_after - consumed AS b, consumed_after AS e
    FROM positions
    WHERE consumed <> 0
),
reach AS (
    -- the span of FIFO positions each user's consumptions cover in the window
    SELECT user_id, MIN(LEAST(b, e)) AS low, MAX(GREATEST(b, e)) AS high FROM consumption GROUP BY user_id
),
spans AS (
    -- where that span starts among the user's grants: the grant holding its lowest position
    SELECT r.user_id, r.high, COALESCE(first_grant.lo, 0) AS from_lo
    FROM reach r
    LEFT JOIN LATERAL (
        SELECT g.credits_before AS lo
        FROM core_credit_grants g
        WHERE g.user_id = r.user_id AND g.credits_before <= r.low AND g.created_at < :end
        ORDER BY g.credits_before DESC
        LIMIT 1
    ) AS first_grant ON TRUE
),
grants AS (
    -- only the grants the window's consumptions overlap (a range of one index on PostgreSQL)
    SELECT g.user_id, g.credits_before AS lo, g.credits, g.value_per_credit_cents
    FROM spans s
    JOIN core_credit_grants g
      ON g.user_id = s.user_id AND g.credits_before >= s.from_lo AND g.credits_before < s.high
    WHERE g.created_at < :end AND g.value_cents > 0
),
valued AS (
    SELECT
        c.entry_id,
        SUM(
            g.value_per_credit_cents * (
                LEAST(GREATEST(c.e - g.lo, 0), g.credits) - LEAST(GREATEST(c.b - g.lo, 0), g.credits)
            )
        ) AS cents
    FROM consumption c
    JOIN grants g
        ON g.user_id = c.user_id AND g.lo < GREATEST(c.b, c.e) AND g.lo + g.credits > LEAST(c.b, c.e)
    GROUP BY c.entry_id
)
SELECT
    CAST(c.created_at AS DATE) AS day,
    c.entry_id,
    c.user_id,
    c.kind,
    c.created_at,
    c.consumed AS credits,
    CAST(c.b AS BIGINT) AS consumed_before,
    CAST(COALESCE(v.cents, 0.0) AS DOUBLE PRECISION) AS value_cents
FROM consumption c
LEFT JOIN valued v ON v.entry_id = c.entry_id
