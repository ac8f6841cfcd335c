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


def test_the_demo_is_served_as_a_newcomer_should_see_it():
    """`make demo` serves with DEBUG off (the platform's 404 and 500 pages, not Django's debug pages that list
    the URL patterns) and prints certificates' QR codes for the address it serves on, not a fixed port."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    demo_env = next(line for line in makefile.splitlines() if line.startswith("DEMO_ENV ="))
    assert "DEBUG=0" in demo_env and "SITE_URL=http://$(HOST):$(PORT)" in demo_env
    recipe = makefile.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "$(DEMO_ENV) $(BIN)/python manage.py runserver" in recipe
    assert "collectstatic" in recipe  # whitenoise serves the static files when DEBUG is off


def test_a_404_with_debug_off_is_the_platforms_page(client, settings, db):
    settings.DEBUG = False
    response = client.get("/portal/applications/999999/")
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "科学城项目服务平台" in page.content.decode()
    assert "URLconf" not in page.content.decode()
    assert response.status_code in (302, 404)
