"""The browser files the gateway serves: the embeddable widget (``/widget.js``), its assets and
the JS client (``/widget/...``), and the operator console (``/console``).

They are the bundles ``frontend/build.mjs`` builds from ``frontend/src`` into ``bundles/``
(committed; ``make check`` fails when one is stale). ``/widget.js`` is the JS client and the
widget in one script, so an embedding site needs one tag and the browser one request. Files are
read again when they change (a rebuild needs no restart) and answered with an ETag and Last-Modified; a matching
If-None-Match or If-Modified-Since gets 304. Entry points (``/widget.js``, the console page)
are cached briefly so a release reaches every site within minutes; the other files longer.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from aiohttp import web

from parley.http_api import Call

STATIC_ROOT = Path(__file__).parent / "bundles"
WIDGET_BUNDLE = "widget.js"
CONSOLE_DIR = "console"
# Entry points: a new release reaches every embedding site within 5 minutes.
ENTRY_MAX_AGE_SECONDS = 300
# Assets named by the entry points; an hour, and the ETag makes the revalidation cheap.
ASSET_MAX_AGE_SECONDS = 3600
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str
    mtime: float
    content_type: str


class StaticFiles:
    """Serves files below ``root``; never anything outside it."""

    def __init__(self, root: Path = STATIC_ROOT) -> None:
        self.root = root.resolve()
        self._cache: dict[tuple[Path, ...], tuple[tuple[float, ...], Asset]] = {}

    # The routes are in the gateway's table (http_endpoints.py).

    async def widget(self, call: Call) -> web.StreamResponse:
        return self._answer(call.request, self._load((self.root / WIDGET_BUNDLE,)), ENTRY_MAX_AGE_SECONDS)

    async def widget_file(self, call: Call) -> web.StreamResponse:
        path = self._inside(self.root, call.param("path"))
        if path.relative_to(self.root).parts[0] == CONSOLE_DIR:
            raise web.HTTPNotFound()  # the console is served under /console only
        return self._answer(call.request, self._load((path,)), ASSET_MAX_AGE_SECONDS)

    async def console_page(self, call: Call) -> web.StreamResponse:
        page = self.root / CONSOLE_DIR / "index.html"
        return self._answer(call.request, self._load((page,)), ENTRY_MAX_AGE_SECONDS)

    async def console_file(self, call: Call) -> web.StreamResponse:
        path = self._inside(self.root / CONSOLE_DIR, call.param("path"))
        return self._answer(call.request, self._load((path,)), ASSET_MAX_AGE_SECONDS)

    @staticmethod
    def _inside(base: Path, relative: str) -> Path:
        """The file ``relative`` names below ``base``; 404 for anything else (``..``, hidden files,
        a NUL, which no file name holds and the OS refuses with an error, not an answer)."""
        if "\x00" in relative or any(part.startswith(".") or part == "" for part in relative.split("/")):
            raise web.HTTPNotFound()
        path = (base / relative).resolve()
        if not path.is_relative_to(base.resolve()) or not path.is_file():
            raise web.HTTPNotFound()
        return path

    def _load(self, paths: tuple[Path, ...]) -> Asset:
        """The files' bytes joined, read again only when one of them changed."""
        try:
            mtimes = tuple(path.stat().st_mtime for path in paths)
        except FileNotFoundError:
            raise web.HTTPNotFound() from None
        cached = self._cache.get(paths)
        if cached is not None and cached[0] == mtimes:
            return cached[1]
        body = b"\n".join(path.read_bytes() for path in paths)
        suffix = paths[-1].suffix
        content_type = (
            CONTENT_TYPES.get(suffix) or mimetypes.guess_type(paths[-1].name)[0] or "application/octet-stream"
        )
        asset = Asset(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"', max(mtimes), content_type)
        self._cache[paths] = (mtimes, asset)
        return asset

    @staticmethod
    def _answer(request: web.Request, asset: Asset, max_age: int) -> web.StreamResponse:
        headers = {
            "ETag": asset.etag,
            "Last-Modified": formatdate(asset.mtime, usegmt=True),
            "Cache-Control": f"public, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        }
        if _not_modified(request, asset):
            return web.Response(status=304, headers=headers)
        return web.Response(body=asset.body, headers={**headers, "Content-Type": asset.content_type})


def _not_modified(request: web.Request, asset: Asset) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
        return (
            asset.etag in [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
            or if_none_match.strip() == "*"
        )
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return int(asset.mtime) <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError):
        return False
