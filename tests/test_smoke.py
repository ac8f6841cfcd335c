import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


def test_home_needs_login_then_shows_roles(client):
    assert client.get("/me/").status_code == 302
    user = UserFactory(roles=["window_clerk"])
    client.force_login(user)
    assert "综合窗口受理人员" in client.get("/me/").content.decode()
