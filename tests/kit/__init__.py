"""What every test family shares, one place each: waiting for an event (``waiting.eventually``),
so a wait means the same everywhere, and starting the services (``fleet.fleet_for``)."""
