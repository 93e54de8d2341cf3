-- unit_economics: METRICS "Unit economics" and "Cost per successful generation".
--   credit value     = pack sales / paid credits granted (promotional credits are worth 0);
--   consumed value   = credits spent x value of the grants consumed, first in first out: each
--                      user's grants form consecutive intervals of credits, each with a value per
--                      credit; a consumption moving the user's running total of consumed credits
--                      from b to e is worth V(e) - V(b), where V is the cumulative grant value
--                      (refunds of spends move the total back and so give value back);
--   gross margin     = consumed value - AI cost; margin % = 1 - AI cost / consumed value.
-- Paid grants reference a checkout session, payment intent or order; subscription grants an
-- invoice (worth its paid subscription lines). Grain: day. Partition: daily (day).
WITH spine AS (
    SELECT CAST(s.d AS DATE) AS day
    FROM generate_series(CAST(:start_day AS TIMESTAMP), CAST(:end_day AS TIMESTAMP) - INTERVAL '1 day', INTERVAL '1 day') AS s(d)
),
users_in_window AS (
    SELECT DISTINCT user_id FROM raw_credit_ledger WHERE created_at >= :start AND created_at < :end
),
pack_sales AS (
    -- a paid grant names its checkout by session, payment intent or order id: one row per name
    SELECT ref, SUM(cents) AS cents
    FROM (
        SELECT o.checkout_session_id AS ref, i.amount_cents AS cents
        FROM raw_orders o JOIN raw_order_items i ON i.order_id = o.order_id
        WHERE i.kind = 'credit_pack' AND o.status IN ('PAID', 'FULFILLED') AND o.checkout_session_id IS NOT NULL
        UNION ALL
        SELECT o.payment_intent_id, i.amount_cents
        FROM raw_orders o JOIN raw_order_items i ON i.order_id = o.order_id
        WHERE i.kind = 'credit_pack' AND o.status IN ('PAID', 'FULFILLED') AND o.payment_intent_id IS NOT NULL
        UNION ALL
        SELECT o.order_id, i.amount_cents
        FROM raw_orders o JOIN raw_order_items i ON i.order_id = o.order_id
        WHERE i.kind = 'credit_pack' AND o.status IN ('PAID', 'FULFILLED')
    ) AS refs
    GROUP BY ref
),
invoice_sales AS (
    SELECT invoice_id, SUM(amount) AS cents
    FROM raw_stripe_invoice_lines WHERE invoice_status = 'paid'
    GROUP BY invoice_id
),
ledger AS (
    -- only the window's entries
    SELECT
        e.user_id, e.entry_id, e.kind, e.amount, e.balance_after, e.reference_id, e.created_at,
        CASE WHEN e.kind IN ('spend', 'refund') OR (e.kind = 'adjustment' AND e.amount < 0)
             THEN -e.amount ELSE 0 END AS consumed
    FROM raw_credit_ledger e
    WHERE e.created_at >= :start AND e.created_at < :end
),
grant_rows AS (
    -- the grants (and positive adjustments) of the users active in the window, up to its end
    SELECT e.user_id, e.entry_id, e.kind, e.amount AS granted, e.reference_id, e.created_at
    FROM raw_credit_ledger e
    WHERE (e.kind IN ('grant_purchase', 'grant_promo', 'grant_subscription') OR (e.kind = 'adjustment' AND e.amount > 0))
      AND e.created_at < :end
      AND e.user_id IN (SELECT user_id FROM users_in_window)
),
granted_before AS (
    SELECT user_id, SUM(granted) AS total FROM grant_rows WHERE created_at < :start GROUP BY user_id
),
first_entry AS (
    SELECT user_id, balance_after, amount,
           ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY created_at, entry_id) AS rn
    FROM ledger
),
consumed_before AS (
    -- consumed before the window = granted before it - the balance before the user's first entry in
    -- it (its balance_after - amount): no pass over the user's spends before the window
    SELECT f.user_id, COALESCE(g.total, 0) - (f.balance_after - f.amount) AS total
    FROM first_entry f LEFT JOIN granted_before g ON g.user_id = f.user_id
    WHERE f.rn = 1
),
grants AS (
    -- each grant's credit interval [lo, lo + credits) from the running sum of the user's grants
    SELECT
        r.user_id, r.entry_id, r.kind, r.created_at, r.granted AS credits,
        SUM(r.granted) OVER (PARTITION BY r.user_id ORDER BY r.created_at, r.entry_id ROWS UNBOUNDED PRECEDING)
            - r.granted AS lo,
        CASE
            WHEN r.kind = 'grant_purchase' THEN CAST(COALESCE(ps.cents, 0) AS DOUBLE PRECISION) / r.granted
            WHEN r.kind = 'grant_subscription' THEN CAST(COALESCE(inv.cents, 0) AS DOUBLE PRECISION) / r.granted
            ELSE 0.0
        END AS value_per_credit,
        COALESCE(ps.cents, 0) AS pack_cents
    FROM grant_rows r
    LEFT JOIN pack_sales ps ON r.kind = 'grant_purchase' AND ps.ref = r.reference_id
    LEFT JOIN invoice_sales inv ON r.kind = 'grant_subscription' AND r.reference_id = inv.invoice_id
),
in_window AS (
    SELECT
        l.user_id, l.entry_id, l.created_at, l.consumed,
        COALESCE(cb.total, 0)
            + SUM(l.consumed) OVER (PARTITION BY l.user_id ORDER BY l.created_at, l.entry_id ROWS UNBOUNDED PRECEDING)
            AS consumed_after
    FROM ledger l
    LEFT JOIN consumed_before cb ON cb.user_id = l.user_id
),
consumption AS (
    SELECT user_id, entry_id, created_at, consumed, consumed_after - consumed AS b, consumed_after AS e
    FROM in_window
    WHERE consumed <> 0
),
consumed_value AS (
    SELECT
        CAST(c.created_at AS DATE) AS day,
        SUM(
            g.value_per_credit * (
                LEAST(GREATEST(c.e - g.lo, 0), g.credits) - LEAST(GREATEST(c.b - g.lo, 0), g.credits)
            )
        ) AS cents
    FROM consumption c
    JOIN grants g
        ON g.user_id = c.user_id AND g.lo < GREATEST(c.b, c.e) AND g.lo + g.credits > LEAST(c.b, c.e)
    GROUP BY 1
),
consumed_credits AS (
    SELECT CAST(created_at AS DATE) AS day, SUM(consumed) AS credits FROM consumption GROUP BY 1
),
paid_grants AS (
    SELECT CAST(created_at AS DATE) AS day, SUM(credits) AS credits, SUM(pack_cents) AS cents
    FROM grants
    WHERE kind = 'grant_purchase' AND created_at >= :start AND created_at < :end
    GROUP BY 1
),
cost AS (
    SELECT CAST(created_at AS DATE) AS day, SUM(cost_nano_usd) AS nano
    FROM raw_provider_calls
    WHERE created_at >= :start AND created_at < :end
    GROUP BY 1
),
completed AS (
    SELECT CAST(completed_at AS DATE) AS day, COUNT(*) AS n
    FROM raw_assets
    WHERE status = 'COMPLETED' AND completed_at >= :start AND completed_at < :end
    GROUP BY 1
),
joined AS (
    SELECT
        spine.day,
        CAST(COALESCE(pg.credits, 0) AS BIGINT) AS paid_credits_granted,
        CAST(COALESCE(pg.cents, 0) AS BIGINT) AS pack_sales_cents,
        CAST(COALESCE(cc.credits, 0) AS BIGINT) AS credits_consumed,
        CAST(FLOOR(COALESCE(cv.cents, 0) + 0.5) AS BIGINT) AS consumed_value_cents,
        CAST(COALESCE(cost.nano, 0) AS BIGINT) AS ai_cost_nano_usd,
        CAST(COALESCE(completed.n, 0) AS BIGINT) AS successful_generations
    FROM spine
    LEFT JOIN paid_grants pg ON pg.day = spine.day
    LEFT JOIN consumed_credits cc ON cc.day = spine.day
    LEFT JOIN consumed_value cv ON cv.day = spine.day
    LEFT JOIN cost ON cost.day = spine.day
    LEFT JOIN completed ON completed.day = spine.day
)
SELECT
    day,
    paid_credits_granted,
    pack_sales_cents,
    CAST(pack_sales_cents AS DOUBLE PRECISION) / NULLIF(paid_credits_granted, 0) AS credit_value_cents,
    credits_consumed,
    consumed_value_cents,
    ai_cost_nano_usd,
    successful_generations,
    CAST(FLOOR(CAST(ai_cost_nano_usd AS DOUBLE PRECISION) / NULLIF(successful_generations, 0) + 0.5) AS BIGINT)
        AS cost_per_successful_generation_nano_usd,
    consumed_value_cents * 10000000 - ai_cost_nano_usd AS gross_margin_nano_usd,
    1.0 - CAST(ai_cost_nano_usd AS DOUBLE PRECISION) / NULLIF(CAST(consumed_value_cents AS DOUBLE PRECISION) * 10000000, 0)
        AS margin_pct
FROM joined
