"""No input reaches a 500: every route of the pages, the API and the downloads, fed hostile values.

The routes are read from the app itself (routers included), so a route added later is
covered without touching this file. Each path parameter and each query parameter gets
a corpus of values that have broken number parsing and routing before (other scripts'
digits, superscripts, signs, huge numbers, NUL, the empty string, very long text), then
Hypothesis-generated text; each request also carries a malformed header. Every answer
must be below 500; every HTML answer must carry the security headers; every API error
must be JSON naming what was wrong (and a 400 the parameter).
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.web import real_store_file, sqlite_url

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

#: Values that have broken parsers: Unicode digits of several scripts (Arabic-Indic,
#: Extended Arabic-Indic, Devanagari, Bengali, Thai, fullwidth, mathematical bold),
#: superscripts, signs, decimals, exponents, huge numbers, NUL, control and bidi
#: characters, markup, path tricks, empty and very long text.
CORPUS = [
    "٣",
    "۳",
    "३",
    "৩",
    "๓",
    "３",
    "𝟑",
    "²",
    "¹²³",
    "8٠",
    "٨٠",
    "+80",
    "-0",
    "-1",
    "80.0",
    " 80",
    "80 ",
    "8_0",
    "0x50",
    "1e3",
    "nan",
    "inf",
    "-inf",
    "infinity",
    "0",
    "65536",
    "99999",
    "2147483648",
    "9" * 40,
    "1" * 4301,
    "1" * 20000,
    "",
    " ",
    "\x00",
    "%00",
    "a\x00b",
    "\t",
    "\u202e80",
    "\ufeff80",
    "\u00a0",
    "<script>alert(1)</script>",
    "'\"",
    "../../etc/passwd",
    "..",
    "%",
    "%zz",
    "a/b",
    "all",
    "ALL",
    "1-2",
    "2-1",
    "1--2",
    "-",
    "http",
    "é" * 300,
    "x" * 10000,
]
#: The part of the corpus every query parameter gets (one of each kind above; generated values do the rest).
QUERY_CORPUS = ["٣", "３", "²", "+80", "80.0", "1" * 4301, "", "\x00", "x" * 10000, "2-1"]
#: Malformed or hostile request headers, one per request, in turn.
HEADERS: list[dict[str, bytes]] = [
    {"accept-encoding": b"gzip;q=abc"},
    {"accept-encoding": b"*;q=x"},
    {"accept-encoding": b"gzip;q=nan, br;q=-1"},
    {"accept-encoding": b";;,,=q"},
    {"if-none-match": b'"\xff\xfe", W/'},
    {"if-modified-since": b"Mon, 99 Foo 99999 99:99:99 GMT"},
    {"if-modified-since": b"\xff" * 40},
    {"cookie": b"portreg_session=\xff\x00garbage; =; ;;"},
    {"authorization": b"Bearer \xff\xfe"},
    {"authorization": b"Basic !!!"},
    {"accept": b"*/*;q=abc, text/html;level=\xff"},
    {"range": b"bytes=-5-"},
    {"x-forwarded-for": b"\xff" * 100},
    {"content-type": b"application/x-www-form-urlencoded; charset=\xff"},
    {},
]
#: Query parameters the pages read (they declare none to FastAPI).
PAGE_PARAMETERS = (
    "page",
    "page_size",
    "search",
    "sort",
    "transport",
    "range",
    "state",
    "person",
    "year",
    "block",
    "version",
)
SECURITY = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy")
_PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")


def routes(app: Any) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(path template, methods, query parameter names) of every route, routers included."""

    def walk(items: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for route in items:
            if hasattr(route, "original_router"):  # FastAPI's included router
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif hasattr(route, "routes") and not hasattr(route, "path_regex"):
                yield from walk(route.routes, prefix)
            else:
                yield prefix, route

    found = {}
    for prefix, route in walk(app.routes):
        path = prefix + route.path
        methods = tuple(sorted(getattr(route, "methods", None) or {"GET"}))
        dependant = getattr(route, "dependant", None)
        names = tuple(f.alias for f in dependant.query_params) if dependant is not None else ()
        if not path.startswith("/api/"):
            # Pages declare no query parameters; those without path parameters (the
            # registry, the map, the downloads) get every one a page reads, the others
            # the one every page could read.
            names = tuple(
                dict.fromkeys(
                    names + (PAGE_PARAMETERS if "{" not in route.path or "extension" in route.path else ("version",))
                )
            )
        found[path] = (path, methods, names)
    return sorted(found.values())


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from portreg.store import Store
    from portreg.web import create_app

    path = real_store_file(tmp_path_factory.mktemp("hostile"))
    with (
        Store.open(sqlite_url(path)) as store,
        TestClient(create_app(store=store), raise_server_exceptions=False) as test_client,
    ):
        yield test_client


@pytest.fixture(scope="module")
def table(client: Any) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    found = routes(client.app)
    paths = {path for path, _, _ in found}
    assert {"/", "/port/{spec}", "/api/v1/ports/{port}", "/api/v1/records"} <= paths, paths
    assert any(path.startswith("/assignments/") for path in paths)
    return found


def fill(template: str, value: str, default: str = "80") -> str:
    """The path with its first parameter set to ``value`` and the others to ``default``."""
    first = True

    def one(match: re.Match[str]) -> str:
        nonlocal first
        text = value if first else default
        first = False
        return quote(text, safe="/" if ":path" in match.group(0) else "")

    return _PARAM.sub(one, template)


def check(response: Any, url: str) -> None:
    status = response.status_code
    assert status < 500, f"{url}: {status} {response.text[:300]}"
    kind = response.headers.get("content-type", "")
    if kind.startswith("text/html") or status >= 400:
        for name in SECURITY:
            assert name in response.headers, f"{url}: {status} without {name}"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    sent = response.request.url.path  # the client resolves dot segments: /api/v1/../x is /x
    if sent.startswith("/api/") and status >= 400 and response.request.method != "HEAD":
        assert kind.startswith("application/json"), f"{url}: {status} {kind}"
        error = json.loads(response.content)["error"]
        assert error["code"] and error["message"], error
        if status == 400:
            assert error.get("parameter"), f"{url}: a 400 names no parameter: {error}"


def send(client: Any, method: str, url: str, headers: dict[str, bytes]) -> None:
    response = client.request(method, url, headers=headers)
    check(response, url)


def test_every_route_is_known(table: list[Any]) -> None:
    """The routes the proof covers; a new router shows up here by itself."""
    assert len(table) >= 15


def test_the_corpus_in_every_path_parameter(client: Any, table: list[Any]) -> None:
    turn = 0
    for path, _methods, _ in table:
        if "{" not in path:
            continue
        for value in CORPUS:
            send(client, "HEAD" if turn % 4 == 3 else "GET", fill(path, value), HEADERS[turn % len(HEADERS)])
            turn += 1


def test_the_corpus_in_every_query_parameter(client: Any, table: list[Any]) -> None:
    turn = 0
    for path, _, names in table:
        base = fill(path, "80")
        for name in names:
            for value in QUERY_CORPUS:
                send(client, "GET", base + "?" + urlencode({name: value}), HEADERS[turn % len(HEADERS)])
                turn += 1
        send(client, "GET", base + "?" + "&".join(f"{n}=%C2%B2" for n in names), {})


def test_other_methods_are_refused_cleanly(client: Any, table: list[Any]) -> None:
    for path, _, _ in table:
        url = fill(path, "80")
        for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
            response = client.request(method, url, content=b"\xff" * 100, headers={"content-type": "application/json"})
            check(response, url)
            if response.status_code == 405:
                assert response.headers.get("allow"), f"{url}: a 405 without Allow"


# A generated value may be any text; the URL carries it as UTF-8, percent-encoded.
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_values = _text | st.sampled_from(CORPUS) | st.integers(-(10**30), 10**30).map(str)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_values_anywhere(client: Any, table: list[Any], data: st.DataObject) -> None:
    path, _, names = data.draw(st.sampled_from(table), label="route")
    url = fill(path, data.draw(_values, label="path value"), data.draw(_values, label="other path values"))
    if names:
        chosen = data.draw(st.lists(st.sampled_from(names), max_size=3, unique=True), label="names")
        query = {name: data.draw(_values, label=name) for name in chosen}
        if query:
            url += "?" + urlencode(query)
    headers = data.draw(st.sampled_from(HEADERS), label="headers")
    send(client, data.draw(st.sampled_from(["GET", "HEAD"]), label="method"), url, headers)
