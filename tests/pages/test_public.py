"""The public pages: home with the bundle guide, the guide page and its htmx fragment, and notifications."""

import datetime
import zoneinfo
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sciencecity.catalog.models import Bundle, CatalogVersion
from sciencecity.catalog.services import import_catalog
from sciencecity.notifications.models import Notification
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
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_notifications_are_scoped_newest_first_with_unread_marked(client, users):
    reader, other = users
    Notification.objects.create(recipient=reader, kind="test", title="较早的通知")
    Notification.objects.create(recipient=reader, kind="test", title="较新的通知")
    Notification.objects.create(recipient=other, kind="test", title="别人的通知")
    client.force_login(reader)
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "别人的通知" not in html
    assert html.index("较新的通知") < html.index("较早的通知")
    assert "2 条未读" in html
    assert 'class="unread"' in html


def test_notifications_are_paginated_keeping_the_filters(client, users):
    reader, _other = users
    Notification.objects.bulk_create(
        Notification(recipient=reader, kind="test", title=f"通知{n:02d}") for n in range(25)
    )
    client.force_login(reader)
    page = reverse("notifications:inbox")
    first = client.get(page, {"state": "all"}).content.decode()
    second = client.get(page, {"state": "all", "page": 2}).content.decode()
    assert first.count('<li class="unread">') == 20
    assert second.count('<li class="unread">') == 5
    assert "第 2 / 2 页" in second
    assert 'href="?state=all&amp;page=2"' in first  # the next page keeps the filter


def test_mark_all_read_marks_only_mine(client, users):
    reader, other = users
    Notification.objects.create(recipient=reader, kind="test", title="我的通知")
    Notification.objects.create(recipient=other, kind="test", title="别人的通知")
    client.force_login(reader)
    url = reverse("notifications:mark_all_read")
    assert client.get(url).status_code == 302  # a GET only leads back to the list (marks nothing)
    assert Notification.objects.filter(read_at__isnull=True).count() == 2
    response = client.post(url)
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=reader, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).exists()
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert "已将 1 条通知标为已读" in html
    assert "全部标为已读" not in html


# --- notifications grouped by kind, a kind marked read ------------------------------------------------------

BASE = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)


def notes(recipient, kind, count, *, start=0, read=False, **fields):
    """`count` notifications of `kind` to `recipient`, one minute apart from BASE + `start` minutes."""
    return Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            kind=kind,
            title=f"{kind}-{n}",
            created_at=BASE + datetime.timedelta(minutes=start + n),
            read_at=BASE + datetime.timedelta(days=1) if read else None,
            **fields,
        )
        for n in range(count)
    )


@pytest.fixture
def inbox(users):
    """The reader's: 5 unread overdue-task warnings, one read, 2 newer unread submissions, 1 older
    acceptance; the other user's: 4 overdue-task warnings."""
    reader, other = users
    notes(reader, "task_overdue", 5, start=10)
    notes(reader, "task_overdue", 1, start=0, read=True)
    notes(reader, "application_submitted", 2, start=100)
    notes(reader, "application_accepted", 1, start=1)
    notes(other, "task_overdue", 4, start=50)
    return reader, other


def test_unread_notifications_are_grouped_by_kind_newest_group_first(client, inbox):
    reader, _other = inbox
    client.force_login(reader)
    response = client.get(reverse("notifications:inbox"))
    html = response.content.decode()
    groups = response.context["groups"]
    assert [(group.kind, group.unread) for group in groups] == [
        ("application_submitted", 2),
        ("task_overdue", 5),
        ("application_accepted", 1),
    ]
    headings = [
        html.index(f'">{label} <span class="badge') for label in ("新办件待受理", "审批超期", "办件已受理")
    ]
    assert headings == sorted(headings)
    assert "8 条未读" in html and "5 条未读" in html
    # The newest three of a group, newest first, and a link to the whole kind.
    assert [note.title for note in groups[1].latest] == ["task_overdue-4", "task_overdue-3", "task_overdue-2"]
    assert "task_overdue-1" not in html and "task_overdue-0" not in html
    assert 'href="/notifications/?kind=task_overdue&amp;state=unread">查看全部 5 条</a>' in html
    assert "查看全部 2 条" not in html  # every one of that group is shown already
    # A "mark read" button per group (its own accessible name) and one for everything, each a POST with CSRF.
    assert html.count('name="kind" value="') == 3
    assert 'aria-label="将“审批超期”全部标为已读"' in html
    assert html.count("全部标为已读</button>") == 4
    assert html.count("csrfmiddlewaretoken") >= 4
    assert 'class="badge mandatory">未读</span>' in html


