"""Notifications about any object: a subject of a model the notifications app does not know (an enterprise, a
user), the registry of links each app contributes, the approvals subjects read per role, and the inbox's
fixed cost whatever the number of notifications and subjects."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from sciencecity.approvals.models import Application, ReviewTask
from sciencecity.enterprises.models import Enterprise
from sciencecity.notifications import services
from sciencecity.notifications.models import Notification
from sciencecity.notifications.subjects import Link, link_all
from tests.approvals.conftest import START_MINIMAL, accepted, draft
from tests.factories import EnterpriseFactory, UserFactory, applicant_of, staff

pytestmark = pytest.mark.django_db


def compose():
    return ("企业信息已更新", "")


def enterprise_links(user, enterprises):
    """A resolver as an app would register it: one link per enterprise, only for the enterprise's own people."""
    return {
        enterprise.pk: Link(f"/enterprise/{enterprise.pk}/", f"查看 {enterprise.name}")
        for enterprise in enterprises
        if user.enterprise_id == enterprise.pk
    }


def test_a_notification_about_an_object_of_any_model(registered_subjects):
    enterprise, other = EnterpriseFactory(), EnterpriseFactory()
    reader = applicant_of(enterprise)
    (note,) = services.notify([reader], "enterprise_updated", compose, about=enterprise)
    services.notify([reader], "enterprise_updated", compose, about=other)
    services.notify([reader], "platform_news", compose)  # about nothing in particular

    note = Notification.objects.get(pk=note.pk)
    assert note.about == enterprise
    assert list(Notification.objects.about(enterprise)) == [note]
    assert Notification.objects.about_any(Enterprise, [enterprise.pk, other.pk]).count() == 2
    assert Notification.objects.about_model(Enterprise).count() == 2
    assert Notification.objects.filter(about_type__isnull=True).count() == 1
    assert note.kind_label == "其他通知"  # no app registered this kind

    rows = list(Notification.objects.for_user(reader).order_by("pk"))
    link_all(reader, rows)
    assert [row.link for row in rows] == [None, None, None]  # no resolver for enterprises yet

    registered_subjects.register(Enterprise, links=enterprise_links)
    rows = list(Notification.objects.for_user(reader).order_by("pk"))
    link_all(reader, rows)
    assert [row.link for row in rows] == [
        Link(f"/enterprise/{enterprise.pk}/", f"查看 {enterprise.name}"),
        None,  # another enterprise: the resolver gives this reader no page
        None,  # no subject
    ]


def test_the_inbox_shows_the_registered_link_of_any_subject(client, registered_subjects):
    enterprise = EnterpriseFactory(name="重庆星河材料有限公司")
    reader = applicant_of(enterprise)
    services.notify([reader], "enterprise_updated", compose, about=enterprise)
    registered_subjects.register(Enterprise, links=enterprise_links)
    client.force_login(reader)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert f'<a href="/enterprise/{enterprise.pk}/">查看 重庆星河材料有限公司</a>' in html


def test_a_subject_without_registration_and_a_user_as_subject(registered_subjects):
    reader, colleague = UserFactory(), UserFactory()
    (note,) = services.notify([reader], "colleague_joined", compose, about=colleague)
    note = Notification.objects.get(pk=note.pk)
    assert note.about == colleague
    link_all(reader, [note])
    assert note.link is None

    user_model = type(colleague)
    registered_subjects.register(
        user_model,
        links=lambda user, people: {
            person.pk: Link(f"/people/{person.pk}/", str(person)) for person in people
        },
    )
    link_all(reader, [note])
    assert note.link == Link(f"/people/{colleague.pk}/", str(colleague))


def test_a_deduplicated_notification_keeps_its_subject():
    enterprise = EnterpriseFactory()
    reader = applicant_of(enterprise)
    (first,) = services.notify([reader], "enterprise_updated", compose, about=enterprise, dedupe_key="k")
    assert services.notify([reader], "enterprise_updated", compose, about=enterprise, dedupe_key="k") == []
    assert Notification.objects.get(pk=first.pk).about == enterprise


def test_deleting_a_subject_deletes_the_notifications_about_it(world):
    application = draft(world, "start-construction", START_MINIMAL)
    kept = services.notify([world.applicant], "test", compose, about=world.enterprise)
    services.notify([world.applicant, world.clerk], "test", compose, about=application)
    assert application.notifications.count() == 2
    assert Notification.objects.filter(application=application).count() == 2  # the related query name
    Application.objects.filter(pk=application.pk).delete()
    assert list(Notification.objects.all()) == kept


# --- the approvals subjects, per role ----------------------------------------------------------------------


@pytest.fixture
def released(world):
    """An accepted application, its tasks released: notifications about the application and about tasks."""
    application = accepted(world, "start-construction", START_MINIMAL)
    tasks = list(
        ReviewTask.objects.filter(application=application).select_related("department").order_by("pk")
    )
    assert len({task.department_id for task in tasks}) > 1
    return application, tasks


def links_for(user, application, task):
    """The links `user` gets for a notification about the application and one about the task."""
    notes = [
        *services.notify([user], "test", compose, about=application),
        *services.notify([user], "test", compose, about=task),
    ]
    rows = list(Notification.objects.filter(pk__in=[note.pk for note in notes]).order_by("pk"))
    link_all(user, rows)
    return [row.link.url if row.link else None for row in rows]


