"""What a file is, decided from its first bytes only: never from its name or the client's header.

A browser that renders a file by what it *looks* like (MIME sniffing) runs an HTML page uploaded
as ``photo.png``; so the type is ours, from the content, and every download carries ``nosniff``.
Anything textual that starts with markup is treated as active content (HTML, SVG, XML): those are
the types a browser would run, and they are never served inline.
"""

from __future__ import annotations

from dataclasses import dataclass

# Enough of the head of a file for every signature below, and for the markup check of a text
# with a byte-order mark and some leading blank lines.
SNIFF_BYTES = 512

RASTER_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
ACTIVE = frozenset({"text/html", "image/svg+xml", "application/xml"})
OCTET_STREAM = "application/octet-stream"
# Every type sniff() can answer: a channel's allowed types are chosen among these.
KNOWN_TYPES = frozenset(
    {*RASTER_IMAGES, *ACTIVE, "application/pdf", "application/zip", "video/mp4", "text/plain", OCTET_STREAM}
)
# The tags whose presence near the start makes a browser (and us) read text as HTML.
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe", b"<meta", b"<a ", b"<img")


@dataclass(frozen=True)
class Sniffed:
    content_type: str

    @property
    def is_raster_image(self) -> bool:
        return self.content_type in RASTER_IMAGES

    @property
    def is_active(self) -> bool:
        return self.content_type in ACTIVE


def sniff(head: bytes) -> Sniffed:
    """The type of a file whose first bytes (up to :data:`SNIFF_BYTES`) are ``head``."""
    return Sniffed(_binary_type(head) or _text_type(head[:SNIFF_BYTES]) or OCTET_STREAM)


def _binary_type(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "application/zip"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _text_type(head: bytes) -> str | None:
    """text/plain for UTF-8 text without control bytes; an active type for text that is markup."""
    if b"\x00" in head:
        return None
    lowered = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if lowered.startswith(b"<"):
        if b"<svg" in lowered:
            return "image/svg+xml"
        if any(marker in lowered for marker in _HTML_MARKERS):
            return "text/html"
        return "application/xml" if lowered.startswith(b"<?xml") else "text/html"
    if any(marker in lowered for marker in _HTML_MARKERS):
        return "text/html"  # markup after some text: browsers sniff it as HTML too
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the head is still text.
        if error.start < len(head) - 3:
            return None
    if any(byte < 0x09 or 0x0D < byte < 0x20 for byte in head if byte != 0x1B):
        return None
    return "text/plain"