def test_filter_by_kind_and_read_state(client, inbox):
    reader, _other = inbox
    client.force_login(reader)
    page = reverse("notifications:inbox")
    unread = client.get(page, {"kind": "task_overdue", "state": "unread"})
    assert "groups" not in unread.context
    assert [note.title for note in unread.context["page"].object_list] == [
        f"task_overdue-{n}" for n in (4, 3, 2, 1, 0)
    ]
    assert "审批超期 · 未读" in unread.content.decode()
    read = client.get(page, {"kind": "task_overdue", "state": "read"})
    assert [note.read_at is not None for note in read.context["page"].object_list] == [True]
    every = client.get(page, {"state": "all"})
    assert len(every.context["page"].object_list) == 9  # the reader's only
    assert "· 办件已受理</p>" in every.content.decode()  # a list of every kind names each one's kind
    assert "· 审批超期</p>" not in unread.content.decode()
    # An unknown state is ignored; a kind the platform does not name is still a filter, under "other".
    assert "groups" in client.get(page, {"state": "bogus"}).context
    notes(reader, "legacy-kind", 1)
    legacy = client.get(page, {"kind": "legacy-kind"})
    assert [note.kind for note in legacy.context["page"].object_list] == ["legacy-kind"]
    assert "其他通知" in legacy.content.decode()


def test_with_nothing_unread_the_page_lists_everything(client, users):
    reader, _other = users
    notes(reader, "task_overdue", 2, read=True)
    client.force_login(reader)
    response = client.get(reverse("notifications:inbox"))
    assert len(response.context["page"].object_list) == 2
    html = client.get(reverse("notifications:inbox"), {"state": "unread"}).content.decode()
    assert "没有未读通知。" in html and "全部标为已读" not in html


def test_marking_a_kind_read_touches_only_that_kind_of_that_reader(client, inbox):
    reader, other = inbox
    client.force_login(reader)
    url = reverse("notifications:mark_all_read")
    back = reverse("notifications:inbox") + "?kind=task_overdue&state=unread"
    response = client.post(url, {"kind": "task_overdue", "next": back})
    assert (response.status_code, response.url) == (302, back)
    mine = Notification.objects.filter(recipient=reader, read_at__isnull=True)
    assert sorted(mine.values_list("kind", flat=True)) == [
        "application_accepted",
        "application_submitted",
        "application_submitted",
    ]
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 4
    html = client.get(back).content.decode()
    assert "已将 5 条“审批超期”通知标为已读。" in html
    # Again: nothing left to mark; an unknown kind is refused with a message, and nothing changes.
    client.post(url, {"kind": "task_overdue"})
    response = client.post(url, {"kind": "no-such-kind"}, follow=True)
    assert "没有“no-such-kind”这种通知。" in response.content.decode()
    assert mine.count() == 3
    # The way back is the notifications page only, never another address.
    assert client.post(url, {"kind": "application_accepted", "next": "https://evil.example/"}).url == (
        reverse("notifications:inbox")
    )


def test_the_notifications_page_costs_the_same_for_many_notifications(
    client, users, django_assert_max_num_queries
):
    reader, _other = users
    client.force_login(reader)
    page = reverse("notifications:inbox")
    notes(reader, "task_overdue", 1)
    client.get(page)  # warm up the session and permission caches
    queries = {}
    for params in ({}, {"kind": "task_overdue", "state": "unread"}, {"state": "all"}):
        with CaptureQueriesContext(connection) as few:
            assert client.get(page, params).status_code == 200
        queries[str(params)] = len(few)
    for n, kind in enumerate(["task_overdue", "task_due_soon", "application_submitted", "gap_supplied", "x"]):
        notes(reader, kind, 30, start=100 * n)
        notes(reader, kind, 5, start=100 * n + 50, read=True)
    for params in ({}, {"kind": "task_overdue", "state": "unread"}, {"state": "all"}):
        with django_assert_max_num_queries(queries[str(params)]):
            assert client.get(page, params).status_code == 200


def test_the_workbench_card_counts_the_unread_and_names_the_biggest_kinds(client, inbox):
    reader, _other = inbox
    notes(reader, "delivered", 1, start=300)
    client.force_login(reader)
    response = client.get(reverse("home"))
    area = next(area for area in response.context["areas"] if area["title"] == "通知")
    page = reverse("notifications:inbox")
    assert [(count["label"], count["number"], count["url"]) for count in area["counts"]] == [
        ("未读", 9, page),
        ("审批超期", 5, f"{page}?kind=task_overdue&state=unread"),
        ("新办件待受理", 2, f"{page}?kind=application_submitted&state=unread"),
        ("办件已受理", 1, f"{page}?kind=application_accepted&state=unread"),
    ]
    assert 'href="/notifications/?kind=task_overdue&amp;state=unread"' in response.content.decode()


def test_nav_links_to_notifications_when_signed_in(client, users):
    client.force_login(users[0])
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert f'href="{reverse("notifications:inbox")}"' in html


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

    from sciencecity.notifications.context_processors import unread_notifications

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
