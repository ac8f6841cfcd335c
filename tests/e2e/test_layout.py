"""In the browser: wide pages still fit the screens they are read on, and charts are readable.

The department head's worklist (a column of folded reassign/extend actions besides the task's facts) fits a
1366 px desktop in English without scrolling sideways, with every column readable (the assignee's name is not
squeezed to a letter a line). On the leaders' overview, each number of the stacked chart by bundle and status
sits inside its own segment, not at its end where it would read as part of the next one.

The world is the main flow of tests/pages/main_flow.py.
"""

import pytest
from django.conf import settings as django_settings

from tests.e2e.test_languages import open_as, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def flow(main_flow):
    """(world, {name: visit}) of the main flow."""
    return main_flow


@pytest.fixture
def head(flow):
    world, _visits = flow
    return world.head("planning")


# Widths of the page, of the worklist's table and of its section; for each column, the most lines that one
# word or number (a date, an application number) of its header or cells is broken into, data left out, and
# the most lines of the assignee's cells (a name squeezed to a letter a line counts its letters). Chinese
# text may wrap between any two characters.
MEASURE = """() => {
  const table = document.querySelector('#worklist-results table');
  const section = document.querySelector('#worklist-results');
  const linesOf = (node, start, end) => {
    const range = document.createRange();
    range.setStart(node, start);
    range.setEnd(node, end);
    return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size;
  };
  const words = (element) => {
    let most = 1;
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
      const node = walker.currentNode;
      if (node.parentElement.closest('[data-user-text]')) { continue; }
      const re = /[A-Za-z0-9.,()-]+/g;
      let match;
      while ((match = re.exec(node.textContent))) {
        most = Math.max(most, linesOf(node, match.index, match.index + match[0].length));
      }
    }
    return most;
  };
  const cell = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    return new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top))).size;
  };
  const heads = [...table.querySelectorAll('thead th')];
  const rows = [...table.querySelectorAll('tbody tr')];
  const columns = heads.map((th, i) => ({
    name: th.innerText, words: Math.max(words(th), ...rows.map(tr => words(tr.children[i]))),
  }));
  const assignees = [...table.querySelectorAll('tbody td.assignee')].map(cell);
  return {page: document.scrollingElement.scrollWidth, inner: window.innerWidth,
          table: table.getBoundingClientRect().right, section: section.getBoundingClientRect().right,
          columns, assignees};
}"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_heads_worklist_fits_a_desktop(browser, live_server, head, language):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    try:
        sign_in(page, head)
        cookie = {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}
        context.add_cookies([cookie])
        page.goto("/department/")
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator("tr.task-row details.row-actions").count() >= 1
        measured = page.evaluate(MEASURE)
        assert measured["page"] <= measured["inner"], measured
        assert measured["table"] <= measured["section"], measured
        # Words, dates and numbers stay whole, and the assignee's name fits on one line.
        broken = [column for column in measured["columns"] if column["words"] > 1]
        assert not broken, measured
        assert measured["assignees"] and max(measured["assignees"]) == 1, measured
        # Opened, a row's reassign and extend forms still fit.
        page.locator("tr.task-row details.row-actions summary").first.click()
        opened = page.evaluate(MEASURE)
        assert opened["page"] <= opened["inner"] and opened["table"] <= opened["section"], opened
    finally:
        context.close()


# The stacked chart as ECharts drew it: its bars' rectangles and its labels' boxes (from the renderer's display
# list, the one way to read a canvas), and the numbers of the table beneath it by bundle, in status order.
BUNDLE_CHART = """() => {
  const chart = echarts.getInstanceByDom(document.getElementById('chart-bundle'));
  const shown = chart.getZr().storage.getDisplayList(true);
  const bars = shown.filter(el => el.type === 'rect' && !el.transform && el.shape.width > 0)
    .map(el => ({x: el.shape.x, y: el.shape.y, width: el.shape.width, height: el.shape.height}));
  const texts = shown.filter(el => el.type === 'tspan' && el.transform).map(el => {
    const box = el.getBoundingRect();
    return {text: el.style.text, x: el.transform[4] + box.x, y: el.transform[5] + box.y,
            width: box.width, height: box.height};
  });
  const rows = [...document.querySelectorAll('#table-bundle tbody tr')].map(tr => ({
    name: tr.querySelector('th').innerText,
    counts: [...tr.querySelectorAll('td')].slice(0, -1).map(td => Number(td.innerText)),
  }));
  return {bars, texts, rows};
}"""


def test_the_stacked_chart_labels_sit_inside_their_own_segments(browser, live_server, flow):
    _world, visits = flow
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    try:
        visit = visits["leaders-overview"]
        sign_in(page, visit.user)
        open_as(page, live_server, visit)
        page.locator("#chart-bundle canvas").wait_for()
        drawn = page.evaluate(BUNDLE_CHART)
    finally:
        context.close()

    def middle(box):
        return box["y"] + box["height"] / 2

    checked = 0
    for row in drawn["rows"]:
        # The bundle's bar: its category label on the axis, and its segments left to right (status order).
        axis = next(t for t in drawn["texts"] if t["text"] == row["name"])
        segments = sorted(
            (b for b in drawn["bars"] if b["y"] <= middle(axis) <= b["y"] + b["height"]), key=lambda b: b["x"]
        )
        counts = [count for count in row["counts"] if count]
        assert len(segments) == len(counts), (row, segments)
        numbers = [t for t in drawn["texts"] if t["text"].isdigit() and abs(middle(t) - middle(axis)) < 2]
        for number in numbers:
            holders = [
                (i, b)
                for i, b in enumerate(segments)
                if b["x"] <= number["x"] and number["x"] + number["width"] <= b["x"] + b["width"]
            ]
            assert len(holders) == 1, ("a number outside its segment", number, segments)
            index, _segment = holders[0]
            assert int(number["text"]) == counts[index], ("a number in another's segment", number, counts)
            checked += 1
    assert checked >= 2, drawn
