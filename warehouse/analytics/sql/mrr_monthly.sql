-- mrr_monthly: METRICS "Subscriptions (MRR, as ChartMogul and dbt_stripe define it)".
--   MRR at month end per customer comes from core_customer_mrr (which implements the definition);
--   this mart reads the window's months, the month before and each customer's first MRR month.
--   Movements per customer: new, reactivation, expansion, contraction, churn; identity
--   end = start + new + reactivation + expansion - contraction - churn holds by construction and
--   is checked on every build. Grain: month. Partition: monthly (month).
WITH window_months AS (
    SELECT CAST(s.d AS DATE) AS month
    FROM generate_series(CAST(:start AS TIMESTAMP), CAST(:end AS TIMESTAMP) - INTERVAL '1 month', INTERVAL '1 month') AS s(d)
),
customer_mrr AS (
    -- this window's months and the month before it (core_customer_mrr, MRR > 0 only)
    SELECT month, customer_id, mrr_cents AS mrr
    FROM core_customer_mrr
    WHERE month >= CAST(CAST(:start AS TIMESTAMP) - INTERVAL '1 month' AS DATE) AND month < :end_day
),
keys AS (
    SELECT c.month, c.customer_id
    FROM customer_mrr c JOIN window_months w ON w.month = c.month
    UNION
    SELECT CAST(c.month + INTERVAL '1 month' AS DATE), c.customer_id
    FROM customer_mrr c JOIN window_months w ON w.month = CAST(c.month + INTERVAL '1 month' AS DATE)
),
first_mrr AS (
    -- the first month each customer of the window had MRR (so reactivation needs no correlated subquery)
    SELECT customer_id, MIN(month) AS first_month
    FROM core_customer_mrr
    WHERE month < :end_day AND customer_id IN (SELECT customer_id FROM keys)
    GROUP BY customer_id
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
