"""Parley's load generator and benchmarks (``make bench``; see bench/README.md).

Nothing here is imported by the services or the tests: the bench drives a fleet it starts
itself, on its own RabbitMQ vhost, MongoDB database, Redis key prefix and free ports, through
the public HTTP and WebSocket interfaces only.
"""
