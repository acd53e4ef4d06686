"""The HTTP side of attachments: upload, ask for download links, download.

- ``POST /files/{conversation_id}?name=...``: the raw body is the file (any Content-Type: it is
  ignored, the type is sniffed). Members of the conversation (a visitor also while it is still a
  temporary session), operators of its channel, admins.
- ``GET /files/{conversation_id}/{file_id}/link``: short-lived signed links to the file and its
  thumbnail, for whoever may read the conversation (an unsent upload: only its uploader).
- ``GET /files/{conversation_id}/{file_id}[/thumbnail]?u=&r=&s=&e=&sig=``: the bytes, for the
  holder of a valid link. The signature, the expiry, the login session (not revoked since) and
  the access of the user it was issued to are checked again at every download; a bearer token,
  when also presented, must be that user's.
"""

from __future__ import annotations

import dataclasses
import time
import unicodedata
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web
from pydantic import Field

from parley.contracts.base import Model
from parley.contracts.commands import Caller
from parley.contracts.errors import ErrorCode, ParleyError
from parley.contracts.messages import AttachedFile, Role
from parley.http_api import Call
from parley.revocations import RevocationList
from parley.tokens import Claims, JwksVerifier
from parley_chat_session.access import is_channel_operator, is_member
from parley_chat_session.channels.store import Channel, Channels
from parley_chat_session.conversations.conversation import Conversation
from parley_chat_session.conversations.conversation_store import ConversationStore
from parley_chat_session.conversations.sessions import Sessions
from parley_chat_session.files.limits import FileLimits
from parley_chat_session.files.receiving import Receiver, Uploader
from parley_chat_session.files.signing import LinkGrant, LinkSigner, Variant
from parley_chat_session.files.sniffing import RASTER_IMAGES
from parley_chat_session.files.storage import CHUNK_BYTES
from parley_chat_session.files.uploads import UploadStore, attached_file, thumbnail_key
from parley_chat_session.transcripts.transcript_html import LinkMaker

# Served as themselves; anything else is application/octet-stream (HTML, SVG, XML above all).
SERVED_TYPES = RASTER_IMAGES | {"application/pdf", "application/zip", "video/mp4", "text/plain"}
# A download runs no script, loads nothing, and cannot be framed, whatever the browser makes of it.
DOWNLOAD_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
MAX_NAME_LENGTH = 255


class UploadQuery(Model):
    name: str = Field("file", min_length=1, max_length=MAX_NAME_LENGTH, description="The file's name, shown.")


class UploadView(Model):
    file: AttachedFile
    status: str = Field(description="clean (ready to send), or pending while the virus scanner has not answered.")


class FileLinks(Model):
    file: AttachedFile
    url: str = Field(description="Download link (relative to the API's origin unless a download origin is set).")
    thumbnail_url: str | None = Field(description="The thumbnail's link, for an image.")
    expires_at: datetime


