import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def test_login_in_chinese_then_switch_to_english_and_log_out(page, screenshot):
    UserFactory(username="clerk", display_name="王窗口", roles=["window_clerk"])
    page.goto("/me/")
    assert "/login/" in page.url
    assert page.get_by_role("heading", name="登录").is_visible()
    screenshot("login")

    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    assert page.get_by_role("alert").inner_text().startswith("用户名或密码不正确")

    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="您好,王窗口").wait_for()
    assert "综合窗口受理人员" in page.content()
    screenshot("home")

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Hello, 王窗口").wait_for()
    assert "Window clerk" in page.content()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
