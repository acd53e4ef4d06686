"""Gateway metrics: connections, frames, errors and delivery latency (no per-user labels)."""

from prometheus_client import Counter, Gauge, Histogram

from parley.metrics import LATENCY_BUCKETS

CONNECTIONS = Gauge("parley_gateway_connections", "Open, authenticated WebSocket connections on this node.")
CONNECTS = Counter("parley_gateway_connects_total", "Authenticated WebSocket connections accepted.")
DISCONNECTS = Counter("parley_gateway_disconnects_total", "Connections closed, by close code.", ["close_code"])
FRAMES_IN = Counter("parley_gateway_frames_received_total", "Client frames received, by type.", ["type"])
FRAMES_OUT = Counter("parley_gateway_frames_sent_total", "Server frames sent, by type.", ["type"])
ERRORS = Counter("parley_gateway_errors_total", "Error frames sent, by code.", ["code"])
DELIVERY_SECONDS = Histogram(
    "parley_gateway_delivery_latency_seconds",
    "From a delivery's receipt off the bus to the last socket write.",
    buckets=LATENCY_BUCKETS,
)
MESSAGE_SECONDS = Histogram(
    "parley_message_delivery_latency_seconds",
    "From a message's creation in chat_session to its write on a recipient's socket.",
    buckets=LATENCY_BUCKETS,
)
