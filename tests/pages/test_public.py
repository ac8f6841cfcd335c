"""The public pages: home with the bundle guide, the guide page and its htmx fragment, and notifications."""

import datetime
import zoneinfo
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import reverse

from sciencecity.approvals.models import Notification
from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.catalog.services import import_catalog
from tests.factories import DepartmentFactory, UserFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).resolve().parents[2] / "sciencecity" / "demo" / "data"
CATALOG = (DATA / "catalog.yaml").read_text(encoding="utf-8")

GUIDE = "approvals:bundle_guide"
RESULT = "approvals:bundle_guide_result"


@pytest.fixture
def catalog(db, time_machine, settings):
    """The demo departments and the demo catalog, published and in force (frozen on 2026-06-01)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime.datetime(2026, 6, 1, 10, tzinfo=SHANGHAI), tick=False)
    for row in yaml.safe_load((DATA / "departments.yaml").read_text(encoding="utf-8")):
        DepartmentFactory(**row)
    return import_catalog(CATALOG, publish=True)


def guide_url(code="start-construction", name=GUIDE):
    return reverse(name, args=[code])


# --- home ---------------------------------------------------------------------------------------------------


def test_home_lists_the_bundles_in_force_for_anonymous_visitors(client, catalog):
    response = client.get(reverse("approvals:public_home"))
    assert response.status_code == 200
    html = response.content.decode()
    for bundle in Bundle.objects.filter(version=catalog):
        assert bundle.name in html
        assert bundle.lead_department.name in html
        assert guide_url(bundle.code) in html
    start = Bundle.objects.get(version=catalog, code="start-construction")
    assert f"{start.promised_limit_days} 个工作日" in html
    assert f"{start.bundle_items.count()} 项" in html


def test_drafts_are_not_shown(client, catalog):
    draft_text = CATALOG.replace("name: 开工一件事", "name: 草稿里的开工一件事").replace(
        "code: joint-acceptance", "code: draft-only-bundle"
    )
    draft = import_catalog(draft_text, valid_from=datetime.date(2026, 1, 1))
    assert draft.status == CatalogVersion.Status.DRAFT

    html = client.get(reverse("approvals:public_home")).content.decode()
    assert "草稿里的开工一件事" not in html
    assert "draft-only-bundle" not in html
    assert client.get(guide_url("draft-only-bundle")).status_code == 404
    assert "草稿里的开工一件事" not in client.get(guide_url()).content.decode()


def test_home_without_a_catalog_in_force_says_so(client, db):
    response = client.get(reverse("approvals:public_home"))
    assert response.status_code == 200
    assert "当前没有生效的事项目录" in response.content.decode()


# --- the guide ----------------------------------------------------------------------------------------------


def test_guide_shows_every_question_with_labelled_inputs(client, catalog):
    response = client.get(guide_url())
    assert response.status_code == 200
    html = response.content.decode()
    bundle = Bundle.objects.get(version=catalog, code="start-construction")
    for question in bundle.questions.all():
        assert question.text in html
        if question.help_text:
            assert question.help_text in html
        kind = "checkbox" if question.kind == "multiple" else "radio"
        for n, value in enumerate(question.allowed_values(), start=1):
            input_id = f"q-{question.code}-{n}"
            assert f'<label class="option" for="{input_id}">' in html
            assert f'type="{kind}" name="{question.code}" value="{value}" id="{input_id}"' in html
    # htmx asks the fragment on change; without JavaScript the submit button does a plain GET.
    assert f'hx-get="{guide_url(name=RESULT)}"' in html
    assert 'hx-trigger="change"' in html
    assert f'method="get" action="{guide_url()}"' in html
    assert 'type="submit"' in html
    assert "vendor/htmx/htmx.min.js" in html


def test_unanswered_guide_shows_the_mandatory_items_only(client, catalog):
    html = client.get(guide_url()).content.decode()
    assert "建设工程规划许可" in html
    assert "结合民用建筑修建防空地下室审批" not in html


def test_answering_new_civil_building_adds_civil_defense_and_its_materials(client, catalog):
    before = client.get(guide_url()).content.decode()
    assert 'id="material-civil-defense-area-calculation"' not in before

    response = client.get(guide_url(), {"new_civil_building": "yes"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "结合民用建筑修建防空地下室审批" in html
    assert "按情形选办" in html
    assert 'id="material-civil-defense-area-calculation"' in html
    # The answer stays checked, and the item's limits and department are shown.
    assert 'value="yes" id="q-new_civil_building-1" checked' in html
    assert "10 个工作日" in html and "20 个工作日" in html


def test_checklist_names_each_material_once_with_the_items_needing_it(client, catalog):
    html = client.get(guide_url(), {"new_civil_building": "yes"}).content.decode()
    # site-plan is needed by several selected items but listed once.
    assert html.count('id="material-site-plan"') == 1
    assert "必交" in html
    assert "单个文件不超过" in html
    # Data the platform holds is named by its source for an anonymous visitor.
    assert "平台已有数据可免提交" in html


def test_multiple_choice_answers(client, catalog):
    html = client.get(guide_url(), {"site_works": ["waste", "sewage"]}).content.decode()
    assert 'value="waste" id="q-site_works-1" checked' in html
    assert 'value="sewage" id="q-site_works-2" checked' in html
    bundle = Bundle.objects.get(version=catalog, code="start-construction")
    for code in ("construction-waste-disposal", "sewage-discharge-permit"):
        assert bundle.items.get(code=code).name in html
    assert bundle.items.get(code="soil-water-conservation").name not in html


def test_htmx_fragment_is_only_the_result(client, catalog):
    response = client.get(
        guide_url(name=RESULT), {"new_civil_building": "yes"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "结合民用建筑修建防空地下室审批" in html
    assert "<html" not in html and "<form" not in html and "site-header" not in html
    assert response["HX-Replace-Url"] == guide_url() + "?new_civil_building=yes"


def test_invalid_answers_show_errors_not_a_500(client, catalog):
    response = client.get(
        guide_url(), {"new_civil_building": "maybe", "site_works": ["lava"], "occupy_road": "yes"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "不是情形问题" in html
    assert 'class="question invalid" id="q-new_civil_building"' in html
    assert 'class="question invalid" id="q-site_works"' in html
    # The valid answer still selects its items.
    bundle = Bundle.objects.get(version=catalog, code="start-construction")
    assert bundle.items.get(code="road-occupation-excavation").name in html

    fragment = client.get(guide_url(name=RESULT), {"new_civil_building": "maybe"})
    assert fragment.status_code == 200
    assert "不是情形问题" in fragment.content.decode()


def test_unknown_bundle_is_404(client, catalog):
    assert client.get(guide_url("no-such-bundle")).status_code == 404
    assert client.get(guide_url("no-such-bundle", name=RESULT)).status_code == 404


# --- notifications ------------------------------------------------------------------------------------------


@pytest.fixture
def users(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return UserFactory(username="reader"), UserFactory(username="someone-else")


def test_notifications_need_login(client, users):
    response = client.get(reverse("approvals:notifications"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_notifications_are_scoped_newest_first_with_unread_marked(client, users):
    reader, other = users
    Notification.objects.create(recipient=reader, kind="test", title="较早的通知")
    Notification.objects.create(recipient=reader, kind="test", title="较新的通知")
    Notification.objects.create(recipient=other, kind="test", title="别人的通知")
    client.force_login(reader)
    response = client.get(reverse("approvals:notifications"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "别人的通知" not in html
    assert html.index("较新的通知") < html.index("较早的通知")
    assert "2 条未读" in html
    assert 'class="unread"' in html


def test_notifications_are_paginated(client, users):
    reader, _other = users
    Notification.objects.bulk_create(
        Notification(recipient=reader, kind="test", title=f"通知{n:02d}") for n in range(25)
    )
    client.force_login(reader)
    first = client.get(reverse("approvals:notifications")).content.decode()
    second = client.get(reverse("approvals:notifications"), {"page": 2}).content.decode()
    assert first.count('<li class="unread">') == 20
    assert second.count('<li class="unread">') == 5
    assert "第 2 / 2 页" in second


def test_mark_all_read_marks_only_mine(client, users):
    reader, other = users
    Notification.objects.create(recipient=reader, kind="test", title="我的通知")
    Notification.objects.create(recipient=other, kind="test", title="别人的通知")
    client.force_login(reader)
    url = reverse("approvals:notifications_mark_all_read")
    assert client.get(url).status_code == 302  # a GET only leads back to the list (marks nothing)
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    response = client.post(url)
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=reader, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).exists()
    html = client.get(reverse("approvals:notifications")).content.decode()
    assert "已将 1 条通知标为已读" in html
    assert "全部标为已读" not in html


def test_nav_links_to_notifications_when_signed_in(client, users):
    client.force_login(users[0])
    html = client.get(reverse("approvals:notifications")).content.decode()
    assert f'href="{reverse("approvals:notifications")}"' in html


# --- the vendored htmx ----------------------------------------------------------------------------------------


def test_htmx_is_vendored_and_found_by_the_static_finders():
    found = finders.find("vendor/htmx/htmx.min.js")
    assert found, "static/vendor/htmx/htmx.min.js is missing"
    text = Path(found).read_text(encoding="utf-8")
    assert text.startswith("var htmx=")
    version = Path(found).with_name("VERSION").read_text(encoding="utf-8")
    assert "2.0." in version and "0BSD" in version


def test_unread_count_context_processor(rf, users):
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template

    from sciencecity.approvals.context_processors import unread_notifications

    reader, other = users
    Notification.objects.create(recipient=reader, kind="test", title="一")
    Notification.objects.create(recipient=reader, kind="test", title="二", read_at="2026-01-01T00:00Z")
    Notification.objects.create(recipient=other, kind="test", title="三")
    request = rf.get("/")
    request.user = reader
    template = Template("{% if unread_notifications %}[{{ unread_notifications }}]{% endif %}")
    assert template.render(Context(unread_notifications(request))) == "[1]"
    request.user = AnonymousUser()
    assert template.render(Context(unread_notifications(request))) == ""


def test_checklist_says_which_certificates_the_bundle_itself_produces(client, catalog):
    html = client.get(guide_url(), {"new_civil_building": "yes"}).content.decode()
    # The civil-defense item needs the engineering planning permit that this same bundle issues.
    assert "由本次办理的“建设工程规划许可证核发”出具,无需提交" in html
    assert "已在平台取得的证照由平台直接调取" in html
