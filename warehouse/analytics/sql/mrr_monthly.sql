-- mrr_monthly: METRICS "Subscriptions (MRR, as ChartMogul and dbt_stripe define it)".
--   MRR at month end (for the current month: now): the subscription invoice line (not a proration) whose service period covers
--   the month's end instant, on an invoice that is paid or open (past_due), of a subscription not
--   ended before then; unit_amount x quantity - discounts, normalised to a month (week x 52/12,
--   month / interval_count, year / (12 x interval_count)); a 0-amount (trial) line counts 0. One
--   line per subscription (the latest period) so a plan change never counts twice. A cancellation
--   churns when its paid period ends; refunds never change MRR; tax/one-time lines are excluded.
--   Movements per customer: new, reactivation, expansion, contraction, churn; identity
--   end = start + new + reactivation + expansion - contraction - churn holds by construction and
--   is checked on every build. Grain: month. Partition: monthly (month).
WITH window_months AS (
    SELECT CAST(s.d AS DATE) AS month
    FROM generate_series(CAST(:start AS TIMESTAMP), CAST(:end AS TIMESTAMP) - INTERVAL '1 month', INTERVAL '1 month') AS s(d)
),
all_months AS (
    -- month_end: the instant MRR is measured (the month's end, or now for the current month)
    SELECT
        CAST(s.d AS DATE) AS month,
        LEAST(s.d + INTERVAL '1 month', CAST(CAST(:now AS TIMESTAMPTZ) AS TIMESTAMP)) AS month_end
    FROM generate_series(
        COALESCE(CAST(date_trunc('month', (SELECT MIN(period_start) FROM raw_stripe_invoice_lines)) AS TIMESTAMP), CAST(:start AS TIMESTAMP)),
        CAST(:end AS TIMESTAMP) - INTERVAL '1 month',
        INTERVAL '1 month'
    ) AS s(d)
),
line_mrr AS (
    SELECT
        l.*,
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
),
covering AS (
    SELECT
        m.month,
        l.customer_id,
        l.mrr,
        ROW_NUMBER() OVER (
            PARTITION BY m.month, l.subscription_id ORDER BY l.period_start DESC, l.line_id DESC
        ) AS rn
    FROM all_months m
    JOIN line_mrr l
        ON l.period_start < m.month_end
       AND l.period_end >= m.month_end
    LEFT JOIN raw_stripe_subscriptions s ON s.id = l.subscription_id
    WHERE s.ended_at IS NULL OR s.ended_at >= m.month_end
),
customer_mrr AS (
    SELECT month, customer_id, CAST(FLOOR(SUM(mrr) + 0.5) AS BIGINT) AS mrr
    FROM covering
    WHERE rn = 1
    GROUP BY month, customer_id
    HAVING FLOOR(SUM(mrr) + 0.5) > 0
),
first_mrr AS (
    -- the first month a customer had MRR (so reactivation needs no correlated subquery)
    SELECT customer_id, MIN(month) AS first_month FROM customer_mrr GROUP BY customer_id
),
keys AS (
    SELECT c.month, c.customer_id
    FROM customer_mrr c JOIN window_months w ON w.month = c.month
    UNION
    SELECT CAST(c.month + INTERVAL '1 month' AS DATE), c.customer_id
    FROM customer_mrr c JOIN window_months w ON w.month = CAST(c.month + INTERVAL '1 month' AS DATE)
),
moves AS (
    SELECT
        k.month,
        k.customer_id,
        COALESCE(cur.mrr, 0) AS cur,
        COALESCE(prev.mrr, 0) AS prev,
        COALESCE(f.first_month < CAST(k.month - INTERVAL '1 month' AS DATE), FALSE) AS had_before
    FROM keys k
    LEFT JOIN first_mrr f ON f.customer_id = k.customer_id
    LEFT JOIN customer_mrr cur ON cur.customer_id = k.customer_id AND cur.month = k.month
    LEFT JOIN customer_mrr prev
        ON prev.customer_id = k.customer_id AND prev.month = CAST(k.month - INTERVAL '1 month' AS DATE)
),
agg AS (
    SELECT
        month,
        SUM(prev) AS mrr_start,
        SUM(cur) FILTER (WHERE prev = 0 AND cur > 0 AND NOT had_before) AS new_mrr,
        SUM(cur) FILTER (WHERE prev = 0 AND cur > 0 AND had_before) AS reactivation,
        SUM(cur - prev) FILTER (WHERE cur > prev AND prev > 0) AS expansion,
        SUM(prev - cur) FILTER (WHERE cur < prev AND cur > 0) AS contraction,
        SUM(prev) FILTER (WHERE prev > 0 AND cur = 0) AS churn,
        SUM(cur) AS mrr_end,
        COUNT(*) FILTER (WHERE cur > 0) AS paying,
        COUNT(*) FILTER (WHERE prev > 0) AS customers_start,
        COUNT(*) FILTER (WHERE prev > 0 AND cur = 0) AS churned,
        COUNT(*) FILTER (WHERE prev = 0 AND cur > 0 AND NOT had_before) AS new_customers,
        COUNT(*) FILTER (WHERE prev = 0 AND cur > 0 AND had_before) AS reactivated
    FROM moves
    GROUP BY month
),
final AS (
    SELECT
        w.month,
        CAST(COALESCE(a.mrr_start, 0) AS BIGINT) AS mrr_start_cents,
        CAST(COALESCE(a.new_mrr, 0) AS BIGINT) AS new_cents,
        CAST(COALESCE(a.reactivation, 0) AS BIGINT) AS reactivation_cents,
        CAST(COALESCE(a.expansion, 0) AS BIGINT) AS expansion_cents,
        CAST(COALESCE(a.contraction, 0) AS BIGINT) AS contraction_cents,
        CAST(COALESCE(a.churn, 0) AS BIGINT) AS churn_cents,
        CAST(COALESCE(a.mrr_end, 0) AS BIGINT) AS mrr_end_cents,
        CAST(COALESCE(a.paying, 0) AS BIGINT) AS paying_subscribers,
        CAST(COALESCE(a.customers_start, 0) AS BIGINT) AS customers_start,
        CAST(COALESCE(a.churned, 0) AS BIGINT) AS churned_customers,
        CAST(COALESCE(a.new_customers, 0) AS BIGINT) AS new_customers,
        CAST(COALESCE(a.reactivated, 0) AS BIGINT) AS reactivated_customers
    FROM window_months w
    LEFT JOIN agg a ON a.month = w.month
)
SELECT
    month,
    mrr_start_cents,
    new_cents,
    reactivation_cents,
    expansion_cents,
    contraction_cents,
    churn_cents,
    mrr_end_cents,
    12 * mrr_end_cents AS arr_cents,
    paying_subscribers,
    CAST(mrr_end_cents AS DOUBLE PRECISION) / NULLIF(paying_subscribers, 0) AS arpu_cents,
    customers_start,
    churned_customers,
    new_customers,
    reactivated_customers,
    CAST(churned_customers AS DOUBLE PRECISION) / NULLIF(customers_start, 0) AS logo_churn,
    CAST(churn_cents + contraction_cents AS DOUBLE PRECISION) / NULLIF(mrr_start_cents, 0) AS gross_mrr_churn,
    CAST(mrr_start_cents + expansion_cents - contraction_cents - churn_cents AS DOUBLE PRECISION)
        / NULLIF(mrr_start_cents, 0) AS nrr
FROM final
