"""The website in a real browser: Chromium driven by Playwright against a real ``portreg serve``.

The browser runs with JavaScript switched off, because the site promises to work
without it, and every page it visits must log no console error (a Content-Security-
Policy violation is logged as one). Screenshots of the main pages are kept under
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support.web import real_store_file, serving, sqlite_url
from tests.support.data import ROOT

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def _need_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is absent: install Debian's chromium package (.ci/install does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = real_store_file(tmp_path_factory.mktemp("browser"))
    with serving(sqlite_url(path), "--init-from", "none") as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Visit:
    """A browser tab on the server that records console errors and takes named screenshots."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(java_script_enabled=False, viewport={"width": 1366, "height": 900}, accept_downloads=True)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base + path)
        return response

    def shot(self, name: str, *, full_page: bool = False) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def rows(self) -> Any:
        return self.page.locator("table.records tbody tr")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, server: str) -> Iterator[Visit]:
    tab = Visit(browser, server)
    try:
        yield tab
        # Only the deliberate 404s of a test may be logged, as "Failed to load resource".
        unexpected = [e for e in tab.errors if "404" not in e]
        assert not unexpected, unexpected
    finally:
        tab.close()


def test_search_from_the_registry_page(visit: Visit) -> None:
    visit.go("/")
    assert visit.page.locator("h1").inner_text() == "Service Name and Transport Protocol Port Number Registry"
    assert visit.rows().count() == 100
    visit.shot("registry")
    visit.page.fill("#f-search", "162")
    visit.page.click("form.filters button[type=submit]")
    assert visit.page.url == visit.base + "/?search=162"  # the form's empty fields are dropped from the link
    assert visit.rows().count() == 53
    assert visit.rows().first.locator("td").first.inner_text() == "snmptrap"
    assert visit.rows().last.locator("td").nth(1).inner_text() == "31621-31684"
    visit.shot("search-162")


def test_a_port_search_finds_its_range(visit: Visit) -> None:
    visit.go("/")
    visit.page.fill("#quick-search", "6010")
    visit.page.press("#quick-search", "Enter")
    first = visit.rows().first.locator("td")
    assert [first.nth(0).inner_text(), first.nth(1).inner_text()] == ["x11", "6000-6063"]


def test_filter_sort_and_paginate(visit: Visit) -> None:
    visit.go("/")
    visit.page.select_option("#f-transport", "udp")
    visit.page.select_option("#f-state", "reserved")
    visit.page.click("form.filters button[type=submit]")
    assert "transport=udp" in visit.page.url and "state=reserved" in visit.page.url
    rows = visit.rows()
    assert rows.count() > 0
    classes = {rows.nth(i).get_attribute("class") for i in range(rows.count())}
    assert classes == {"reserved"}
    transports = set(visit.page.locator("table.records tbody tr td:nth-child(3)").all_inner_texts())
    assert transports <= {"udp", ""}
    total = int(re.search(r"of ([\d,]+)", visit.page.locator("#result-count").inner_text()).group(1).replace(",", ""))
    assert total > 100
    visit.page.click("table.records thead a:text('Port Number')")
    visit.page.click("table.records thead a:text('Port Number')")  # twice: descending
    assert "sort=-port" in visit.page.url
    ports = [int(p.split("-")[0]) for p in visit.page.locator("table.records tbody tr td:nth-child(2)").all_inner_texts()]
    assert ports == sorted(ports, reverse=True)
    visit.page.click("a[rel=next]")
    assert "page=2" in visit.page.url and "transport=udp" in visit.page.url and "sort=-port" in visit.page.url
    assert visit.page.locator("#result-count").inner_text().startswith("Showing 101–")
    visit.shot("filtered-page-2")
    visit.page.click("a[rel=prev]")
    assert visit.page.locator("#result-count").inner_text().startswith("Showing 1–100")


def test_open_a_record_and_follow_a_person(visit: Visit) -> None:
    visit.go("/?search=postgresql")
    visit.page.click("table.records a:text-is('postgresql')")
    assert visit.page.url == visit.base + "/service/postgresql"
    assert visit.page.locator("h1").inner_text() == "postgresql"
    assert visit.page.locator("article.record").count() == 2
    visit.shot("service-postgresql")
    visit.page.locator("article.record dl.fields a[href^='/person/']").first.click()
    assert "/person/" in visit.page.url
    assert visit.rows().count() >= 2
    visit.shot("person")


def test_port_page(visit: Visit) -> None:
    visit.go("/port/443")
    assert visit.page.locator("h1").inner_text() == "Port 443"
    assert visit.page.locator("article.record h2 a").first.inner_text() == "https"
    visit.shot("port-443")


def test_map_down_to_a_port(visit: Visit) -> None:
    visit.go("/map")
    assert visit.page.locator("svg.portmap a").count() == 256
    visit.shot("map", full_page=True)
    visit.page.locator("svg.portmap a[href='/map?block=21']").click()
    assert visit.page.url.endswith("/map?block=21")
    visit.shot("map-block-21")
    visit.page.locator("svg.portmap a[href='/port/5432']").click()
    assert visit.page.url.endswith("/port/5432")
    assert "postgresql" in visit.page.locator("article.record h2").first.inner_text()


def test_download_a_format(visit: Visit, server: str) -> None:
    import httpx

    visit.go("/")
    with visit.page.expect_download() as info:
        visit.page.click("dd.formats a:text-is('CSV')")
    download = info.value
    saved = Path(download.path()).read_bytes()
    assert saved.startswith(b"Service Name,Port Number,Transport Protocol,")
    assert saved == httpx.get(server + "/assignments/service-names-port-numbers/service-names-port-numbers.csv").content


def test_not_found_helps(visit: Visit) -> None:
    response = visit.go("/service/postgres")
    assert response.status == 404
    suggestions = visit.page.locator("ul.suggestions a").all_inner_texts()
    assert "postgresql" in suggestions
    visit.shot("not-found")
    visit.page.click("ul.suggestions a:text-is('postgresql')")
    assert visit.page.url.endswith("/service/postgresql")


def test_first_start_offline_fills_from_the_shipped_snapshot(browser: Any, tmp_path: Path) -> None:
    """A fresh store, IANA out of reach: the console and every page say the registry is the shipped snapshot, and its date."""
    closed = "http://127.0.0.1:9/service-names-port-numbers.xml"  # the discard port: nothing listens
    with serving(sqlite_url(tmp_path / "fresh.db"), "--sync-url", closed) as (base, proc):
        tab = Visit(browser, base)
        try:
            tab.go("/")
            notice = tab.page.locator(".notice").inner_text()
            assert "IANA could not be reached" in notice and "snapshot" in notice and "portreg sync" in notice
            assert re.search(r"dated \d{4}-\d{2}-\d{2}", notice)
            assert tab.rows().count() > 0
            tab.shot("first-start-offline")
        finally:
            tab.close()
        proc.terminate()
        console, _ = proc.communicate(timeout=10)
    assert "IANA could not be reached" in console
    assert "filled the store from the snapshot of IANA's registry" in console and "portreg sync" in console


def test_serve_refuses_a_bad_init_source(tmp_path: Path) -> None:
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "portreg", "--db", sqlite_url(tmp_path / "x.db"), "serve", "--init-from", str(tmp_path / "missing.xml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "missing.xml" in result.stderr and "Traceback" not in result.stderr
