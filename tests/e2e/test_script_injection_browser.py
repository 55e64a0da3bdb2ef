"""Stored script payloads in a real browser: every page shows them as text, none runs.

The server-side test (tests/security/test_attacks.py) checks the HTML; this one lets Chromium
parse it. The Content-Security-Policy would block an injected inline script anyway, so an
absent alert box alone proves little: the test also fails on any element the payload would
have created and on any policy violation the browser reports.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.conftest import PASSWORD
from tests.e2e.conftest import give_authenticator, screenshot, sign_in, watch_csp
from tests.permission_matrix import OK, ROUTES
from tests.security.test_attacks import (
    PAYLOAD,
    allowed_persona,
    get_routes,
    poison_every_free_text_field,
    world,
)

# Elements and script the payload would add to the page, had it been parsed as markup.
INJECTED = """() => ({
    images: document.querySelectorAll('img[src="x"]').length,
    handlers: document.querySelectorAll('[onerror]').length,
    scripts: Array.from(document.scripts).filter((s) => s.text.includes('alert(')).length,
})"""
SHOWN_AS_TEXT = "(payload) => document.body.innerText.includes(payload)"


def pages_the_persona_may_see(objects: dict[str, Any]) -> list[str]:
    urls = []
    for name in get_routes():
        route = ROUTES[name]
        if allowed_persona(route.get) and route.get.ok == OK:
            urls.append(reverse(name, kwargs=route.kwargs(objects)))
    return urls


def test_stored_script_payloads_never_run_in_the_browser_on_any_page(new_page: Any) -> None:
    objects, persona = world()
    give_authenticator(persona)
    assert poison_every_free_text_field() > 10
    urls = pages_the_persona_may_see(objects)
    assert len(urls) > 30

    page = new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(f"{page.url}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    violations = watch_csp(page)
    sign_in(page, persona.username, PASSWORD)
    shown: list[str] = []
    for url in urls:
        # Calendar files and CSV exports are downloads, not pages.
        answer = page.request.get(url, max_redirects=0)
        if not answer.headers.get("content-type", "").startswith("text/html"):
            continue
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.evaluate(INJECTED) == {"images": 0, "handlers": 0, "scripts": 0}, url
        if page.evaluate(SHOWN_AS_TEXT, PAYLOAD):
            shown.append(url)

    chart = reverse("patients:patient-detail", kwargs={"code": objects["patient"].code})
    page.goto(chart)
    screenshot(page, "script-injection-poisoned-chart")
    assert dialogs == []
    assert violations == []
    # The payloads are on the pages, as text people can read.
    assert chart in shown
    assert len(shown) > len(urls) // 2
