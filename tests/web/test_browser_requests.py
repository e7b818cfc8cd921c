"""The assignment process in a real browser (Chromium, JavaScript off) on a real
``portreg serve`` that mails through a real SMTP server (aiosmtpd): a person signs up,
confirms by the mailed link, files a request with a mistake and corrects it; an expert
asks a question, the requester answers, the expert approves, staff publish; the
registry page, the port page, the downloads and the services(5) file show the new
assignment. Screenshots of each page go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

import os
from typing import Any, Iterator

import httpx
import pytest

from tests.support.smtp import Inbox, smtp_server
from tests.support.web import real_store_file, serving, sqlite_url
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _need_chromium

pytestmark = pytest.mark.slow

os.environ.setdefault("PORTREG_ARGON2_PROFILE", "CHEAPEST")
PASSWORD = "correct horse battery staple"
NAME, PORT = "frobnitzd", 2194  # a name and a user port free in the 2024-03-18 registry


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Inbox]]:
    from portreg.services import accounts as A
    from portreg.store import Store

    url = sqlite_url(real_store_file(tmp_path_factory.mktemp("browser-requests")))
    with Store.open(url) as store:
        A.create_account(store, email="sam@registry.example", name="Sam Staff", password=PASSWORD, roles={"staff"})
        A.create_account(
            store, email="eve@experts.example", name="Eve Expert", password=PASSWORD, roles={"expert"},
            groups={"tcp-udp"},
        )
    with smtp_server() as (inbox, settings):
        env = {
            "PORTREG_SMTP_HOST": "127.0.0.1",
            "PORTREG_SMTP_PORT": str(settings.port),
            "PORTREG_MAIL_INTERVAL": "0.5",
            "PORTREG_RUNS_REGISTRY": "1",
        }
        with pytest.MonkeyPatch.context() as patch:  # restores the environment after
            for key, value in env.items():
                patch.setenv(key, value)
            with serving(url, "--init-from", "none") as (base, _):
                yield base, inbox


@pytest.fixture(scope="module")
def browser(site: tuple[str, Inbox]) -> Iterator[Any]:
    _need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _tab(browser: Any) -> Any:
    """A person's own browser (own cookies), JavaScript off; console errors (a CSP violation) collected."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 900})
    tab = context.new_page()
    tab.errors = []
    tab.on("console", lambda message: message.type == "error" and tab.errors.append(message.text))
    return tab


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"request-{name}.png"), full_page=True)


def _sign_in(page: Any, base: str, email: str, next_path: str) -> None:
    page.goto(base + "/account/signin?next=" + next_path.replace("/", "%2F"))
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("form.account button[type=submit]")
    assert page.url == base + next_path, page.url


def _do(page: Any, action: str, reason: str | None = None) -> None:
    form = page.locator(f"form#do-{action}")
    if reason is not None:
        form.locator("textarea[name=reason]").fill(reason)
    form.locator("button[type=submit]").click()


