"""The virus-scanner hook against a clamd peer speaking the real INSTREAM protocol on a unix
socket (no clamd is installed here), with uploads stored in the real MongoDB-wire server's GridFS
and quotas in the real Redis: a clean file is clean, an infected one is refused and deleted, and
a file received while the scanner is away stays pending until a later pass hears it is clean."""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as redis

from parley.contracts.errors import ErrorCode, ParleyError
from parley.settings import ServiceSettings
from parley.stores import mongo_client, mongo_database
from parley_chat_session.files.limits import FileLimits
from parley_chat_session.files.quota import UploadQuota
from parley_chat_session.files.receiving import Receiver, Uploader
from parley_chat_session.files.scanning import ClamdScanner
from parley_chat_session.files.storage import GridFsStorage
from parley_chat_session.files.uploads import UploadStore
from tests.conftest import MONGO_URL, Infra

# The EICAR test file: every virus scanner reports it, and it harms nothing.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
LIMITS = FileLimits(1024**2, 5, frozenset({"text/plain", "application/octet-stream"}))


class FakeClamd:
    """clamd's INSTREAM side: length-prefixed chunks until a zero length, then one NUL-ended line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.scanned: list[bytes] = []
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, str(self.path))

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert await reader.readuntil(b"\0") == b"zINSTREAM\0"
        data = b""
        while length := struct.unpack(">I", await reader.readexactly(4))[0]:
            data += await reader.readexactly(length)
        self.scanned.append(data)
        writer.write(b"stream: Eicar-Test-Signature FOUND\0" if EICAR in data else b"stream: OK\0")
        await writer.drain()
        writer.close()


@pytest.fixture
async def uploads(infra: Infra) -> AsyncIterator[UploadStore]:
    settings = ServiceSettings(mongo_url=MONGO_URL, mongo_db=infra.mongo_db)
    client = mongo_client(settings, "test/files")
    store = UploadStore(mongo_database(client, settings), GridFsStorage(mongo_database(client, settings)))
    await store.create_indexes()
    yield store
    await client.close()


async def _body(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_clean_infected_and_pending_files(
    uploads: UploadStore, client: redis.Redis, prefix: str, tmp_path: Path
) -> None:
    socket = tmp_path / "clamd.sock"
    clamd = FakeClamd(socket)
    quota = UploadQuota(client, prefix, uploads_per_minute=100, daily_bytes=1024**2)
    receiver = Receiver(uploads, quota, ClamdScanner(str(socket), timeout_seconds=5))
    who = Uploader(f"v_{uuid.uuid4().hex[:8]}", f"c_{uuid.uuid4().hex[:8]}", "ch_1")

    # The scanner is away: the file is stored, but pending; it cannot be attached yet.
    away, status = await receiver.receive(who, "notes.txt", _body(b"first notes\n"), LIMITS, None)
    assert status == "pending"
    with pytest.raises(ParleyError) as pending:
        await uploads.to_attach(who.conversation_id, who.user_id, [away.file_id], "v:1")
    assert pending.value.code == ErrorCode.FILE_PENDING

    await clamd.start()
    try:
        await receiver.rescan_pending()
        assert [
            file.file_id for file in await uploads.to_attach(who.conversation_id, who.user_id, [away.file_id], "v:1")
        ] == [away.file_id]

        _clean, status = await receiver.receive(who, "log.txt", _body(b"all ", b"fine\n"), LIMITS, None)
        assert status == "clean"
        assert clamd.scanned[-1] == b"all fine\n"  # the stored bytes, streamed from storage

        with pytest.raises(ParleyError) as infected:
            await receiver.receive(who, "invoice.txt", _body(EICAR), LIMITS, None)
        assert infected.value.code == ErrorCode.FILE_REFUSED
        assert await uploads.pending(10) == []
        remaining = await uploads.delete_for_uploader(who.user_id)
        assert remaining == 2  # the two clean files; the infected one was deleted at once
    finally:
        await clamd.stop()
