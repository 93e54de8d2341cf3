"""FastAPI app: stats, generation endpoints, Stripe webhook, dashboard."""
