"""The client side of the bench: WebSocket links, the dialects they speak, and the agents
(one per worker process) that hold thousands of links each."""
