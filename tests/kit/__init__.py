"""What every test family shares, one place each: waiting for an event (``waiting.eventually``),
so a wait means the same everywhere, starting the services (``fleet.fleet_for``), and speaking
the gateway's WebSocket protocol (``client.WsClient``, which the bench's load links are too)."""
