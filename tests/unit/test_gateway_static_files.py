"""The gateway's browser files: the one-tag widget, assets, the console, caching, no traversal."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from parley.http_api import HttpApi
from parley_gateway.http_endpoints import ENDPOINTS
from parley_gateway.static_files import STATIC_ROOT, StaticFiles


@pytest.fixture
async def client(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "parley-client.js").write_text("window.Parley = {};")
    (tmp_path / "widget.js").write_text("window.Parley = {}; Parley.widget = 1;")
    (tmp_path / "widget.css").write_text(".parley {}")
    (tmp_path / "console").mkdir()
    (tmp_path / "console" / "index.html").write_text("<h1>console</h1>")
    (tmp_path / "console" / "app.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("secret")
    app = web.Application()
    files = StaticFiles(tmp_path)
    app.add_routes(HttpApi([e for e in ENDPOINTS if hasattr(files, e.handler)], None, files).routes())
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_widget_js_is_the_widget_bundle(client: TestClient) -> None:
    response = await client.get("/widget.js")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert await response.text() == "window.Parley = {}; Parley.widget = 1;"
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"].startswith('"') and response.headers["Last-Modified"].endswith("GMT")


async def test_etag_and_last_modified_revalidate_with_304(client: TestClient) -> None:
    first = await client.get("/widget.js")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = await client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status == 304 and await again.read() == b""
    assert (await client.get("/widget.js", headers={"If-Modified-Since": modified})).status == 304
    assert (await client.get("/widget.js", headers={"If-None-Match": '"other"'})).status == 200


async def test_an_edited_file_gets_a_new_etag(client: TestClient, tmp_path: Path) -> None:
    before = (await client.get("/widget.js")).headers["ETag"]
    (tmp_path / "widget.js").write_text("Parley.widget = 2;")
    os.utime(tmp_path / "widget.js", (1_900_000_000, 1_900_000_000))
    response = await client.get("/widget.js", headers={"If-None-Match": before})
    assert response.status == 200 and (await response.text()).endswith("Parley.widget = 2;")


async def test_widget_assets_with_their_content_types(client: TestClient) -> None:
    js = await client.get("/widget/parley-client.js")
    assert js.status == 200 and await js.text() == "window.Parley = {};"
    assert js.headers["Cache-Control"] == "public, max-age=3600"
    css = await client.get("/widget/widget.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8"


async def test_console_page_and_files(client: TestClient) -> None:
    for path in ("/console", "/console/"):
        page = await client.get(path)
        assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert await page.text() == "<h1>console</h1>"
    assert await (await client.get("/console/app.js")).text() == "console.log(1)"
    assert (await client.get("/widget/console/index.html")).status == 404  # the console only under /console


@pytest.mark.parametrize(
    "path",
    [
        "/widget/../secret.txt",
        "/widget/%2e%2e/secret.txt",
        "/widget/..%2fsecret.txt",
        "/console/../../secret.txt",
        "/widget/.hidden",
        "/widget/missing.js",
        "/widget/console",
        "/console/%00",  # found by the HTTP fuzz: the OS refuses a NUL in a path with an error (was 500)
        "/widget/a%00.js",
    ],
)
async def test_no_file_outside_static_and_no_missing_file(client: TestClient, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404
    assert "secret" not in await response.text()


def test_the_real_bundle_directory_has_every_served_entry() -> None:
    for part in ("parley-client.js", "widget.js", "widget.css", "console/index.html", "console/console.js"):
        assert (STATIC_ROOT / part).is_file(), part