def clean_name(name: str) -> str:
    """A name safe to show and to put in a header: no path, no control or format characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return kept[:MAX_NAME_LENGTH] or "file"


def content_disposition(name: str, inline: bool) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _caller_role(role: str) -> Role:
    return "operator" if role == "operator" else "visitor"


class FilesApi:
    def __init__(
        self,
        *,
        uploads: UploadStore,
        receiver: Receiver,
        sessions: Sessions,
        store: ConversationStore,
        channels: Channels,
        signer: LinkSigner,
        revocations: RevocationList,
        verifier: JwksVerifier,
        limits: FileLimits,
        link_ttl_seconds: int,
        download_base_url: str,
    ) -> None:
        self._uploads = uploads
        self._receiver = receiver
        self._sessions = sessions
        self._store = store
        self._channels = channels
        self._signer = signer
        self._revocations = revocations
        self._verifier = verifier
        self._limits = limits
        self._link_ttl = link_ttl_seconds
        self._base_url = download_base_url

    # ---- access -----------------------------------------------------------------------------

    async def _reader(self, user_id: str, role: str, conversation_id: str) -> tuple[Conversation | None, Channel]:
        """The conversation (None: still a temporary session) and its channel, if ``user_id`` may
        read its files: an admin; its visitor; an operator of its channel now (read fresh)."""
        if role == "admin":  # any stored conversation; a temporary session is its visitor's alone
            stored = await self._store.get(conversation_id)
            return stored, await self._channels.get(stored.channel_id, archived_too=True)
        if role not in ("operator", "visitor"):
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you may not read the files of this conversation")
        located = await self._sessions.locate(Caller(user_id=user_id, role=_caller_role(role)), conversation_id)
        doc = located.doc
        if doc is None:  # a temporary session: locate() admitted only its visitor
            return doc, located.channel
        channel = await self._channels.get(doc.channel_id, archived_too=True)
        allowed = is_channel_operator(channel, user_id) if role == "operator" else is_member(doc, user_id)
        if not allowed:
            raise ParleyError(ErrorCode.NOT_A_MEMBER, "you may not read the files of this conversation")
        return doc, channel

    async def file_uploader(self, call: Call) -> None:
        """Checked before the body is read: who may upload here, and the conversation is open."""
        doc, _ = await self._reader(call.user.sub, call.user.role, call.param("conversation_id"))
        if doc is not None and doc.status == "closed":
            raise ParleyError(ErrorCode.CONVERSATION_CLOSED, "this conversation is closed")

    async def file_reader(self, call: Call) -> None:
        await self._reader(call.user.sub, call.user.role, call.param("conversation_id"))

    # ---- handlers ---------------------------------------------------------------------------

    async def upload_file(self, call: Call) -> UploadView:
        conversation_id = call.param("conversation_id")
        _doc, channel = await self._reader(call.user.sub, call.user.role, conversation_id)
        who = Uploader(call.user.sub, conversation_id, channel.id)
        body = call.request.content.iter_chunked(CHUNK_BYTES)
        file, status = await self._receiver.receive(
            who, clean_name(call.query.name), body, self._limits.of_channel(channel), call.request.content_length
        )
        return UploadView(file=file, status=status)

    async def file_link(self, call: Call) -> FileLinks:
        conversation_id, file_id = call.param("conversation_id"), call.param("file_id")
        doc = await self._readable(conversation_id, file_id, call.user.sub)
        file = attached_file(doc)
        expires = int(time.time()) + self._link_ttl
        url, thumbnail_url = self.link_maker(call.user, conversation_id, expires)(file)
        return FileLinks(
            file=file, url=url, thumbnail_url=thumbnail_url, expires_at=datetime.fromtimestamp(expires, UTC)
        )

    def link_maker(self, claims: Claims, conversation_id: str, expires: int | None = None) -> LinkMaker:
        """Signs links to the files of ``conversation_id`` for ``claims``' user and login session."""
        until = expires or int(time.time()) + self._link_ttl

        def links(file: AttachedFile) -> tuple[str, str | None]:
            grant = LinkGrant(conversation_id, file.file_id, "original", claims.sub, claims.role, claims.sid, until)
            thumbnail = dataclasses.replace(grant, variant="thumbnail")
            return (
                self._base_url + self._signer.path_and_query(grant),
                self._base_url + self._signer.path_and_query(thumbnail) if file.thumbnail else None,
            )

        return links

    async def download_file(self, call: Call) -> web.StreamResponse:
        return await self._download(call, "original")

    async def download_thumbnail(self, call: Call) -> web.StreamResponse:
        return await self._download(call, "thumbnail")

    async def _readable(self, conversation_id: str, file_id: str, user_id: str) -> dict[str, Any]:
        doc = await self._uploads.find(conversation_id, file_id)
        if doc["message_id"] is None and doc["uploader_id"] != user_id:
            raise ParleyError(ErrorCode.UNKNOWN_FILE, f"no file {file_id!r} in this conversation")
        if doc["status"] != "clean":
            raise ParleyError(ErrorCode.FILE_PENDING, "the file is still being scanned: ask again in a moment")
        return doc

    async def _download(self, call: Call, variant: Variant) -> web.StreamResponse:
        conversation_id, file_id = call.param("conversation_id"), call.param("file_id")
        query = {name: call.request.query[name] for name in ("u", "r", "s", "e", "sig") if name in call.request.query}
        grant = self._signer.verify(conversation_id, file_id, variant, query, time.time())
        await self._revocations.check(grant.session)
        if "Authorization" in call.request.headers:
            claims = await self._verifier.verify(call.request.headers["Authorization"].removeprefix("Bearer "))
            if claims.sub != grant.user_id:
                raise ParleyError(ErrorCode.LINK_INVALID, "this download link was issued to someone else")
        await self._reader(grant.user_id, grant.role, conversation_id)
        doc = await self._readable(conversation_id, file_id, grant.user_id)
        if variant == "thumbnail":
            if not doc.get("thumbnail"):
                raise ParleyError(ErrorCode.UNKNOWN_FILE, "this file has no thumbnail")
            return await self._stream(call.request, thumbnail_key(file_id), "image/jpeg", "thumbnail.jpg", grant)
        return await self._stream(call.request, file_id, doc["content_type"], doc["name"], grant, doc["size"])

    async def _stream(
        self, request: web.Request, key: str, content_type: str, name: str, grant: LinkGrant, size: int | None = None
    ) -> web.StreamResponse:
        chunks = self._uploads.storage.chunks(key)
        try:
            first = await anext(chunks, b"")
        except FileNotFoundError:
            raise ParleyError(ErrorCode.UNKNOWN_FILE, "the file is gone") from None
        inline = content_type in RASTER_IMAGES
        served = content_type if content_type in SERVED_TYPES else "application/octet-stream"
        response = web.StreamResponse(
            headers={
                "Content-Type": served + ("; charset=utf-8" if served == "text/plain" else ""),
                "Content-Disposition": content_disposition(name, inline),
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": DOWNLOAD_CSP,
                "Referrer-Policy": "no-referrer",
                # The widget shows thumbnails on the customer's site, another origin.
                "Cross-Origin-Resource-Policy": "cross-origin",
                "Cache-Control": f"private, max-age={max(0, grant.expires - int(time.time()))}",
            }
        )
        if size is not None:
            response.content_length = size
        await response.prepare(request)
        await response.write(first)
        async for chunk in chunks:
            await response.write(chunk)
        await response.write_eof()
        return response
