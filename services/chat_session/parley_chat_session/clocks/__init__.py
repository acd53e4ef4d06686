"""Time: the conversations' clocks and deadlines in Redis, business hours, retention."""
