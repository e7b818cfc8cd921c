"""Accounts in a real browser (Chromium, JavaScript off) on a real ``portreg serve`` that
mails through a real SMTP server (aiosmtpd): sign up, confirm by the mailed link, sign
in, sign out, reset the password. Screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

from tests.support.smtp import Inbox, smtp_server
from tests.support.web import real_store_file, serving, sqlite_url
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, _need_chromium

pytestmark = pytest.mark.slow

os.environ.setdefault("PORTREG_ARGON2_PROFILE", "CHEAPEST")
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase"


#: The module's store, for the tests that prepare accounts in it directly.
STORE_URL: dict[str, str] = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Inbox]]:
    url = sqlite_url(real_store_file(tmp_path_factory.mktemp("browser-accounts")))
    STORE_URL["url"] = url
    with smtp_server() as (inbox, settings):
        env = {
            "PORTREG_SMTP_HOST": "127.0.0.1",
            "PORTREG_SMTP_PORT": str(settings.port),
            "PORTREG_MAIL_INTERVAL": "0.5",
        }
        with pytest.MonkeyPatch.context() as patch:  # restores the environment after
            for key, value in env.items():
                patch.setenv(key, value)
            with serving(url, "--init-from", "none") as (base, _):
                yield base, inbox


@pytest.fixture(scope="module")
def page(site: tuple[str, Inbox]) -> Iterator[Any]:
    _need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(java_script_enabled=False, viewport={"width": 1200, "height": 860})
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda message: message.type == "error" and errors.append(message.text))
        try:
            yield tab
        finally:
            browser.close()
        assert not errors, errors  # a CSP violation (an inline script or style) is logged as one


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"account-{name}.png"), full_page=True)


def _beside(page: Any, field: str) -> str:
    return page.locator(f"#e-{field}").inner_text().strip()


def test_sign_up_confirm_sign_in_sign_out_reset(site: tuple[str, Inbox], page: Any) -> None:
    base, inbox = site
    page.goto(base + "/")
    page.click("header nav a:has-text('Account')")
    assert page.url == base + "/account/signin?next=%2Faccount"
    page.click("text=Create an account")
    _shot(page, "signup")

    # A mistake first: the message sits beside its field, the other values stay.
    page.fill("#f-email", "ivy@example")
    page.fill("#f-name", "Ivy <Tester>")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password2", PASSWORD)
    page.click("form.account button[type=submit]")
    assert page.url == base + "/account/signup"
    assert _beside(page, "email") == "is not an email address (name@example.org)"
    assert page.input_value("#f-name") == "Ivy <Tester>" and page.input_value("#f-password") == ""
    assert page.get_attribute("#f-email", "aria-describedby") == "e-email"
    _shot(page, "signup-mistake")
    page.fill("#f-email", "ivy@example.org")
    page.fill("#f-password", PASSWORD)
    page.fill("#f-password2", PASSWORD)
    page.click("form.account button[type=submit]")
    assert page.url == base + "/account/signup/sent" and page.locator("h1").inner_text() == "Check your mail"
    _shot(page, "signup-sent")

    link = inbox.link(inbox.wait_for("ivy@example.org", "confirm your address"))
    page.goto(link)
    _shot(page, "confirm")
    page.click("text=Confirm my address")
    assert page.url == base + "/account/signin"
    assert "is confirmed" in page.locator(".flash").inner_text()

    page.fill("#f-email", "ivy@example.org")
    page.fill("#f-password", PASSWORD)
    _shot(page, "signin")
    page.click("form.account button[type=submit]")
    assert page.url == base + "/account"
    assert page.locator("h1").inner_text() == "Ivy <Tester>"  # text, not markup
    assert page.locator("header nav").inner_text().endswith("Ivy <Tester>")
    _shot(page, "home")
    page.click("text=Sign out")
    assert page.url == base + "/account/signin" and page.locator(".flash").inner_text() == "Signed out."

    page.click("text=Forgot your password?")
    page.fill("#f-email", "ivy@example.org")
    _shot(page, "reset")
    page.click("form.account button[type=submit]")
    assert page.url == base + "/account/reset/sent"
    link = inbox.link(inbox.wait_for("ivy@example.org", "set a new password"))
    page.goto(link)
    page.fill("#f-password", NEW_PASSWORD)
    page.fill("#f-password2", NEW_PASSWORD)
    _shot(page, "reset-new")
    page.click("form.account button[type=submit]")
    assert page.url == base + "/account/signin" and "is changed" in page.locator(".flash").inner_text()
    page.goto(link)  # the link worked once
    page.fill("#f-password", "yet another passphrase")
    page.fill("#f-password2", "yet another passphrase")
    page.click("form.account button[type=submit]")
    assert "has been used already" in _beside(page, "token")
    _shot(page, "reset-used")

    page.goto(base + "/account/signin")
    page.fill("#f-email", "ivy@example.org")
    page.fill("#f-password", PASSWORD)
    page.click("form.account button[type=submit]")
    assert page.locator("#e-form").inner_text() == "Wrong email address or password."
    _shot(page, "signin-wrong")
    page.fill("#f-password", NEW_PASSWORD)
    page.click("form.account button[type=submit]")
    assert page.url == base + "/account"


def test_an_admin_gives_roles_in_the_browser(site: tuple[str, Inbox], page: Any) -> None:
    from portreg.services import accounts as A
    from portreg.store import Store

    base, _ = site
    db = STORE_URL["url"]
    with Store.open(db) as store:
        A.create_account(store, email="root@example.org", name="Root", password=PASSWORD, roles={"admin"})
        jo = A.create_account(store, email="jo@example.org", name="Jo", password=PASSWORD)
    page.goto(base + "/account")
    if not page.url.startswith(base + "/account/signin"):
        page.click("text=Sign out")
    page.goto(base + "/account/signin?next=%2Fadmin%2Faccounts")
    page.fill("#f-email", "root@example.org")
    page.fill("#f-password", PASSWORD)
    page.click("form.account button[type=submit]")
    assert page.url == base + "/admin/accounts"
    row = page.locator(f"#account-{jo.id}")
    row.locator("input[name=role][value=expert]").check()
    row.locator("input[name=group][value=tcp-udp]").check()
    row.locator("text=Save roles").click()
    assert page.url == base + "/admin/accounts"
    assert page.locator(".flash").inner_text() == "jo@example.org now holds: expert, requester; groups: tcp-udp."
    assert page.locator(f"#account-{jo.id} input[name=group][value=tcp-udp]").is_checked()
    _shot(page, "admin-roles")
    with Store.open(db) as store:
        assert A.get_account(store, jo.id).groups == {"tcp-udp"}
