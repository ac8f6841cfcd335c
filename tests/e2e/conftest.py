"""Browser tests: Playwright (Python) driving Debian's chromium against pytest-django's live server.

The tests fail, not skip, when chromium is missing, unless SKIP_E2E=1 is set explicitly: CI must never pass
without having run them. Screenshots of key pages go to test-artifacts/screenshots/ for a person to look at.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make between
# browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if os.environ.get("SKIP_E2E") == "1":
        pytest.skip("browser tests skipped on request (SKIP_E2E=1)")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.fail(f"chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def artifact(name: str) -> Path:
    """test-artifacts/screenshots/<db>-<name>.png; a run at a moment of its own (SCIENCECITY_TEST_NOW:
    scripts/test_dates.py runs three side by side) puts its date in the name, so that no two runs write one
    file at the same time."""
    from django.db import connection

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    moment = os.environ.get("SCIENCECITY_TEST_NOW", "")[:10]
    return ARTIFACTS / f"{'-'.join(filter(None, (connection.vendor, moment, name)))}.png"


@pytest.fixture
def screenshot(page):
    """screenshot("login") saves the current page as test-artifacts/screenshots/<db>-login.png."""

    def take(name: str) -> Path:
        path = artifact(name)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo_world(settings, tmp_path, time_machine):
    """The demo world of tests/approvals/conftest.py on its START_DAY, its files in a temporary folder, fast
    password hashing; a browser session ends with the browser (the server's clock is frozen, the browser's
    is not)."""
    from tests.approvals.conftest import START_DAY, at, load_demo_world

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    at(time_machine, START_DAY)
    return load_demo_world()


@pytest.fixture
def main_flow(demo_world):
    """(world, {name: visit}) of the main flow of tests/pages/main_flow.py, its applications made."""
    from tests.pages.main_flow import build_main_flow

    return demo_world, {visit.name: visit for visit in build_main_flow(demo_world)}
