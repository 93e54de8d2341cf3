-- recent_activity: METRICS "Recent activity": the latest events, newest first.
-- Grain: event (event_type, subject_id). Partition: none (the latest 200 events).
SELECT occurred_at, event_type, subject_id, user_id, detail
FROM (
    (SELECT created_at AS occurred_at, 'signup' AS event_type, user_id AS subject_id, user_id, plan AS detail
     FROM raw_users ORDER BY created_at DESC LIMIT 200)
    UNION ALL
    (SELECT created_at, 'generation_started', asset_id, user_id, mode
     FROM raw_assets ORDER BY created_at DESC LIMIT 200)
    UNION ALL
    (SELECT completed_at, 'generation_completed', asset_id, user_id, mode
     FROM raw_assets WHERE status = 'COMPLETED' AND completed_at IS NOT NULL ORDER BY completed_at DESC LIMIT 200)
    UNION ALL
    (SELECT created_at, 'generation_failed', asset_id, user_id, mode
     FROM raw_assets WHERE status = 'FAILED' ORDER BY created_at DESC LIMIT 200)
    UNION ALL
    (SELECT paid_at, 'order_paid', order_id, user_id, CAST(amount_total_cents AS VARCHAR)
     FROM raw_orders WHERE paid_at IS NOT NULL ORDER BY paid_at DESC LIMIT 200)
    UNION ALL
    (SELECT created_at, 'refund', id, CAST(NULL AS VARCHAR), CAST(amount AS VARCHAR)
     FROM raw_stripe_refunds ORDER BY created_at DESC LIMIT 200)
) AS events
ORDER BY occurred_at DESC, event_type, subject_id
LIMIT 200
