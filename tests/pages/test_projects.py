"""The civil servants' project page (/projects/<id>/): the project's facts, its enterprise, the applications of
the project that the viewer may read (a department sees those in which it has a task) and the certificates
in the viewer's scope; linked from the leaders' drill-down, the window's intake page and the department's
task page. Anonymous visitors are sent to log in; an applicant of another enterprise gets 404 and the
project's own applicant is sent to the portal's page; the number of queries does not grow with the rows.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accepted,
    approve_all,
    at,
    draft,
    load_demo_world,
    submitted,
    task_of,
)
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, applicant_of

pytestmark = pytest.mark.django_db

EPP = "engineering-planning-permit"  # the planning department's item


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


@pytest.fixture
def cases(world):
    """Of the world's project: one application concluded with certificates of several departments, one in
    review, one waiting at the window (no task yet: no department sees it)."""
    concluded = accepted(world, "start-construction", START_MINIMAL, key="concluded")
    approve_all(world, concluded)
    concluded.refresh_from_db()
    in_review = accepted(world, "start-construction", START_MINIMAL, key="in-review")
    waiting = submitted(world, "start-construction", START_MINIMAL, key="waiting")
    return concluded, in_review, waiting


def project_url(project):
    return reverse("approvals:project", args=[project.pk])


def numbers(response) -> set[str]:
    return {application.number for application in response.context["applications"]}


def certificate_numbers(response) -> set[str]:
    return {certificate.number for certificate in response.context["certificates"]}


def test_a_leader_sees_every_application_and_certificate(world, cases, client):
    concluded, in_review, waiting = cases
    client.force_login(UserFactory(username="leader", roles=["leader"]))
    response = client.get(project_url(world.project))
    assert response.status_code == 200
    html = response.content.decode()
    project, enterprise = world.project, world.enterprise
    for fact in (project.name, project.code, project.location, enterprise.name, enterprise.credit_code):
        assert fact in html
    assert numbers(response) == {concluded.number, in_review.number, waiting.number}
    assert certificate_numbers(response) == set(concluded.certificates.values_list("number", flat=True))
    departments = {certificate.department.code for certificate in response.context["certificates"]}
    assert len(departments) > 1
    for application in (concluded, in_review, waiting):
        assert reverse("approvals:leaders_application", args=[application.pk]) in html
        assert application.get_status_display() in html


def test_the_window_sees_every_application_linked_to_its_intake_page(world, cases, client):
    concluded, in_review, waiting = cases
    drafted = draft(world, "start-construction", START_MINIMAL, key="draft")
    client.force_login(world.clerk)
    response = client.get(project_url(world.project))
    assert response.status_code == 200
    assert numbers(response) == {concluded.number, in_review.number, waiting.number, drafted.number}
    html = response.content.decode()
    for application in (concluded, in_review, waiting, drafted):
        link = reverse("approvals:window_intake", args=[application.pk])
        assert link in html
        assert client.get(link).status_code == 200


def test_a_department_sees_only_the_applications_where_it_has_a_task(world, cases, client):
    concluded, in_review, waiting = cases
    reviewer = world.reviewer("planning")
    client.force_login(reviewer)
    response = client.get(project_url(world.project))
    assert response.status_code == 200
    assert numbers(response) == {concluded.number, in_review.number}
    # The project's certificates, other departments' included: a reviewer checks what the platform holds for
    # the project it reviews (a prerequisite's certificate is never "missing").
    certificates = response.context["certificates"]
    assert {certificate.department.code for certificate in certificates} == {"planning", "housing"}

    html = response.content.decode()
    task = task_of(in_review, EPP)
    assert reverse("approvals:department_task", args=[task.pk]) in html
    assert waiting.number not in html
    assert reverse("approvals:leaders_application", args=[in_review.pk]) not in html


def test_other_civil_servants_see_the_project_without_applications(world, cases, client):
    client.force_login(UserFactory(username="specialist", roles=["project_specialist"]))
    response = client.get(project_url(world.project))
    assert response.status_code == 200
    assert numbers(response) == set() and certificate_numbers(response) == set()
    assert world.project.code in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    response = client.get(project_url(world.project))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_applicants_use_the_portal_and_never_see_another_enterprise(world, client):
    client.force_login(world.applicant)
    response = client.get(project_url(world.project))
    assert response.status_code == 302
    assert response.url == reverse("approvals:portal_project", args=[world.project.pk])

    client.force_login(applicant_of(EnterpriseFactory(), username="other-applicant"))
    assert client.get(project_url(world.project)).status_code == 404


def test_an_unknown_project_is_not_found(world, client):
    client.force_login(world.clerk)
    assert client.get(reverse("approvals:project", args=[999999])).status_code == 404


def test_linked_where_the_project_is_named(world, client):
    application = accepted(world, "start-construction", START_MINIMAL)
    link = f'href="{project_url(world.project)}"'
    client.force_login(UserFactory(username="leader", roles=["leader"]))
    assert (
        link in client.get(reverse("approvals:leaders_application", args=[application.pk])).content.decode()
    )
    client.force_login(world.clerk)
    assert link in client.get(reverse("approvals:window_intake", args=[application.pk])).content.decode()
    client.force_login(world.reviewer("planning"))
    task = task_of(application, EPP)
    assert link in client.get(reverse("approvals:department_task", args=[task.pk])).content.decode()


def test_in_english_the_catalog_names_are_english(world, cases, client, settings):
    concluded, _in_review, _waiting = cases
    client.force_login(world.clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(project_url(world.project)).content.decode()
    certificate = concluded.certificates.select_related("task__item").first()
    assert certificate.task.item.certificate_name_en in html
    assert certificate.name not in html


@pytest.mark.parametrize("who", ["leader", "reviewer"])
def test_the_number_of_queries_does_not_grow_with_the_rows(world, client, who):
    user = UserFactory(username="leader", roles=["leader"]) if who == "leader" else world.reviewer("planning")
    client.force_login(user)
    first = accepted(world, "start-construction", START_MINIMAL, key="first")
    approve_all(world, first)
    client.get(project_url(world.project))  # warm up the session and permission caches
    with CaptureQueriesContext(connection) as one:
        response = client.get(project_url(world.project))
    assert len(response.context["applications"]) == 1
    for n in range(4):
        application = accepted(world, "start-construction", START_MINIMAL, key=f"more-{n}")
        approve_all(world, application)
    with CaptureQueriesContext(connection) as five:
        response = client.get(project_url(world.project))
    assert len(response.context["applications"]) == 5
    assert len(response.context["certificates"]) >= 5
    assert len(five) == len(one), [query["sql"] for query in five.captured_queries]


def test_another_project_of_the_enterprise_shows_only_its_own_rows(world, cases, client):
    other = ProjectFactory(enterprise=world.enterprise, name="另一个项目")
    client.force_login(world.clerk)
    response = client.get(project_url(other))
    assert response.status_code == 200
    assert numbers(response) == set() and certificate_numbers(response) == set()
