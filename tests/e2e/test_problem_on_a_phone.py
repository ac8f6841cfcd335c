"""In the browser, on a 390 px phone screen: a citizen reports a problem with a photo from the camera input
and the browser's position ("使用我的位置", geolocation granted to the page), gets a follow-up code, and the
problem goes through dispatch, acceptance, rectification with evidence and verification to closed — each step
taken on the pages by the person whose step it is; the follow-up page shows it closed."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from sciencecity.problems.models import Problem
from tests.e2e.test_languages import sign_in
from tests.problems.conftest import zone  # noqa: F401  (the fixture: departments, categories, people)

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(out, format="JPEG")
    return out.getvalue()


def signed_in(page, user):
    """Sign in and wait until the login has landed: the next `goto` must not race the login's POST."""
    sign_in(page, user)
    page.wait_for_url(lambda url: "/login/" not in url)


def phone_page(browser, live_server, latitude, longitude):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        geolocation={"latitude": latitude, "longitude": longitude},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def test_report_on_a_phone_and_follow_it_to_closed(browser, live_server, zone):  # noqa: F811
    latitude, longitude = zone.inside
    page = phone_page(browser, live_server, latitude, longitude)
    page.goto("/problems/report/")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("问题类别").select_option(str(zone.river.pk))
    page.get_by_label("标题").fill("河面漂浮垃圾")
    page.get_by_label("问题描述").fill("梁滩河桥下河面大量漂浮垃圾,有异味。")
    page.locator('input[type=file][name="photos"]').set_input_files(
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    page.get_by_role("button", name="使用我的位置").click()
    expect(page.locator("#report-latitude")).to_have_value(f"{latitude:.6f}")
    expect(page.locator("[data-zone-area]")).not_to_be_empty()
    page.get_by_label("联系电话").fill("13800000000")
    page.get_by_role("button", name="提交").click()
    code = page.locator("#follow-code").inner_text()
    problem = Problem.objects.get(follow_up_code=code)
    assert problem.status == Problem.Status.DISPATCHED and problem.photos.count() == 1
    assert problem.area == zone.first

    staff_page = phone_page(browser, live_server, latitude, longitude)
    signed_in(staff_page, zone.env_reviewer)
    staff_page.goto(f"/problems/{problem.pk}/")
    staff_page.locator("#act-accept").get_by_role("button", name="签收").click()
    expect(staff_page.locator("#problem-status")).to_have_text("整改中")
    rectify = staff_page.locator("#act-rectify")
    rectify.get_by_label("说明").fill("已安排保洁船打捞,河面已清理干净。")
    rectify.locator("input[type=file]").set_input_files(
        files=[{"name": "after.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}]
    )
    rectify.get_by_role("button", name="整改完成").click()
    expect(staff_page.locator("#problem-status")).to_have_text("待核查")

    signed_in(staff_page, zone.inspector)
    staff_page.goto(f"/problems/{problem.pk}/")
    verify = staff_page.locator("#act-verify")
    verify.get_by_label("整改到位,通过").check()
    verify.get_by_role("button", name="核查", exact=True).click()
    expect(staff_page.locator("#problem-status")).to_have_text("已办结")

    page.goto(f"/problems/follow/?code={code}")
    expect(page.locator("#follow-status")).to_have_text("已办结")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
