-- core_customer_mrr: METRICS "MRR at month end" per customer (ChartMogul / dbt_stripe): the
-- subscription invoice line (not a proration) whose service period covers the month's end instant
-- (for the current month: now), on an invoice that is paid or open (past_due), of a subscription
-- not ended before then; unit_amount x quantity - discounts, normalised to a month (week x 52/12,
-- month / interval_count, year / (12 x interval_count)); a 0-amount (trial) line counts 0. One
-- line per subscription (the latest period), so a plan change never counts twice. A cancellation
-- churns when its paid period ends; refunds never change MRR; tax and one-time lines are excluded.
-- Grain: customer x month (MRR > 0 only). Partition: monthly (month).
WITH months AS (
    SELECT
        CAST(s.d AS DATE) AS month,
        LEAST(s.d + INTERVAL '1 month', CAST(CAST(:now AS TIMESTAMPTZ) AS TIMESTAMP)) AS month_end
    FROM generate_series(CAST(:start AS TIMESTAMP), CAST(:end AS TIMESTAMP) - INTERVAL '1 month', INTERVAL '1 month') AS s(d)
),
line_mrr AS (
    SELECT
        l.line_id, l.subscription_id, l.customer_id, l.period_start, l.period_end,
        CASE
            WHEN l.amount = 0 THEN 0.0
            WHEN l.interval = 'week' THEN CAST(l.unit_amount * l.quantity - l.discount_amount AS DOUBLE PRECISION) * 52 / 12 / l.interval_count
            WHEN l.interval = 'month' THEN CAST(l.unit_amount * l.quantity - l.discount_amount AS DOUBLE PRECISION) / l.interval_count
            WHEN l.interval = 'year' THEN CAST(l.unit_amount * l.quantity - l.discount_amount AS DOUBLE PRECISION) / (12 * l.interval_count)
            WHEN l.interval = 'day' THEN CAST(l.unit_amount * l.quantity - l.discount_amount AS DOUBLE PRECISION) * 365 / 12 / l.interval_count
            ELSE 0.0
        END AS mrr
    FROM raw_stripe_invoice_lines l
    WHERE l.line_type = 'subscription' AND NOT l.proration AND l.invoice_status IN ('paid', 'open')
      AND l.period_end >= CAST(:start AS TIMESTAMPTZ)
      AND l.period_start < CAST(:end AS TIMESTAMPTZ)
),
covering AS (
    SELECT
        m.month,
        l.customer_id,
        l.subscription_id,
        l.mrr,
        ROW_NUMBER() OVER (
            PARTITION BY m.month, l.subscription_id ORDER BY l.period_start DESC, l.line_id DESC
        ) AS rn
    FROM months m
    JOIN line_mrr l
        ON l.period_start < m.month_end
       AND l.period_end >= m.month_end
    LEFT JOIN raw_stripe_subscriptions s ON s.id = l.subscription_id
    WHERE s.ended_at IS NULL OR s.ended_at >= m.month_end
)
SELECT
    month,
    customer_id,
    COUNT(*) AS subscriptions,
    CAST(FLOOR(SUM(mrr) + 0.5) AS BIGINT) AS mrr_cents
FROM covering
WHERE rn = 1
GROUP BY month, customer_id
HAVING FLOOR(SUM(mrr) + 0.5) > 0
