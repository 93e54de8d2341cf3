-- orders_daily: METRICS "Orders": count, items by kind, print units, fulfilment lead time (paid ->
-- fulfilled), failed fulfilments. Grain: day (of order creation). Partition: daily (day).
WITH spine AS (
    SELECT CAST(s.d AS DATE) AS day
    FROM generate_series(CAST(:start_day AS TIMESTAMP), CAST(:end_day AS TIMESTAMP) - INTERVAL '1 day', INTERVAL '1 day') AS s(d)
),
o AS (
    SELECT
        CAST(created_at AS DATE) AS day,
        COUNT(*) AS orders,
        COUNT(*) FILTER (WHERE status IN ('PAID', 'FULFILLED')) AS paid_orders,
        COUNT(*) FILTER (WHERE status = 'FULFILLED') AS fulfilled_orders,
        COUNT(*) FILTER (WHERE status = 'FAILED') AS failed_orders,
        SUM(amount_total_cents) FILTER (WHERE status IN ('PAID', 'FULFILLED')) AS amount,
        AVG((EXTRACT(EPOCH FROM fulfilled_at) - EXTRACT(EPOCH FROM paid_at)) / 3600.0)
            FILTER (WHERE fulfilled_at IS NOT NULL AND paid_at IS NOT NULL) AS hours
    FROM raw_orders
    WHERE created_at >= :start AND created_at < :end
    GROUP BY 1
),
i AS (
    SELECT
        CAST(created_at AS DATE) AS day,
        COUNT(*) FILTER (WHERE kind = 'digital_asset') AS digital_items,
        COUNT(*) FILTER (WHERE kind = 'print') AS print_items,
        COUNT(*) FILTER (WHERE kind = 'credit_pack') AS credit_pack_items,
        SUM(quantity) FILTER (WHERE kind = 'print') AS print_units
    FROM raw_order_items
    WHERE created_at >= :start AND created_at < :end
    GROUP BY 1
)
SELECT
    spine.day,
    CAST(COALESCE(o.orders, 0) AS BIGINT) AS orders,
    CAST(COALESCE(o.paid_orders, 0) AS BIGINT) AS paid_orders,
    CAST(COALESCE(o.fulfilled_orders, 0) AS BIGINT) AS fulfilled_orders,
    CAST(COALESCE(o.failed_orders, 0) AS BIGINT) AS failed_orders,
    CAST(COALESCE(i.digital_items, 0) AS BIGINT) AS digital_items,
    CAST(COALESCE(i.print_items, 0) AS BIGINT) AS print_items,
    CAST(COALESCE(i.credit_pack_items, 0) AS BIGINT) AS credit_pack_items,
    CAST(COALESCE(i.print_units, 0) AS BIGINT) AS print_units,
    CAST(COALESCE(o.amount, 0) AS BIGINT) AS order_amount_cents,
    CAST(o.hours AS DOUBLE PRECISION) AS avg_fulfilment_hours
FROM spine
LEFT JOIN o ON o.day = spine.day
LEFT JOIN i ON i.day = spine.day
