-- payout_reconciliation: METRICS "Payouts are dated by available_on, and the sum of a payout's balance
-- transactions = payout amount". Automatic daily payouts pay out the funds that became available
-- on the payout's day (UTC date of its created): every non-payout, non-transfer balance
-- transaction whose available_on falls on that day. Grain: payout. Partition: none.
WITH funds AS (
    SELECT CAST(available_on AS DATE) AS day, COUNT(*) AS n, SUM(net) AS net
    FROM raw_stripe_balance_transactions
    WHERE type NOT IN ('payout', 'payout_cancel', 'payout_failure', 'payout_minimum_balance_hold',
                       'payout_minimum_balance_release', 'transfer', 'transfer_cancel', 'transfer_failure',
                       'transfer_refund')
    GROUP BY 1
)
SELECT
    p.id AS payout_id,
    CAST(p.created_at AS DATE) AS payout_day,
    p.arrival_date,
    p.status,
    p.amount AS payout_amount_cents,
    CAST(COALESCE(funds.n, 0) AS BIGINT) AS transactions,
    CAST(COALESCE(funds.net, 0) AS BIGINT) AS transactions_net_cents,
    CAST(p.amount - COALESCE(funds.net, 0) AS BIGINT) AS difference_cents
FROM raw_stripe_payouts p
LEFT JOIN funds ON funds.day = CAST(p.created_at AS DATE)
WHERE p.status NOT IN ('canceled', 'failed')