def test_a_request_from_sign_up_to_the_registry(site: tuple[str, Inbox], browser: Any) -> None:
    base, inbox = site
    rita = _tab(browser)

    # Sign up, confirm by the mailed link, sign in.
    rita.goto(base + "/account/signup")
    rita.fill("#f-email", "rita@example.com")
    rita.fill("#f-name", "Rita Requester")
    rita.fill("#f-password", PASSWORD)
    rita.fill("#f-password2", PASSWORD)
    rita.click("form.account button[type=submit]")
    rita.goto(inbox.link(inbox.wait_for("rita@example.com", "confirm your address")))
    rita.click("text=Confirm my address")
    _sign_in(rita, base, "rita@example.com", "/requests")
    _shot(rita, "mine-empty")

    # The registry's "Request an Assignment" leads to this site's form.
    rita.goto(base + "/?search=frob")
    rita.click("details.about summary")  # a filtered registry page folds its head away
    rita.click("#request-form-link")
    assert rita.url == base + "/requests/new"
    _shot(rita, "form")

    # A mistake: the checks say so beside the field, with the RFC section; nothing is filed.
    rita.fill("#f-service_name", "frob--nitz")
    rita.check("input[name=transports][value=tcp]")
    for field, value in {
        "assignee_name": "Rita Requester",
        "assignee_email": "rita@example.com",
        "contact_name": "Rita Requester",
        "contact_email": "rita@example.com",
        "description": "Frobnitz remote control",
        "reference": "https://example.com/frobnitz (unicast only)",
        "port": str(PORT),
        "justification": "lamps are found without discovery, so a dynamic port cannot be known",
    }.items():
        rita.fill(f"#f-{field}", value)
    rita.click("button[value=file]")
    assert rita.url == base + "/requests/new"
    assert "RFC 6335 §5.1" in rita.locator("#e-service_name").inner_text()
    assert rita.get_attribute("#f-service_name", "aria-describedby").startswith("e-service_name")
    assert rita.input_value("#f-description") == "Frobnitz remote control"  # the values stay
    _shot(rita, "form-mistake")

    # Corrected: check only first, then file.
    rita.fill("#f-service_name", NAME)
    rita.click("button[value=check]")
    assert "found no error" in rita.locator("#checked").inner_text()
    rita.click("button[value=file]")
    assert rita.url.startswith(base + "/requests/")
    request_path = rita.url.removeprefix(base)
    assert "is filed" in rita.locator(".flash").inner_text()
    _shot(rita, "filed")

    # Staff validate and route it to the tcp-udp experts.
    sam = _tab(browser)
    _sign_in(sam, base, "sam@registry.example", "/requests/dashboard")
    assert NAME in sam.locator("#state-new + .table-wrap").inner_text()
    _shot(sam, "dashboard")
    sam.goto(base + request_path)
    _do(sam, "validate")
    _do(sam, "route")
    assert "Expert Review" in sam.locator(".lede").inner_text()

    # The expert asks from the queue; the requester answers on the request's page.
    eve = _tab(browser)
    _sign_in(eve, base, "eve@experts.example", "/requests/queue/tcp-udp")
    assert NAME in eve.locator("section.queued").first.inner_text()
    _shot(eve, "queue")
    eve.goto(base + request_path)
    _do(eve, "ask", "Do the lamps also speak UDP?")
    assert "With Requester" in eve.locator(".lede").inner_text()
    rita.goto(base + request_path)
    assert "Do the lamps also speak UDP?" in rita.locator("#discussion + ol").inner_text()
    _shot(rita, "question")
    _do(rita, "answer", "No, TCP only.")
    assert "Expert Review" in rita.locator(".lede").inner_text()

    # The expert approves; staff assign, which publishes a new registry version.
    eve.goto(base + request_path)
    _do(eve, "approve")
    assert "Assignable" in eve.locator(".lede").inner_text()
    _shot(eve, "approved")
    sam.goto(base + request_path)
    _do(sam, "assign")
    assert "Assigned" in sam.locator(".lede").inner_text()
    _shot(sam, "assigned")
    rita.goto(base + "/requests")
    assert "Assigned" in rita.locator(f"#request-{request_path.rsplit('/', 1)[1]}").inner_text()
    _shot(rita, "mine")

    # The registry, the port page, the downloads and services(5) show it.
    rita.goto(base + f"/?search={NAME}")
    assert NAME in rita.locator("main").inner_text()
    _shot(rita, "registry")
    rita.goto(base + f"/port/{PORT}")
    assert NAME in rita.locator("main").inner_text() and "Rita Requester" in rita.locator("main").inner_text()
    _shot(rita, "port")
    for ext in ("csv", "xml", "txt"):
        document = httpx.get(f"{base}/assignments/service-names-port-numbers/service-names-port-numbers.{ext}", timeout=60)
        assert document.status_code == 200 and NAME in document.text, ext
    services = httpx.get(f"{base}/assignments/service-names-port-numbers/service-names-port-numbers.services", timeout=60)
    assert any(line.split()[:2] == [NAME, f"{PORT}/tcp"] for line in services.text.splitlines() if line.strip()), (
        services.text[:300]
    )
    rita.goto(base + "/requests/statistics")
    _shot(rita, "statistics")
    for tab in (rita, sam, eve):
        assert not tab.errors, tab.errors
