"""Attachments end to end (issue 21): a visitor's PNG and PDF reach the operator with a thumbnail
and download through signed links; oversized, disguised and active files are refused; links are
refused when forged, expired, revoked or held by someone who may not read the conversation; a
large upload streams through the service without being held in memory; the local edge routes
/files like the Ingress."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from gridfs import AsyncGridFSBucket
from PIL import Image
from pymongo import AsyncMongoClient

from parley_chat_session.files.signing import LinkGrant, LinkSigner
from parley_fleet.edge import Edge
from tests.e2e.chat_harness import WAIT_SECONDS, ChatWorld, Person, of_type, send_files, upload, world_fixture
from tests.kit.waiting import eventually

URL_SECRET = "test-secret-" + uuid.uuid4().hex
MB = 1024**2

world = world_fixture(
    "attachments",
    {
        "PARLEY_CHAT_FILES_URL_SECRET": URL_SECRET,
        "PARLEY_CHAT_FILES_MAX_BYTES": str(10 * MB),
        # The RSS test's 60 MB counts against the uploader's day.
        "PARLEY_CHAT_FILES_DAILY_QUOTA_BYTES": str(100 * MB),
        "PARLEY_CHAT_FILES_UNSENT_TTL_SECONDS": "2",
        "PARLEY_CHAT_FILES_SWEEP_SECONDS": "0.5",
    },
)


def png(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


async def link(world: ChatWorld, token: str, conversation_id: str, file_id: str, *, status: int = 200) -> Any:
    return await world.call("GET", f"/files/{conversation_id}/{file_id}/link", token, status=status)


async def fetch(world: ChatWorld, url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    async with world.session.get(world.chat_url + url if url.startswith("/") else url, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def error_code(world: ChatWorld, url: str, **headers: str) -> tuple[int, int]:
    status, _, body = await fetch(world, url, **headers)
    return status, json.loads(body)["error"]["code"]


async def chat(world: ChatWorld) -> tuple[Person, Person, str, str]:
    operator = await world.operator("Olivia")
    channel_id = await world.channel([operator])
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id)
    await operator.ws.wait_for(of_type("message.new", conversation_id=conversation_id), WAIT_SECONDS)
    return visitor, operator, conversation_id, channel_id


@pytest.fixture(scope="module")
async def files_chat(world: ChatWorld) -> tuple[Person, Person, str, str]:
    return await chat(world)


async def test_png_and_pdf_reach_the_operator_with_a_thumbnail_and_download(
    world: ChatWorld, files_chat: tuple[Person, Person, str, str]
) -> None:
    visitor, operator, conversation_id, _ = files_chat
    image = png()
    stored_png = await upload(world, visitor.token, conversation_id, "broken page.png", image)
    stored_pdf = await upload(world, visitor.token, conversation_id, "invoice.pdf", PDF)
    assert stored_png["status"] == "clean"
    assert stored_png["file"] | {"file_id": ""} == {
        "file_id": "",
        "name": "broken page.png",
        "size": len(image),
        "content_type": "image/png",
        "width": 800,
        "height": 600,
        "thumbnail": True,
    }
    assert stored_pdf["file"]["content_type"] == "application/pdf"
    ids = [stored_png["file"]["file_id"], stored_pdf["file"]["file_id"]]

    sent = await send_files(world, visitor, conversation_id, ids, "files-1")
    assert sent["type"] == "message.accepted", sent
    again = await send_files(world, visitor, conversation_id, ids, "files-1")  # a retried send: the same message
    assert again["data"]["duplicate"] is True and again["data"]["message"]["seq"] == sent["data"]["message"]["seq"]
    delivered = await operator.ws.wait_for(
        lambda f: f["type"] == "message.new" and f["data"]["message"]["kind"] == "file", WAIT_SECONDS
    )
    files = delivered["data"]["message"]["body"]["files"]
    assert [f["name"] for f in files] == ["broken page.png", "invoice.pdf"]
    # Each upload is sent once: another message may not carry it again.
    reused = await send_files(world, visitor, conversation_id, ids[:1], "files-2")
    assert reused["type"] == "error" and reused["data"]["code"] == 9105, reused

    links = await link(world, operator.token, conversation_id, ids[0])
    status, headers, body = await fetch(world, links["url"])
    assert status == 200 and body == image
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"].startswith("inline")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    status, headers, thumbnail = await fetch(world, links["thumbnail_url"])
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumbnail)).size) == 320

    pdf_links = await link(world, operator.token, conversation_id, ids[1])
    assert pdf_links["thumbnail_url"] is None
    status, headers, body = await fetch(world, pdf_links["url"])
    assert status == 200 and body == PDF
    assert headers["Content-Disposition"].startswith("attachment")

    history = await world.call("GET", f"/conversations/{conversation_id}/messages", visitor.token)
    assert history["messages"][-1]["body"]["files"][0]["file_id"] == ids[0]
    transcript = await world.call("GET", f"/conversations/{conversation_id}/transcript.html", operator.token)
    assert "<img src=" in transcript and "invoice.pdf" in transcript


async def test_refusals_have_their_codes(world: ChatWorld, files_chat: tuple[Person, Person, str, str]) -> None:
    visitor, _, conversation_id, _ = files_chat
    too_large = await upload(world, visitor.token, conversation_id, "big.bin", b"\0" * (20 * MB), status=413)
    assert too_large["error"]["code"] == 9106

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: refused as it passes the limit
        for _ in range(20):
            yield b"%PDF-" + b"\0" * (MB - 5)

    streamed = await upload(world, visitor.token, conversation_id, "big.pdf", chunks(), status=413)
    assert streamed["error"]["code"] == 9106
    disguised = await upload(world, visitor.token, conversation_id, "cat.png", HTML, status=415)
    assert disguised["error"]["code"] == 9107
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    assert (await upload(world, visitor.token, conversation_id, "logo.svg", svg, status=415))["error"]["code"] == 9107
    broken = b"\x89PNG\r\n\x1a\n" + b"not really a png" * 40
    assert (await upload(world, visitor.token, conversation_id, "x.png", broken, status=422))["error"]["code"] == 9108
    assert (await upload(world, visitor.token, conversation_id, "empty.txt", b"", status=400))["error"]["code"] == 9105


async def test_active_content_allowed_by_a_channel_is_never_served_inline(world: ChatWorld) -> None:
    operator = await world.operator("Omar")
    channel_id = await world.channel([operator], files={"allowed_types": ["text/html", "image/png"]})
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id)
    stored = await upload(world, visitor.token, conversation_id, "photo.png", HTML)
    assert stored["file"]["content_type"] == "text/html"
    links = await link(world, visitor.token, conversation_id, stored["file"]["file_id"])
    status, headers, _ = await fetch(world, links["url"])
    assert status == 200
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith("attachment")
    assert headers["X-Content-Type-Options"] == "nosniff"


async def test_attackers_are_refused(world: ChatWorld, files_chat: tuple[Person, Person, str, str]) -> None:
    visitor, operator, conversation_id, _ = files_chat
    stored = await upload(world, visitor.token, conversation_id, "shot.png", png(40, 40))
    file_id = stored["file"]["file_id"]
    # Not sent yet: only its uploader sees it.
    assert (await link(world, operator.token, conversation_id, file_id, status=404))["error"]["code"] == 9113
    assert (await send_files(world, visitor, conversation_id, [file_id], "shot"))["type"] == "message.accepted"
    links = await link(world, visitor.token, conversation_id, file_id)
    assert (await link(world, world.admin_token, conversation_id, file_id))["file"]["file_id"] == file_id  # admins too
    assert (await link(world, world.admin_token, "c_nope", file_id, status=404))["error"]["code"] == 9102

    stranger = await world.visitor()
    other_operator = await world.operator("Mallory")
    await world.channel([other_operator])
    assert (await upload(world, None, conversation_id, "x.png", png(4, 4), status=401))["error"]["code"] == 9004
    for intruder in (stranger, other_operator):
        refused = await upload(world, intruder.token, conversation_id, "x.png", png(4, 4), status=403)
        assert refused["error"]["code"] == 9101
        assert (await link(world, intruder.token, conversation_id, file_id, status=403))["error"]["code"] == 9101
    # Someone else's upload cannot be attached, even by a member.
    sent = await send_files(world, operator, conversation_id, [file_id], "steal")
    assert sent["type"] == "error" and sent["data"]["code"] == 9113, sent

    # A link held by the wrong person: a bearer token of another user is refused.
    assert await error_code(world, links["url"], Authorization=f"Bearer {stranger.token}") == (403, 9110)
    forged = links["url"].replace("sig=", "sig=0")
    assert await error_code(world, forged) == (403, 9110)
    other_user = links["url"].replace(f"u={visitor.uid}", f"u={stranger.uid}")
    assert await error_code(world, other_user) == (403, 9110)
    assert await error_code(world, links["url"].split("?")[0]) == (403, 9110)
    expired = LinkGrant(conversation_id, file_id, "original", visitor.uid, "visitor", "x", int(time.time()) - 1)
    assert await error_code(world, LinkSigner(URL_SECRET.encode()).path_and_query(expired)) == (410, 9111)
    # A link signed for someone who may not read the conversation (as if leaked from elsewhere).
    outsider = LinkGrant(conversation_id, file_id, "original", stranger.uid, "visitor", "x", int(time.time()) + 60)
    assert (await error_code(world, LinkSigner(URL_SECRET.encode()).path_and_query(outsider)))[1] in (9101, 7001)
    # Bad ids: refused, never a 500.
    assert (await link(world, visitor.token, conversation_id, "f_0", status=404))["error"]["code"] == 9113
    assert (await link(world, visitor.token, "c_nope", file_id, status=404))["error"]["code"] == 9102
    assert (await link(world, visitor.token, conversation_id, "$where", status=404))["error"]["code"] == 9113
    bad = await send_files(world, visitor, conversation_id, ["$ne"], "bad-id")
    assert bad["type"] == "error" and bad["data"]["code"] == 9001, bad

    # The visitor logs out: the session's links stop working at once.
    async with world.session.post(
        world.fleet.url("auth") + "/auth/logout", json={}, headers={"Authorization": f"Bearer {visitor.token}"}
    ) as response:
        assert response.status in (200, 204), await response.text()
    assert await eventually(lambda: _refused_as_revoked(world, links["url"]), what="the revoked link refused")


async def _refused_as_revoked(world: ChatWorld, url: str) -> bool:
    return await error_code(world, url) == (401, 7001)


async def test_an_unsent_upload_is_deleted(world: ChatWorld) -> None:
    visitor, _, conversation_id, _ = await chat(world)
    stored = await upload(world, visitor.token, conversation_id, "left.png", png(10, 10))
    file_id = stored["file"]["file_id"]

    async def gone() -> bool:
        async with world.session.get(
            world.chat_url + f"/files/{conversation_id}/{file_id}/link",
            headers={"Authorization": f"Bearer {visitor.token}"},
        ) as response:
            return response.status == 404

    await eventually(gone, what="the unsent upload deleted")


async def test_an_upload_cut_short_leaves_nothing_and_is_counted(
    world: ChatWorld, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    visitor = await world.visitor()
    opened = await visitor.ws.request("session.open", {"channel_id": await world.channel([])}, timeout=WAIT_SECONDS)
    conversation_id = opened["data"]["conversation_id"]
    port = int(world.chat_url.rsplit(":", 1)[1])
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /files/{conversation_id}?name=cut.pdf HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {visitor.token}\r\nContent-Length: {5 * MB}\r\n\r\n".encode()
    )
    writer.write(b"%PDF-" + b"\0" * MB)  # a fifth of what it declared, then the client is gone
    await writer.drain()
    writer.close()
    await writer.wait_closed()

    async def counted() -> bool:
        async with world.session.get(world.chat_url + "/metrics") as response:
            return 'parley_file_uploads_total{outcome="aborted"}' in await response.text()

    await eventually(counted, what="the cut upload counted as aborted")
    left = await mongo[world.infra.mongo_db]["uploads"].count_documents({"conversation_id": conversation_id})
    assert left == 0
    # The service is fine: the same visitor uploads again at once.
    assert (await upload(world, visitor.token, conversation_id, "ok.pdf", PDF))["status"] == "clean"


async def test_the_edge_routes_files_like_the_ingress(world: ChatWorld) -> None:
    visitor = await world.visitor()
    opened = await visitor.ws.request("session.open", {"channel_id": await world.channel([])}, timeout=WAIT_SECONDS)
    conversation_id = opened["data"]["conversation_id"]  # a temporary session: its visitor uploads already
    edge = Edge({name: world.fleet.url(name) for name in ("chat_session", "auth", "gateway")})
    await edge.start()
    try:
        image = png(64, 64)
        stored = await upload(world, visitor.token, conversation_id, "via-edge.png", image, base=edge.url)
        assert stored["file"]["size"] == len(image)
        # The first message of a temporary session may be a file: it becomes a conversation.
        first = await send_files(world, visitor, conversation_id, [stored["file"]["file_id"]], "first")
        assert first["type"] == "message.accepted" and first["data"]["message"]["seq"] == 1, first
        # The JSON APIs keep their small body limit; /files has its own.
        async with world.session.post(edge.url + "/channels", data=b"x" * (65 * 1024)) as response:
            assert response.status == 413
    finally:
        await edge.stop()


# Last in the module for speed only: FerretDB's SQLite backend finds a file's GridFS chunks by
# scanning every stored chunk, so after this test's 48 MB every later delete and read is slower.
def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_a_large_upload_streams_through_without_being_held_in_memory(
    world: ChatWorld, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    operator = await world.operator("Stella")
    limit = {"max_bytes": 100 * MB, "allowed_types": ["application/octet-stream"]}
    channel_id = await world.channel([operator], files=limit)
    await world.wait_available(channel_id, operator)
    visitor = await world.visitor()
    conversation_id = await world.start_conversation(visitor, channel_id)
    process = world.fleet.services["chat_session"].process
    assert process is not None
    before = _rss_bytes(process.pid)
    size, chunk = 48 * MB, bytes(range(256)) * 4096  # 1 MiB, not text, no known signature

    async def body() -> AsyncIterator[bytes]:
        for _ in range(size // len(chunk)):
            yield chunk

    stored = await upload(world, visitor.token, conversation_id, "dump.bin", body(), base=world.chat_url)
    grew = _rss_bytes(process.pid) - before
    # The 48 MB leave the run's database at once: FerretDB (local runs) scans a collection for
    # GridFS's files_id lookups, so every later upload in this test process took 4-8 s instead of
    # 35 ms while they stayed (CI: the upload fuzz took 117-251 s, the erase tests 40-60 s).
    bucket = AsyncGridFSBucket(mongo[world.infra.mongo_db], bucket_name="attachments")
    await bucket.delete(stored["file"]["file_id"])
    assert stored["file"]["size"] == size
    assert grew < 16 * MB, f"chat_session's RSS grew {grew / MB:.1f} MB over a {size / MB:.0f} MB upload"
