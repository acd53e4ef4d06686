"""What a channel accepts: size, files per message and types, each defaulting to the service's
settings (``PARLEY_CHAT_FILES_*``) when the channel does not set it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.messages import MAX_FILES_PER_MESSAGE

if TYPE_CHECKING:  # the channel document names its file policy
    from parley_chat_session.channels.store import Channel

# The largest file any channel may accept: GridFS streams any size, but a chat is not a file
# share, and the per-user quota is counted against it.
MAX_FILE_BYTES_CEILING = 1024**3
# The types sniffing.sniff() decides between (a channel chooses among them).
FileType = Literal[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "application/zip",
    "video/mp4",
    "text/plain",
    "text/html",
    "image/svg+xml",
    "application/xml",
    "application/octet-stream",
]


class FilePolicy(Model):
    """A channel's attachment limits; a field left null takes the service's default."""

    max_bytes: int | None = Field(None, ge=1, le=MAX_FILE_BYTES_CEILING, description="Largest file, in bytes.")
    max_per_message: int | None = Field(None, ge=1, le=MAX_FILES_PER_MESSAGE, description="Files per message.")
    allowed_types: list[FileType] | None = Field(
        None,
        max_length=20,
        description="Types accepted, as sniffed from the content (HTML, SVG and XML are never served inline, "
        "whatever this says).",
    )


@dataclass(frozen=True)
class FileLimits:
    max_bytes: int
    max_per_message: int
    allowed_types: frozenset[str]

    def of_channel(self, channel: Channel) -> FileLimits:
        """These defaults, with what ``channel`` sets in its ``files`` policy."""
        policy = channel.files or FilePolicy()
        return FileLimits(
            policy.max_bytes or self.max_bytes,
            policy.max_per_message or self.max_per_message,
            frozenset(policy.allowed_types) if policy.allowed_types is not None else self.allowed_types,
        )
