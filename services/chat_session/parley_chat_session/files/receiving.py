"""Receiving one upload: the body streamed to storage a chunk at a time, its type sniffed from the
first bytes, the channel's limits and the uploader's quota enforced as the bytes arrive, an image
decoded and thumbnailed, and the file scanned when a scanner is configured.

Nothing holds the whole file in memory: chunks go to storage as they come; an image is also
spooled to a temporary file (on disk past 1 MiB) for the decoder, which reads it from there.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO, cast

from aiohttp import ClientPayloadError
from aiohttp.http_exceptions import HttpProcessingError

from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import AttachedFile
from parley_chat_session.files.images import NotAnImage, inspect_image
from parley_chat_session.files.limits import FileLimits
from parley_chat_session.files.quota import UploadQuota
from parley_chat_session.files.scanning import ClamdScanner
from parley_chat_session.files.sniffing import SNIFF_BYTES, Sniffed, sniff
from parley_chat_session.files.uploads import Status, UploadStore, attached_file, thumbnail_key
from parley_chat_session.metrics import FILE_UPLOADS

# An image smaller than this stays in memory for the decoder; a larger one goes to a temporary file.
SPOOL_IN_MEMORY_BYTES = 1024**2
REASONS = {
    ErrorCode.FILE_TOO_LARGE: "too_large",
    ErrorCode.FILE_TYPE_REFUSED: "type",
    ErrorCode.FILE_REFUSED: "not_decodable",
    ErrorCode.FILE_QUOTA_EXCEEDED: "quota",
    ErrorCode.RATE_LIMITED: "rate",
    ErrorCode.BAD_ARGUMENT: "empty",
}


@dataclass(frozen=True)
class Uploader:
    user_id: str
    conversation_id: str
    channel_id: str


class Receiver:
    def __init__(self, uploads: UploadStore, quota: UploadQuota, scanner: ClamdScanner | None) -> None:
        self._uploads = uploads
        self._quota = quota
        self._scanner = scanner

    async def receive(
        self, who: Uploader, name: str, body: AsyncIterator[bytes], limits: FileLimits, declared_size: int | None
    ) -> tuple[AttachedFile, str]:
        """The stored file and its status (clean, or pending a scan); refusals raise ParleyError."""
        try:
            if declared_size is not None and declared_size > limits.max_bytes:
                raise _too_large(limits)
            remaining = await self._quota.admit(who.user_id)
            doc = await self._uploads.begin(who.conversation_id, who.channel_id, who.user_id, name)
            try:
                fields = await self._store(doc["_id"], name, body, limits, remaining)
            except BaseException:
                await self._uploads.delete(doc["_id"])
                raise
            await self._quota.spend(who.user_id, fields["size"])
            await self._uploads.received(doc["_id"], fields)
            status = await self._scan(doc["_id"])
        except ParleyError as refused:
            FILE_UPLOADS.labels(REASONS.get(refused.code, "refused")).inc()
            raise
        except (ConnectionError, HttpProcessingError, ClientPayloadError, asyncio.CancelledError) as cut:
            FILE_UPLOADS.labels("aborted").inc()
            if isinstance(cut, asyncio.CancelledError):
                raise
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "the upload was cut short") from None
        FILE_UPLOADS.labels("stored").inc()
        return attached_file({**doc, **fields}), status

    async def _store(
        self, file_id: str, name: str, body: AsyncIterator[bytes], limits: FileLimits, remaining: int
    ) -> dict[str, Any]:
        head = await _head(body)
        if not head:
            raise ParleyError(ErrorCode.BAD_ARGUMENT, "the file is empty")
        sniffed = sniff(head)
        if sniffed.content_type not in limits.allowed_types:
            raise ParleyError(
                ErrorCode.FILE_TYPE_REFUSED,
                f"this channel does not accept {sniffed.content_type} files (the type is read from the content)",
            )
        writer = await self._uploads.storage.writer(file_id, name)
        spool: IO[bytes] | None = (
            tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY_BYTES) if sniffed.is_raster_image else None  # noqa: SIM115
        )
        try:
            size = 0
            async for chunk in _chained(head, body):
                size += len(chunk)
                if size > limits.max_bytes:
                    raise _too_large(limits)
                if size > remaining:
                    raise ParleyError(ErrorCode.FILE_QUOTA_EXCEEDED, "this file would pass your upload quota for today")
                await writer.write(chunk)
                if spool is not None:
                    spool.write(chunk)
            await writer.close()
            fields: dict[str, Any] = {"size": size, "content_type": sniffed.content_type}
            if spool is not None:
                fields |= await self._image_facts(file_id, spool, sniffed)
            return fields
        except BaseException:
            await writer.abort()
            raise
        finally:
            if spool is not None:
                spool.close()

    async def _image_facts(self, file_id: str, spool: IO[bytes], sniffed: Sniffed) -> dict[str, Any]:
        spool.seek(0)
        try:
            facts = await asyncio.to_thread(inspect_image, cast(BinaryIO, spool), sniffed.content_type)
        except NotAnImage as error:
            raise ParleyError(ErrorCode.FILE_REFUSED, str(error)) from None
        writer = await self._uploads.storage.writer(thumbnail_key(file_id), "thumbnail.jpg")
        await writer.write(facts.thumbnail)
        await writer.close()
        return {"width": facts.width, "height": facts.height, "thumbnail": True}

    async def _scan(self, file_id: str) -> str:
        """clean at once without a scanner; else what the scanner says (pending when it is away)."""
        if self._scanner is None:
            await self._uploads.set_status(file_id, "clean")
            return "clean"
        return await self.rescan(file_id)

    async def rescan(self, file_id: str) -> str:
        assert self._scanner is not None
        verdict = await self._scanner.scan(self._uploads.storage.chunks(file_id))
        if verdict == "infected":
            await self._uploads.delete(file_id)
            raise ParleyError(ErrorCode.FILE_REFUSED, "the virus scanner refused this file")
        status: Status = "clean" if verdict == "clean" else "pending"
        await self._uploads.set_status(file_id, status)
        return status

    async def rescan_pending(self, batch: int = 100) -> None:
        """Ask the scanner again about the files it did not answer for (it was away)."""
        if self._scanner is None:
            return
        for doc in await self._uploads.pending(batch):
            with contextlib.suppress(ParleyError):  # infected: deleted, nobody waits for the answer
                await self.rescan(doc["_id"])


def _too_large(limits: FileLimits) -> ParleyError:
    return ParleyError(ErrorCode.FILE_TOO_LARGE, f"files of this channel are at most {limits.max_bytes} bytes")


async def _head(body: AsyncIterator[bytes]) -> bytes:
    """At least SNIFF_BYTES of the start (less only for a shorter file); the body goes on after them."""
    head = b""
    while len(head) < SNIFF_BYTES:
        chunk = await anext(body, b"")
        if not chunk:
            break
        head += chunk
    return head


async def _chained(head: bytes, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    async for chunk in body:
        yield chunk
