-- cost_per_generation: the rows a window rebuilds are its own days' generations and the earlier
-- generations that got calls in the window (their totals change).
DELETE FROM cost_per_generation
WHERE (day >= :start_day AND day < :end_day)
   OR (day >= :since_day AND day < :start_day AND asset_id IN (
        SELECT asset_id FROM raw_provider_calls
        WHERE created_at >= :start AND created_at < :end AND asset_created_at < :start
      ))
