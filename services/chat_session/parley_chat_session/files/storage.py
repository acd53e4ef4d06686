"""Where file bytes live, behind one small interface: :class:`FileStorage`.

The embedded default is MongoDB's GridFS (:class:`GridFsStorage`): files are cut into chunks of
255 KiB documents, so a file is written and read one chunk at a time and never held whole in
memory; it works on MongoDB and on FerretDB. There is no S3-compatible backend: it would need a
real S3-compatible server to be tested against, and none runs here (docs/attachments.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Protocol

from gridfs import AsyncGridFSBucket, NoFile
from gridfs.asynchronous.grid_file import AsyncGridIn

from parley.stores import MongoDatabase

# GridFS's own default chunk (255 KiB): each chunk is one document, well under BSON's 16 MiB.
CHUNK_BYTES = 255 * 1024


class FileWriter(Protocol):
    async def write(self, chunk: bytes) -> None: ...

    async def close(self) -> None:
        """The file is complete and readable."""
        ...

    async def abort(self) -> None:
        """Nothing of the file is kept."""
        ...


class FileStorage(Protocol):
    """Bytes by key. Keys are chosen by the caller (an upload's id, its thumbnail's)."""

    async def writer(self, key: str, name: str) -> FileWriter: ...

    def chunks(self, key: str) -> AsyncIterator[bytes]:
        """The file's bytes, a chunk at a time; UNKNOWN_FILE-worthy FileNotFoundError when absent."""
        ...

    async def delete(self, key: str) -> None:
        """Forget the file (nothing happens if there is none)."""
        ...


class _GridWriter:
    def __init__(self, stream: AsyncGridIn) -> None:
        self._stream = stream

    async def write(self, chunk: bytes) -> None:
        await self._stream.write(chunk)

    async def close(self) -> None:
        await self._stream.close()

    async def abort(self) -> None:
        await self._stream.abort()


class GridFsStorage:
    def __init__(self, db: MongoDatabase, bucket: str = "attachments") -> None:
        self._bucket = AsyncGridFSBucket(db, bucket_name=bucket, chunk_size_bytes=CHUNK_BYTES)

    async def writer(self, key: str, name: str) -> FileWriter:
        return _GridWriter(self._bucket.open_upload_stream_with_id(key, name))

    async def chunks(self, key: str) -> AsyncIterator[bytes]:
        try:
            stream = await self._bucket.open_download_stream(key)
        except NoFile:
            raise FileNotFoundError(key) from None
        while chunk := await stream.readchunk():
            yield chunk

    async def delete(self, key: str) -> None:
        with contextlib.suppress(NoFile):
            await self._bucket.delete(key)
