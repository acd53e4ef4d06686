"""Attachments' pure rules: type sniffing, signed links, shown names, ingress body sizes, image checks."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from parley.contracts.errors import ErrorCode, ParleyError
from parley_chat_session.files.api import clean_name, content_disposition
from parley_chat_session.files.images import NotAnImage, inspect_image
from parley_chat_session.files.signing import LinkGrant, LinkSigner
from parley_chat_session.files.sniffing import sniff
from parley_fleet.ingress_routes import body_size


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
        (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
        (b"Order A-1001 arrived broken.\n", "text/plain"),
        (b"\xef\xbb\xbf  <!DOCTYPE html><p>", "text/html"),
        (b"\n<HTML><body>", "text/html"),
        (b"<p onclick=x>hello</p>", "text/html"),  # any markup start counts: browsers sniff that as HTML
        (b"see this: <script>alert(1)</script>", "text/html"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">', "image/svg+xml"),
        (b'<?xml version="1.0"?><note/>', "application/xml"),
        (b"\x00\x01\x02\x03 binary", "application/octet-stream"),
        (b"caf\xc3", "text/plain"),  # a character cut by the end of the head
        (b"\xff\xfe\x00\x00garbage", "application/octet-stream"),
    ],
)
def test_the_type_comes_from_the_bytes(head: bytes, expected: str) -> None:
    assert sniff(head).content_type == expected


def _grant(**changes: object) -> LinkGrant:
    fields: dict[str, object] = {
        "conversation_id": "c_1",
        "file_id": "f_ab",
        "variant": "original",
        "user_id": "v_1",
        "role": "visitor",
        "session": "s1",
        "expires": 2000,
    }
    return LinkGrant(**(fields | changes))  # type: ignore[arg-type]


def _query(path_and_query: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in path_and_query.split("?", 1)[1].split("&"))


def test_a_signed_link_verifies_until_it_expires() -> None:
    signer = LinkSigner(b"k" * 32)
    query = _query(signer.path_and_query(_grant()))
    assert signer.verify("c_1", "f_ab", "original", query, now=1999) == _grant()
    with pytest.raises(ParleyError) as expired:
        signer.verify("c_1", "f_ab", "original", query, now=2001)
    assert expired.value.code == ErrorCode.LINK_EXPIRED


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("query", {"u": "v_2"}),
        ("query", {"r": "admin"}),
        ("query", {"e": "999999"}),
        ("query", {"sig": "0" * 64}),
        ("query", {"e": "soon"}),
        ("path", {"file_id": "f_cd"}),
        ("path", {"variant": "thumbnail"}),
        ("key", {}),
    ],
)
def test_a_changed_link_is_refused(where: str, change: dict[str, str]) -> None:
    signer = LinkSigner(b"k" * 32)
    query = _query(signer.path_and_query(_grant()))
    path = {"conversation_id": "c_1", "file_id": "f_ab", "variant": "original"}
    if where == "query":
        query |= change
    elif where == "path":
        path |= change
    else:
        signer = LinkSigner(b"other key")
    with pytest.raises(ParleyError) as refused:
        signer.verify(path["conversation_id"], path["file_id"], path["variant"], query, now=1000)  # type: ignore[arg-type]
    assert refused.value.code == ErrorCode.LINK_INVALID


def test_a_link_without_its_parts_is_invalid() -> None:
    with pytest.raises(ParleyError) as refused:
        LinkSigner(b"k").verify("c_1", "f_ab", "original", {}, now=0)
    assert refused.value.code == ErrorCode.LINK_INVALID


def test_shown_names_lose_paths_and_control_characters() -> None:
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\me\\shot.png") == "shot.png"
    assert clean_name("a\u202egnp.exe") == "agnp.exe"  # no right-to-left override to disguise it
    assert clean_name("\x00\n") == "file"
    assert clean_name(".htaccess") == "htaccess"
    header = content_disposition('naïve "x".pdf', inline=False)
    assert header.startswith("attachment; filename=\"na_ve 'x'.pdf\"")
    assert "filename*=UTF-8''na%C3%AFve%20%22x%22.pdf" in header


def test_ingress_body_sizes() -> None:
    assert [body_size(v) for v in ("64k", "100m", "1g", "512", "1M")] == [65536, 100 * 1024**2, 1024**3, 512, 1024**2]


def test_an_image_is_decoded_and_thumbnailed() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (1000, 500), (0, 0, 255, 128)).save(out, "PNG")
    out.seek(0)
    facts = inspect_image(out, "image/png")
    assert (facts.width, facts.height) == (1000, 500)
    assert Image.open(io.BytesIO(facts.thumbnail)).size == (320, 160)


def test_an_image_that_does_not_decode_is_refused() -> None:
    with pytest.raises(NotAnImage):
        inspect_image(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100), "image/png")
    with pytest.raises(NotAnImage):
        inspect_image(io.BytesIO(_png_declaring(100_000, 100_000)), "image/png")


def _png_declaring(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims ``width`` x ``height`` pixels: a decompression bomb's shape."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    header = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(header))
    return bytes(data)
