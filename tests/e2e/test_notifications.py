"""In the browser, on a phone: the notifications page groups the unread ones by kind without scrolling
sideways, and a group's button marks that kind read and says how many."""

import datetime
import zoneinfo

import pytest

from sciencecity.notifications.models import Notification
from tests.e2e.conftest import artifact
from tests.e2e.test_languages import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LONG_TITLE = "审批任务已超期:SQ20261124000001 建设工程规划许可证核发(建筑类)" * 2


def test_grouped_notifications_fit_a_phone_and_a_kind_is_marked_read(browser, live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    reader = UserFactory(username="phone-reader")
    start = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
    Notification.objects.bulk_create(
        Notification(
            recipient=reader, kind=kind, title=LONG_TITLE, created_at=start + datetime.timedelta(minutes=n)
        )
        for n, kind in enumerate(["task_overdue"] * 7 + ["application_submitted"] * 4)
    )
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, reader)
        page.goto("/notifications/")
        assert page.locator("section.notification-section h2").all_inner_texts() == [
            "新办件待受理 4 条未读",
            "审批超期 7 条未读",
        ]
        width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], width
        page.screenshot(path=str(artifact("notifications-phone")), full_page=True)
        page.get_by_role("button", name="将“审批超期”全部标为已读").click()
        page.wait_for_load_state()
        assert "已将 7 条“审批超期”通知标为已读。" in page.locator(".messages").inner_text()
        assert page.locator("section.notification-section h2").all_inner_texts() == ["新办件待受理 4 条未读"]
    finally:
        context.close()
    assert Notification.objects.filter(recipient=reader, read_at__isnull=True).count() == 4
