"""Browser tests: Playwright driving Debian's Chromium against a live server.

Screenshots go to `screenshots/` (ignored by git) so a person can look at what the tests saw.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)
            # The live server runs in another thread: it sees committed rows only.
            item.add_marker(pytest.mark.django_db(transaction=True))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session", autouse=True)
def plain_http_live_server() -> Iterator[None]:
    """The live server speaks plain HTTP on localhost; production sits behind TLS.

    Session-scoped and autouse so it is in force before the (session-scoped) live server
    builds its middleware, which reads SECURE_SSL_REDIRECT once.
    """
    from django.conf import settings
    from django.test.utils import override_settings

    # The live server serves static files from the finders by their plain names.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override = override_settings(
        SECURE_SSL_REDIRECT=False,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        SESSION_COOKIE_NAME="sessionid",
        CSRF_COOKIE_NAME="csrftoken",
        STORAGES=storages,
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture
def e2e_settings(settings: Any) -> Any:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@pytest.fixture
def new_page(browser: Any, live_server: Any, e2e_settings: Any) -> Iterator[Any]:
    """A function that opens a fresh browser context (a separate person) and returns a page."""
    contexts = []

    def open_page() -> Any:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, username: str, password: str, *, second_factor: bool = True) -> None:
    """Password, then (for someone with two-factor set up) one of their backup codes."""
    from clinic.accounts.models import User
    from clinic.accounts.two_factor import has_two_factor
    from tests.conftest import backup_code_for

    page.goto("/accounts/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    user = User.objects.filter(username__iexact=username).first()
    if second_factor and user is not None and has_two_factor(user):
        page.get_by_label("Code").fill(backup_code_for(user))
        page.get_by_role("button", name="Verify").click()


def give_authenticator(user: Any) -> None:
    """Someone who set up two-factor sign-in earlier."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def watch_csp(page: Any) -> list[str]:
    """Content-Security-Policy violations the browser reports on this page."""
    violations: list[str] = []

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"{page.url}: {message.text} @ {message.location}")

    page.on("console", on_console)
    return violations


@pytest.fixture(autouse=True)
def seeded_catalogues(transactional_db: Any) -> None:
    """Each browser test starts with the medication and procedure catalogues and the clinic
    policy: a browser test that ran before it on this worker ended with a flush."""
    from tests.conftest import restore_seeded_catalogues

    restore_seeded_catalogues()
