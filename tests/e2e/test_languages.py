"""In the browser: the key pages of the main flow (tests/pages/main_flow.py) show no English word in Chinese
mode and no Chinese in English mode, read as the browser renders them (innerText, so CSS-generated text and
hidden elements count as a person sees them); data people entered is marked `data-user-text` and left out.

Then the layout: the portal at a phone's width (390×844), in Chinese and in English, never scrolls sideways
and nothing on it runs past the screen's edge, and the leaders' ECharts charts are drawn at desktop size.
"""

import pytest
from django.conf import settings as django_settings

from tests.pages.test_languages import without_pending
from tests.pages.visible_text import chinese_runs, english_words

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"
# The visible text of the page, less elements marked as data and those in a language of their own.
READ = """() => {
  const skipped = document.querySelectorAll('[data-user-text], [lang]:not(html)');
  skipped.forEach(el => el.setAttribute('data-was-display', el.style.display));
  skipped.forEach(el => el.style.display = 'none');
  const labels = [...document.querySelectorAll('[aria-label], [title], [placeholder], img[alt]')]
    .filter(el => !el.closest('[data-user-text], [lang]:not(html)'))
    .map(el => [el.getAttribute('aria-label'), el.getAttribute('title'), el.getAttribute('placeholder'),
                el.getAttribute('alt')].filter(Boolean).join(' '));
  const text = document.title + ' ' + document.body.innerText + ' ' + labels.join(' ');
  skipped.forEach(el => el.style.display = el.getAttribute('data-was-display'));
  return text;
}"""


@pytest.fixture
def visits(main_flow):
    return main_flow[1]


def sign_in(page, user):
    # Leave the previous page first: a request it still has in flight (an image, a fetch) could answer after
    # the cookies are cleared and set a new CSRF cookie under the login form's token.
    page.goto("about:blank")
    page.context.clear_cookies()
    if user is None:
        return
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    page.goto("/login/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def open_as(page, live_server, visit, language="zh-hans"):
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    response = page.goto(visit.url)
    assert response.ok, (visit.name, response.status)


def read_all(page, live_server, visits, language) -> dict[str, str]:
    texts, user = {}, object()
    for visit in visits.values():
        if visit.user is not user:
            sign_in(page, visit.user)
            user = visit.user
        open_as(page, live_server, visit, language)
        assert page.locator("html").get_attribute("lang") == language, visit.name
        texts[visit.name] = page.evaluate(READ)
    return texts


def test_no_english_in_chinese_mode_and_no_chinese_in_english_mode(page, live_server, visits, screenshot):
    english = {}
    for name, text in read_all(page, live_server, visits, "zh-hans").items():
        if words := english_words(text):
            english[name] = sorted(set(words))
    chinese = {}
    for name, text in read_all(page, live_server, visits, "en").items():
        if runs := chinese_runs(without_pending(text)):
            chinese[name] = runs
    screenshot("languages-leaders-application-en")
    assert not english, f"English words in Chinese mode: {english}"
    assert not chinese, f"Chinese in English mode: {chinese}"


# Each element wider than the screen, or whose right edge is past it (a details list whose long English labels
# push its values off the screen), with its text: what a person cannot read without scrolling sideways.
PAST_THE_EDGE = """() => [...document.querySelectorAll('main *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5 && el.getClientRects().length)
  .filter(el => !el.closest('.table-wrap'))
  .map(el => el.tagName.toLowerCase() + ': ' + (el.innerText || '').slice(0, 40))"""


@pytest.mark.parametrize(
    "name,language",
    [
        ("portal-home", "zh-hans"),
        ("portal-wizard", "zh-hans"),
        ("portal-progress-gap", "zh-hans"),
        ("portal-project", "zh-hans"),
        # English labels are longer: the details lists (<dl>) of these pages once ran off the screen.
        ("portal-home", "en"),
        ("portal-project", "en"),
        ("portal-progress-gap", "en"),
        ("portal-correction", "en"),
        # Leaders read the overview on their phones too; its tables scroll in their frames.
        ("leaders-overview", "en"),
    ],
)
def test_the_portal_fits_a_phone(browser, live_server, visits, name, language):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    try:
        sign_in(page, visits[name].user)
        open_as(page, live_server, visits[name], language)
        width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
        assert inner == 390 and width <= inner, (name, width)
        # Tables may scroll inside their own frame (.table-wrap); nothing else runs past the screen's edge.
        assert not page.evaluate(PAST_THE_EDGE), (name, page.evaluate(PAST_THE_EDGE))
    finally:
        context.close()


def test_the_leaders_charts_are_drawn(page, live_server, visits, screenshot):
    visit = visits["leaders-overview"]
    sign_in(page, visit.user)
    open_as(page, live_server, visit)
    charts = page.locator("div.chart")
    assert charts.count() >= 2
    for index in range(charts.count()):
        canvas = charts.nth(index).locator("canvas").first
        canvas.wait_for()
        box = canvas.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, (index, box)
    screenshot("leaders-overview-charts")
