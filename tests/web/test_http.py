"""HTTP done right on every kind of response: validators and 304s, gzip, HEAD, caching, security headers.

Pages, downloads, static files, error pages and the API all pass through one
middleware; these tests ask each kind the same questions.
"""

from __future__ import annotations

import gzip
import re
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.web import real_store_file, sqlite_url

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

DOWNLOAD = "/assignments/service-names-port-numbers/service-names-port-numbers"
#: One URL of each kind of response the site gives.
EVERY_KIND = [
    "/",
    "/?search=162",
    "/service/http",
    "/port/5432",
    "/person/Jon_Postel",
    "/map",
    "/map?block=0",
    DOWNLOAD + ".csv",
    DOWNLOAD + ".xml?version=1",
    "/api/v1/ports/80",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    path = real_store_file(tmp_path_factory.mktemp("http"))
    with Store.open(sqlite_url(path)) as store:
        with TestClient(create_app(store=store)) as test_client:
            yield test_client


def stylesheet(client: Any) -> str:
    return re.search(r'<link rel="stylesheet" href="([^"]+)"', client.get("/").text).group(1)


@pytest.mark.parametrize("url", EVERY_KIND)
def test_validators_and_304(client: Any, url: str) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and parsedate_to_datetime(modified).tzinfo is not None
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    since = client.get(url, headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    stale = client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert stale.status_code == 200 and stale.content == first.content
    other = client.get(url, headers={"If-None-Match": '"something-else"', "If-Modified-Since": modified})
    assert other.status_code == 200, "If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)"
    assert client.get(url, headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304


def test_static_files_have_validators_and_long_caching(client: Any) -> None:
    url = stylesheet(client)
    response = client.get(url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert "max-age=86400" in response.headers["cache-control"]
    assert client.get(url, headers={"If-None-Match": response.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("url", ["/", DOWNLOAD + ".xml", "/api/v1/ports/80", "/map"])
def test_gzip_when_asked_only(client: Any, url: str) -> None:
    import httpx

    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers.get("vary", "")
    # Read the raw bytes on the wire: the test client would otherwise decompress them.
    request = client.build_request("GET", url, headers={"Accept-Encoding": "gzip"})
    raw = client.send(request, stream=True)
    try:
        wire = b"".join(raw.iter_raw())
    finally:
        raw.close()
    assert raw.headers["content-encoding"] == "gzip"
    assert int(raw.headers["content-length"]) == len(wire) < len(plain.content)
    assert gzip.decompress(wire) == plain.content
    assert raw.headers["etag"] != plain.headers["etag"], "two representations, two tags"
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    assert isinstance(httpx.Headers(raw.headers), httpx.Headers)


def test_a_gzip_tag_validates_either_representation(client: Any) -> None:
    zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert client.get("/", headers={"Accept-Encoding": "identity", "If-None-Match": zipped.headers["etag"]}).status_code == 304


@pytest.mark.parametrize("url", EVERY_KIND + ["/nowhere"])
def test_head_is_get_without_the_body(client: Any, url: str) -> None:
    get = client.get(url, headers={"Accept-Encoding": "identity"})
    head = client.head(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == get.status_code
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    for name in ("content-type", "etag", "last-modified", "cache-control"):
        assert head.headers.get(name) == get.headers.get(name), name


@pytest.mark.parametrize("url", EVERY_KIND + ["/nowhere", "/service/nope", "/api/v1/ports/70000"])
def test_security_headers_everywhere(client: Any, url: str) -> None:
    response = client.get(url)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'" and "script-src" not in directives
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("url", ["/", "/?search=http", "/service/http", "/port/80", "/port/6000-6063", "/person/IESG", "/map", "/map?block=3", "/nowhere"])
def test_pages_need_no_inline_script_or_style(client: Any, url: str) -> None:
    """The CSP allows styles only from our stylesheet and no script at all: the pages must not need either."""
    body = client.get(url).text
    assert "<script" not in body and "<style" not in body
    assert not re.search(r"\sstyle=", body)
    assert not re.search(r"\son[a-z]+=", body)
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', body) == [stylesheet(client)]


def test_cache_control(client: Any) -> None:
    assert client.get("/").headers["cache-control"] == "no-cache"
    assert client.get(DOWNLOAD + ".csv").headers["cache-control"] == "no-cache"
    assert "immutable" in client.get(DOWNLOAD + ".csv?version=1").headers["cache-control"]
    assert client.get("/nowhere").headers["cache-control"] == "no-store"


def test_download_validators_are_the_versions(client: Any) -> None:
    """A download's tag names its version and format, so a new version is never served as 304."""
    current = client.get(DOWNLOAD + ".json", headers={"Accept-Encoding": "identity"})
    assert re.fullmatch(r'"v1-json-[0-9a-f]{16}"', current.headers["etag"])
    version = client.app.state.registry_service.current().version
    assert parsedate_to_datetime(current.headers["last-modified"]) == version.created_at.replace(microsecond=0)
    assert current.headers["content-type"] == "application/json"


def test_post_is_refused_with_a_page(client: Any) -> None:
    response = client.post("/")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in response.headers


def test_cors_on_the_api_only(client: Any) -> None:
    assert client.get("/api/v1/ports/80").headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in client.get("/").headers


def test_empty_store_says_how_to_fill_it(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    with Store.open(sqlite_url(tmp_path / "empty.db")) as store, TestClient(create_app(store=store)) as client:
        for url in ("/", "/map", "/service/http", DOWNLOAD + ".xml"):
            response = client.get(url)
            assert response.status_code == 503, url
            assert "portreg sync" in response.text
            assert response.headers["cache-control"] == "no-store"


def test_the_published_html_page_keeps_its_own_style_only(client: Any) -> None:
    """The HTML download is a standalone page with an inline stylesheet: allowed by its hash, nothing else."""
    import base64
    import hashlib

    response = client.get(DOWNLOAD + ".html")
    csp = response.headers["content-security-policy"]
    styles = re.findall(rb"<style[^>]*>(.*?)</style>", response.content, re.DOTALL)
    assert styles
    for style in styles:
        assert "'sha256-" + base64.b64encode(hashlib.sha256(style).digest()).decode() + "'" in csp
    assert "unsafe-inline" not in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp


@pytest.mark.parametrize(
    "header, gzip_expected",
    [
        ("gzip", True),
        ("gzip;q=0.5", True),
        ("gzip; q=1.000", True),
        ("GZIP;Q=0.001", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("gzip;q=0, *", False),
        ("*;q=0.5, gzip;q=0", False),
        ("gzip;q=abc", False),
        ("*;q=x", False),
        ("gzip;q=-1", False),
        ("gzip;q=nan", False),
        ("gzip;q=infinity", False),
        ("gzip;q=inf", False),
        ("gzip;q=2", False),
        ("gzip;q=1.5", False),
        ("gzip;q=0.0001", False),
        ("gzip;q=", False),
        ("gzip;q=abc, *;q=0.5", True),
        ("br, deflate", False),
        ("", False),
        (",,;;=", False),
    ],
)
def test_quality_values_follow_the_rfc_grammar(header: str, gzip_expected: bool) -> None:
    """RFC 9110 §12.4.2: anything outside ``0[.ddd]`` or ``1[.000]`` is no consent, and no error."""
    from portreg.web.middleware import _accepts_gzip

    assert _accepts_gzip(header.encode()) is gzip_expected


@pytest.mark.parametrize("header", ["gzip;q=abc", "*;q=x", "gzip;q=-1", "gzip;q=nan", "gzip;q=infinity", "\x00;q=\xff"])
@pytest.mark.parametrize("url", EVERY_KIND)
def test_malformed_accept_encoding_is_never_a_500(client: Any, url: str, header: str) -> None:
    response = client.get(url, headers={"Accept-Encoding": header.encode("latin-1")})
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


def test_a_server_error_carries_the_security_headers(tmp_path: Path) -> None:
    """A bug in a route is a 500 that still has CSP, nosniff and frame-ancestors (and JSON under /api/)."""
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    def boom() -> None:
        raise RuntimeError("a bug")

    with Store.open(sqlite_url(tmp_path / "empty.db")) as store:
        app = create_app(store=store)
        app.add_api_route("/boom", boom)
        app.add_api_route("/api/boom", boom)
        with TestClient(app, raise_server_exceptions=False) as test_client:
            page = test_client.get("/boom")
            api = test_client.get("/api/boom")
    for response in (page, api):
        assert response.status_code == 500
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    assert page.headers["content-type"].startswith("text/html") and "Server error" in page.text
    assert api.json()["error"]["code"] == "internal_error"
