-- revenue_daily: METRICS "Revenue" (as fivetran/dbt_stripe), from Stripe balance transactions:
--   gross sales = sum(amount) of type charge/payment; refunds = |sum(amount)| of refund/payment_refund;
--   disputes = |dispute debits| + dispute fees - reinstatements (reporting_category dispute /
--   dispute_reversal); fees = sum(fee) over non-payout rows; net revenue = sum(net) over rows that
--   are not payouts or transfers; net sales = gross - refunds; non-recurring = gross sales of charges
--   without an invoice (one-time checkouts). Grain: day (of the balance transaction's created).
-- Partition: daily (day). A charge's balance transaction is written when it is captured, at most
-- 30 days after the charge (an extended authorisation), so only the charges of the window and
-- the 31 days before it are looked up for their invoice.
WITH spine AS (
    SELECT CAST(s.d AS DATE) AS day
    FROM generate_series(CAST(:start_day AS TIMESTAMP), CAST(:end_day AS TIMESTAMP) - INTERVAL '1 day', INTERVAL '1 day') AS s(d)
),
charges AS (
    SELECT id, invoice_id FROM raw_stripe_charges
    WHERE created_at >= CAST(:start AS TIMESTAMPTZ) - INTERVAL '31 days' AND created_at < :end
),
bt AS (
    SELECT
        b.*,
        c.invoice_id,
        b.type IN ('payout', 'payout_cancel', 'payout_failure', 'payout_minimum_balance_hold',
                   'payout_minimum_balance_release') AS is_payout,
        b.type IN ('transfer', 'transfer_cancel', 'transfer_failure', 'transfer_refund') AS is_transfer
    FROM raw_stripe_balance_transactions b
    LEFT JOIN charges c ON c.id = b.source_id
    WHERE b.created_at >= :start AND b.created_at < :end
),
agg AS (
    SELECT
        CAST(created_at AS DATE) AS day,
        SUM(amount) FILTER (WHERE type IN ('charge', 'payment')) AS gross,
        ABS(SUM(amount) FILTER (WHERE type IN ('refund', 'payment_refund'))) AS refunds,
        ABS(SUM(amount) FILTER (WHERE reporting_category = 'dispute')) AS dispute_debits,
        SUM(fee) FILTER (WHERE reporting_category IN ('dispute', 'dispute_reversal')) AS dispute_fees,
        SUM(amount) FILTER (WHERE reporting_category = 'dispute_reversal') AS reinstatements,
        SUM(fee) FILTER (WHERE NOT is_payout) AS fees,
        SUM(net) FILTER (WHERE NOT is_payout AND NOT is_transfer) AS net,
        SUM(amount) FILTER (WHERE type IN ('charge', 'payment') AND invoice_id IS NULL) AS non_recurring,
        SUM(amount) FILTER (WHERE type IN ('charge', 'payment') AND invoice_id IS NOT NULL) AS recurring,
        COUNT(*) FILTER (WHERE NOT is_payout AND NOT is_transfer) AS n
    FROM bt
    GROUP BY 1
)
SELECT
    spine.day,
    CAST(COALESCE(agg.gross, 0) AS BIGINT) AS gross_sales_cents,
    CAST(COALESCE(agg.refunds, 0) AS BIGINT) AS refunds_cents,
    CAST(COALESCE(agg.dispute_debits, 0) + COALESCE(agg.dispute_fees, 0) - COALESCE(agg.reinstatements, 0) AS BIGINT)
        AS disputes_cents,
    CAST(COALESCE(agg.fees, 0) AS BIGINT) AS fees_cents,
    CAST(COALESCE(agg.net, 0) AS BIGINT) AS net_revenue_cents,
    CAST(COALESCE(agg.gross, 0) - COALESCE(agg.refunds, 0) AS BIGINT) AS net_sales_cents,
    CAST(COALESCE(agg.non_recurring, 0) AS BIGINT) AS non_recurring_cents,
    CAST(COALESCE(agg.recurring, 0) AS BIGINT) AS recurring_cents,
    CAST(COALESCE(agg.n, 0) AS BIGINT) AS balance_transactions
FROM spine
LEFT JOIN agg ON agg.day = spine.day
