"""In the browser: every page of the main flow (each audience's), the admin and the error pages keep the
Content-Security-Policy — no script or style of theirs is refused — and what JavaScript does after loading
(htmx swapping a list, the charts drawing and their tooltips) keeps it too.

Chromium reports each refusal as a `securitypolicyviolation` event; a listener added before any script of the
page runs collects them. A page that put back an inline <style>, a style="" attribute or an inline script
would fail here (see test_an_inline_style_would_be_caught)."""

import pytest
from playwright.sync_api import expect

from sciencecity.audit.models import AuditEvent
from tests.e2e.test_languages import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

COLLECT = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__violations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline') + ' @' + event.lineNumber);
});
"""


@pytest.fixture
def flow(main_flow):
    world, visits = main_flow
    return world, list(visits.values())


def violations(page) -> list[str]:
    return page.evaluate("window.__violations")


def test_every_page_of_the_flow_keeps_the_policy(page, flow):
    _world, visits = flow
    page.add_init_script(COLLECT)
    found, user = {}, object()
    for visit in visits:
        if visit.user is not user:
            sign_in(page, visit.user)
            user = visit.user
        response = page.goto(visit.url)
        assert "script-src 'self'" in response.headers["content-security-policy"], visit.name
        page.wait_for_load_state("networkidle")
        if visit.name == "leaders-overview":
            chart = page.locator("#chart-departments canvas").first
            expect(chart).to_be_visible()
            box = chart.bounding_box()
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(300)
        if violations(page):
            found[visit.name] = violations(page)
    assert not found, found


def test_htmx_swaps_keep_the_policy(page, flow):
    """A filter swaps the worklist's rows in (htmx adds its indicator class while it loads: its rules are in
    site.css, its own inline <style> is off)."""
    world, visits = flow
    worklist = next(visit for visit in visits if visit.name == "department-worklist")
    page.add_init_script(COLLECT)
    sign_in(page, worklist.user)
    page.goto(worklist.url)
    rows = page.locator("tr.task-row")
    expect(rows).to_have_count(2)
    page.locator("#filter_status").select_option("supplement")
    expect(rows).to_have_count(1)
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert not violations(page), violations(page)


def test_the_admin_keeps_the_policy(page, flow):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    AuditEvent.objects.exists() or pytest.fail("the flow writes audit events")
    event = AuditEvent.objects.exclude(after=None).first()
    page.add_init_script(COLLECT)
    sign_in(page, admin)
    for url in ("/admin/", "/admin/audit/auditevent/", f"/admin/audit/auditevent/{event.pk}/change/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert not violations(page), (url, violations(page))


def test_an_inline_style_would_be_caught(page, flow):
    page.add_init_script(COLLECT)
    page.goto("/login/")
    page.evaluate("""() => {
      const style = document.createElement('style');
      style.textContent = 'body { color: red; }';
      document.head.appendChild(style);
    }""")
    page.wait_for_timeout(100)
    assert any("style-src" in v for v in violations(page))


@pytest.mark.parametrize(("url", "ready"), [("/api/v1/docs/", ".swagger-ui .info"), ("/api/v1/redoc/", "h1")])
def test_the_api_docs_run_their_scripts_under_the_policy(page, url, ready, flow):
    """The docs are allowed inline styles (third-party UIs), never inline scripts: they still draw."""
    page.add_init_script(COLLECT)
    page.goto(url)
    # They draw once they have fetched the schema, which the server generates per request: seconds on a busy
    # machine (the workers of a parallel run share the CPUs), past expect's default of 5 s.
    expect(page.locator(ready).first).to_be_visible(timeout=30_000)
    assert not [v for v in violations(page) if v.startswith("script-src")], violations(page)
