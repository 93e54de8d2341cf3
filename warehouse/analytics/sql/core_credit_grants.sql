-- core_credit_grants: every grant (purchase, promotion, subscription, positive adjustment) with
-- its place in the user's first-in-first-out credit order and the money behind it.
--   credits_before = credits granted to the user before this grant: the grants already kept here
--                    (earlier partitions) plus the earlier grants of this window, so a new day
--                    reads that day's ledger and the users' earlier grants, never the spends;
--   value_cents    = METRICS "Credit value": pack net sales of the checkout the grant names (by
--                    session, payment intent or order id), or the paid subscription lines of the
--                    invoice it names; promotional credits and adjustments are worth 0.
-- Grain: grant. Partition: daily (day of the grant); reads its own earlier partitions.
WITH window_grants AS (
    SELECT e.entry_id, e.user_id, e.kind, e.reference_id, e.created_at, e.amount AS credits
    FROM raw_credit_ledger e
    WHERE e.created_at >= :start AND e.created_at < :end
      AND (e.kind IN ('grant_purchase', 'grant_promo', 'grant_subscription') OR (e.kind = 'adjustment' AND e.amount > 0))
),
granted_before AS (
    -- what each user had been granted before the window: the end of their last earlier grant
    -- (one index probe per user on PostgreSQL)
    SELECT u.user_id, COALESCE(last_grant.reach, 0) AS total
    FROM (SELECT DISTINCT user_id FROM window_grants) AS u
    LEFT JOIN LATERAL (
        SELECT g.credits_before + g.credits AS reach
        FROM core_credit_grants g
        WHERE g.user_id = u.user_id AND g.created_at < :start
        ORDER BY g.credits_before DESC
        LIMIT 1
    ) AS last_grant ON TRUE
),
pack_refs AS (
    SELECT DISTINCT reference_id AS ref FROM window_grants WHERE kind = 'grant_purchase' AND reference_id IS NOT NULL
),
pack_names AS (
    -- the paid orders the window's purchases name, under each name they may use (checkout session,
    -- payment intent, order id): three key lookups, each an index probe on PostgreSQL
    SELECT o.order_id, o.checkout_session_id AS ref FROM raw_orders o
    WHERE o.status IN ('PAID', 'FULFILLED') AND o.checkout_session_id IN (SELECT ref FROM pack_refs)
    UNION ALL
    SELECT o.order_id, o.payment_intent_id FROM raw_orders o
    WHERE o.status IN ('PAID', 'FULFILLED') AND o.payment_intent_id IN (SELECT ref FROM pack_refs)
    UNION ALL
    SELECT o.order_id, o.order_id FROM raw_orders o
    WHERE o.status IN ('PAID', 'FULFILLED') AND o.order_id IN (SELECT ref FROM pack_refs)
),
pack_sales AS (
    SELECT po.ref, SUM(i.amount_cents) AS cents
    FROM pack_names po JOIN raw_order_items i ON i.order_id = po.order_id
    WHERE i.kind = 'credit_pack'
    GROUP BY po.ref
),
invoice_sales AS (
    SELECT l.invoice_id, SUM(l.amount) AS cents
    FROM raw_stripe_invoice_lines l
    WHERE l.invoice_status = 'paid'
      AND l.invoice_id IN (SELECT reference_id FROM window_grants WHERE kind = 'grant_subscription')
    GROUP BY l.invoice_id
),
valued AS (
    SELECT
        w.*,
        CAST(CASE
            WHEN w.kind = 'grant_purchase' THEN COALESCE(ps.cents, 0)
            WHEN w.kind = 'grant_subscription' THEN COALESCE(inv.cents, 0)
            ELSE 0
        END AS BIGINT) AS value_cents,
        COALESCE(gb.total, 0)
            + SUM(w.credits) OVER (PARTITION BY w.user_id ORDER BY w.created_at, w.entry_id ROWS UNBOUNDED PRECEDING)
            - w.credits AS credits_before
    FROM window_grants w
    LEFT JOIN granted_before gb ON gb.user_id = w.user_id
    LEFT JOIN pack_sales ps ON w.kind = 'grant_purchase' AND ps.ref = w.reference_id
    LEFT JOIN invoice_sales inv ON w.kind = 'grant_subscription' AND inv.invoice_id = w.reference_id
)
SELECT
    CAST(created_at AS DATE) AS day,
    entry_id,
    user_id,
    kind,
    reference_id,
    created_at,
    credits,
    CAST(credits_before AS BIGINT) AS credits_before,
    value_cents,
    CAST(value_cents AS DOUBLE PRECISION) / credits AS value_per_credit_cents
FROM valued