def test_each_role_is_led_to_its_own_page_of_the_application(world, released):
    application, tasks = released
    task, other_task = tasks[0], tasks[-1]
    words = f"查看办件 {application.number}"

    assert (
        links_for(world.applicant, application, task)
        == [reverse("approvals:portal_application", args=[application.pk])] * 2
    )
    assert (
        links_for(world.clerk, application, task)
        == [reverse("approvals:window_intake", args=[application.pk])] * 2
    )
    reviewer = world.reviewer(other_task.department.code)
    own_first = min(t.pk for t in tasks if t.department_id == other_task.department_id)
    assert links_for(reviewer, application, task) == [
        reverse("approvals:department_task", args=[own_first]),  # the application: their department's task
        reverse("approvals:department_task", args=[own_first]),  # another department's task: theirs instead
    ]
    assert links_for(reviewer, application, other_task)[1] == reverse(
        "approvals:department_task", args=[other_task.pk]
    )
    leader = staff("leader")
    assert (
        links_for(leader, application, task)
        == [reverse("approvals:leaders_application", args=[application.pk])] * 2
    )
    stranger = applicant_of(EnterpriseFactory())
    assert links_for(stranger, application, task) == [None, None]

    (note,) = services.notify([world.applicant], "test", compose, about=task)
    link_all(world.applicant, [note])
    assert note.link.text == words


def test_an_anonymous_reader_gets_no_link(world, released):
    application, _tasks = released
    notes = list(Notification.objects.about(application))
    link_all(AnonymousUser(), notes)
    assert notes and all(note.link is None for note in notes)


# --- the cost of the inbox -------------------------------------------------------------------------------


def inbox_of(world, released, count):
    """`count` notifications to the reviewer of the first task, alternately about the application and tasks."""
    application, tasks = released
    reviewer = world.reviewer(tasks[0].department.code)
    for n in range(count):
        subject = application if n % 2 else tasks[n % len(tasks)]
        services.notify([reviewer], "task_overdue", compose, about=subject)
    return reviewer


# The session and the user, their permissions and roles (3), the unread counts per kind, the newest of each
# kind or the page (and its count), the subjects (one query per kind of subject: 2), the reviewer's own tasks (once per kind
# of subject: 2), the unread count of the menu's badge and of the page's header (2). None per notification.
INBOX_QUERIES = 14


@pytest.mark.parametrize("count", [2, 30])
def test_the_inbox_page_costs_the_same_for_more_notifications(
    client, world, released, count, django_assert_max_num_queries
):
    reviewer = inbox_of(world, released, count)
    client.force_login(reviewer)
    client.get(reverse("notifications:inbox"))  # content types cached, as in a running process
    for query in ({}, {"state": "all"}, {"kind": "task_overdue"}):
        with django_assert_max_num_queries(INBOX_QUERIES):
            response = client.get(reverse("notifications:inbox"), query)
        assert response.status_code == 200
        assert f"查看办件 {released[0].number}" in response.content.decode()


# Token, the count, the page, the subjects (one query per kind of subject).
API_QUERIES = 8


@pytest.mark.parametrize("count", [2, 30])
def test_the_api_list_costs_the_same_for_more_notifications(
    api, world, released, count, django_assert_max_num_queries
):
    application, tasks = released
    reviewer = inbox_of(world, released, count)
    client = api(reviewer)
    client.get("/api/v1/notifications/")
    with django_assert_max_num_queries(API_QUERIES):
        rows = client.get("/api/v1/notifications/", {"page_size": 50}).json()["results"]
    assert len(rows) >= count
    about_tasks = [row for row in rows if row["task"] is not None]
    assert about_tasks and all(
        row["application"] == {"id": application.pk, "number": application.number} for row in rows
    )
    assert {row["task"] for row in about_tasks} <= {task.pk for task in tasks}


def test_the_api_filters_by_application_with_its_tasks(api, world, released):
    application, tasks = released
    reviewer = world.reviewer(tasks[0].department.code)
    services.notify([reviewer], "test", compose, about=application)
    services.notify([reviewer], "test", compose, about=tasks[-1])
    services.notify([reviewer], "test", compose, about=world.enterprise)
    other = draft(world, "start-construction", START_MINIMAL, key="other")
    services.notify([reviewer], "test", compose, about=other)
    client = api(reviewer)
    mine = Notification.objects.for_user(reviewer)
    expected = set(mine.about(application).values_list("pk", flat=True)) | set(
        mine.about_any(ReviewTask, [task.pk for task in tasks]).values_list("pk", flat=True)
    )
    rows = client.get("/api/v1/notifications/", {"application": application.pk, "page_size": 100}).json()[
        "results"
    ]
    assert {row["id"] for row in rows} == expected
    assert any(row["task"] for row in rows) and any(row["task"] is None for row in rows)
    everything = client.get("/api/v1/notifications/", {"page_size": 100}).json()["results"]
    unrelated = [row for row in everything if row["application"] is None]
    assert len(unrelated) == 1 and unrelated[0]["task"] is None


def test_the_admin_shows_notifications_read_only(admin_client):
    reader = UserFactory()
    (note,) = services.notify([reader], "test", compose, about=EnterpriseFactory())
    changelist = reverse("admin:notifications_notification_changelist")
    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(changelist, {"q": "企业"}).status_code == 200
    assert admin_client.get(reverse("admin:notifications_notification_add")).status_code == 403
    change = admin_client.get(reverse("admin:notifications_notification_change", args=[note.pk]))
    assert change.status_code == 200 and 'name="_save"' not in change.content.decode()
