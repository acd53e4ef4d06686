"""chat_session's own metrics (the shared ones live in parley.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_STORED = Counter(
    "parley_messages_stored_total",
    "Messages stored (retried sends that were already stored are not counted), by kind.",
    ["kind"],
)
# Visitors wait seconds to minutes for a human: buckets from 1 s to an hour.
QUEUE_WAIT_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
QUEUE_WAIT_SECONDS = Histogram(
    "parley_visitor_queue_wait_seconds",
    "Time a conversation waited in its channel's queue before an operator was assigned.",
    buckets=QUEUE_WAIT_BUCKETS,
)
OPERATORS_AVAILABLE = Gauge(
    "parley_operators_available",
    "Operators of active channels who are online and toggled available (fleet-wide, refreshed periodically).",
)
OPERATOR_LOAD_RATIO = Gauge(
    "parley_operator_load_ratio",
    "Open conversations of the available operators over their capacity (1 = every available operator is full).",
)
FILE_UPLOADS = Counter(
    "parley_file_uploads_total",
    "Uploads by outcome: stored, or why they were refused (too_large, type, not_decodable, infected, quota, "
    "rate, empty, aborted).",
    ["outcome"],
)
FILE_BYTES_STORED = Counter("parley_file_bytes_stored_total", "Bytes of uploaded files stored (thumbnails excluded).")
FILE_BYTES_DELETED = Counter(
    "parley_file_bytes_deleted_total",
    "Bytes of uploaded files deleted (unsent, retention, erasure); stored minus deleted is what storage holds.",
)
DELTA_FRAMES = Counter(
    "parley_message_delta_frames_total",
    "message.delta frames sent for bots' streamed replies (after batching: compare with deltas appended).",
)
DELTAS_APPENDED = Counter("parley_draft_deltas_appended_total", "Deltas bots appended to their streamed replies.")
