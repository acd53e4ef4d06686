"""Parley integrations: external bots, webhook subscriptions and the deliveries to them (issue 20)."""
