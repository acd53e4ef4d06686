"""The virus-scanner hook: clamd's INSTREAM command on its unix socket.

INSTREAM (clamd(8)): send ``zINSTREAM\\0``, then the file as chunks each prefixed by its length as
a 4-byte big-endian integer, then a zero length; clamd answers one line ending in NUL:
``stream: OK``, ``stream: <signature> FOUND``, or ``... ERROR``. Without a configured socket no
scanner runs and files are clean once stored.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator
from typing import Literal

from parley.logs import get_logger

log = get_logger("parley.chat_session.files")

Verdict = Literal["clean", "infected", "unavailable"]
# clamd's answer is one short line; anything longer is not clamd.
MAX_ANSWER_BYTES = 4096


class ClamdScanner:
    def __init__(self, socket_path: str, timeout_seconds: float) -> None:
        self._path = socket_path
        self._timeout = timeout_seconds

    async def scan(self, chunks: AsyncIterator[bytes]) -> Verdict:
        """clean, infected, or unavailable (no answer in time, an error answer): the file stays pending."""
        try:
            answer = await asyncio.wait_for(self._instream(chunks), self._timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as error:
            log.warning("files.scanner_unavailable", socket=self._path, error=repr(error))
            return "unavailable"
        if answer.endswith("FOUND"):
            log.info("files.infected", answer=answer)
            return "infected"
        if answer.endswith(" OK"):
            return "clean"
        log.warning("files.scanner_error", answer=answer[:200])
        return "unavailable"

    async def _instream(self, chunks: AsyncIterator[bytes]) -> str:
        reader, writer = await asyncio.open_unix_connection(self._path)
        try:
            writer.write(b"zINSTREAM\0")
            async for chunk in chunks:
                writer.write(struct.pack(">I", len(chunk)) + chunk)
                await writer.drain()
            writer.write(struct.pack(">I", 0))
            await writer.drain()
            answer = await reader.readuntil(b"\0")
            return answer[:MAX_ANSWER_BYTES].rstrip(b"\0").decode("utf-8", "replace").strip()
        finally:
            writer.close()
            await writer.wait_closed()
