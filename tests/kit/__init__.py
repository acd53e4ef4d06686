"""What every test family shares: waiting for an event (``waiting.eventually``). One place each,
so a wait means the same everywhere."""
