"""Baselines run beside Parley in the same bench run: a bare aiohttp WebSocket server (the
floor for Python) and Centrifugo (a Go real-time gateway platform teams run)."""
