"""In the browser, on a 390 px phone screen: the devolved powers' list fits the screen, its filter narrows the
rows in place (htmx), a power's page and the leaders' summary fit too; a leader sees the usage figures."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from sciencecity.catalog.powers import services
from tests.e2e.test_languages import sign_in
from tests.factories import staff

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_power_list_on_a_phone(browser, live_server, demo_world):
    planning = demo_world.departments["planning"]
    common = {
        "law": "中华人民共和国城乡规划法",
        "original_authority": "重庆市规划和自然资源局",
        "decision_number": "渝府发〔2021〕5号",
        "decision_title": "重庆市人民政府关于向西部(重庆)科学城下放市级行政权力事项的决定",
        "devolved_on": datetime.date(2021, 3, 26),
        "department": planning,
    }
    permit = services.save_power(
        None,
        item_codes=["engineering-planning-permit"],
        code="XK-001",
        position=1,
        name="建设工程规划许可证核发",
        kind="license",
        article="第四十条",
        **common,
    )
    services.save_power(
        None,
        code="CF-001",
        position=2,
        name="对未取得建设工程规划许可证或者未按照建设工程规划许可证的规定进行建设的行政处罚",
        kind="penalty",
        article="第六十四条",
        **common,
    )
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/powers/")
    expect(page.locator("#powers tbody tr")).to_have_count(2)
    assert fits(page)
    page.get_by_label("权力类型").select_option("penalty")
    expect(page.locator("#powers tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"kind=penalty"))
    assert fits(page)
    page.goto(f"/powers/{permit.pk}/")
    expect(page.locator("#power-items")).to_contain_text("engineering-planning-permit")
    assert fits(page)

    sign_in(page, staff("leader", username="leader-phone"))
    page.goto("/powers/")
    expect(page.locator("#powers thead")).to_contain_text("中位用时")
    assert fits(page)
    page.goto("/powers/summary/")
    expect(page.locator("#power-totals")).to_contain_text("2")
    assert fits(page)
    context.close()
