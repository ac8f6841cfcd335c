"""The project page of the enterprise portal: the project's facts, its applications with their state and the
certificates it holds, linked from the portal home and the application pages; another enterprise's project
answers 404.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01.
"""

import pytest
from django.urls import reverse
from django.utils.timezone import localtime

from sciencecity.approvals.services import applications, delivery
from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accepted,
    approve_all,
    at,
    draft,
    load_demo_world,
)
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


def project_url(project):
    return reverse("approvals:portal_project", args=[project.pk])


def test_facts_applications_and_certificates_of_the_project(world, client):
    concluded = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, concluded)
    delivery.deliver_application(world.clerk, concluded, method="electronic")  # 统一出件: then downloadable
    concluded.refresh_from_db()
    other_project = ProjectFactory(enterprise=world.enterprise, name="另一个项目")
    applications.start_application(world.applicant, other_project, world.bundle("start-construction"))
    certificates = list(concluded.certificates.all())
    assert certificates

    client.force_login(world.applicant)
    response = client.get(project_url(world.project))
    assert response.status_code == 200
    html = response.content.decode()
    assert world.project.name in html and world.project.code in html and world.project.location in html
    assert list(response.context["applications"]) == [concluded]
    assert concluded.number in html and concluded.get_status_display() in html
    for certificate in certificates:
        assert certificate.number in html
        assert reverse("approvals:certificate_pdf", args=[certificate.pk]) in html
    assert f"{reverse('approvals:portal_apply')}?project={world.project.pk}" in html


def test_linked_from_the_home_and_the_application_pages(world, client):
    application = draft(world, "start-construction", START_MINIMAL)
    client.force_login(world.applicant)
    link = f'href="{project_url(world.project)}"'
    assert link in client.get(reverse("approvals:portal_home")).content.decode()
    assert link in client.get(reverse("approvals:portal_application", args=[application.pk])).content.decode()
    assert link in client.get(reverse("approvals:portal_edit", args=[application.pk])).content.decode()


def test_in_english_the_catalog_names_are_english(world, client, settings):
    concluded = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, concluded)
    delivery.deliver_application(world.clerk, concluded, method="electronic")  # 统一出件: then downloadable
    client.force_login(world.applicant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(project_url(world.project)).content.decode()
    certificate = concluded.certificates.select_related("task__item").first()
    assert certificate.task.item.certificate_name_en in html
    assert certificate.name not in html


def test_another_enterprise_gets_404_and_staff_are_refused(world, client):
    other = EnterpriseFactory()
    client.force_login(applicant_of(other, username="other-applicant"))
    assert client.get(project_url(world.project)).status_code == 404
    client.force_login(world.clerk)
    assert client.get(project_url(world.project)).status_code == 403


# --- 我的证照: every certificate of the enterprise -------------------------------------------------------------


def test_my_certificates_lists_every_project_s_certificates_with_their_links(world, client, settings):
    concluded = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, concluded)
    delivery.deliver_application(world.clerk, concluded, method="electronic")  # 统一出件: then downloadable
    certificates = list(concluded.certificates.all())
    assert certificates
    url = reverse("approvals:portal_certificates")
    client.force_login(world.applicant)
    assert f'href="{url}"' in client.get(reverse("approvals:portal_home")).content.decode()
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for certificate in certificates:
        assert certificate.number in html
        assert reverse("approvals:certificate_pdf", args=[certificate.pk]) in html
        assert reverse("approvals:verify", args=[certificate.verification_code]) in html
    assert world.project.name in html and f'href="{project_url(world.project)}"' in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(url).content.decode()
    assert "My certificates" in html and certificates[0].number in html


def test_my_certificates_shows_only_the_enterprise_s_own(world, client):
    concluded = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, concluded)
    delivery.deliver_application(world.clerk, concluded, method="electronic")  # 统一出件: then downloadable
    other = EnterpriseFactory()
    client.force_login(applicant_of(other, username="other-applicant"))
    response = client.get(reverse("approvals:portal_certificates"))
    assert response.status_code == 200
    assert list(response.context["certificates"]) == []
    for certificate in concluded.certificates.all():
        assert certificate.number not in response.content.decode()
    client.force_login(world.clerk)
    assert client.get(reverse("approvals:portal_certificates")).status_code == 403


def test_the_verification_page_names_the_certificate_in_the_readers_language(world, client, settings):
    concluded = accepted(world, "start-construction", START_MINIMAL)
    approve_all(world, concluded)
    delivery.deliver_application(world.clerk, concluded, method="electronic")  # 统一出件: then downloadable
    certificate = concluded.certificates.select_related("task__item").first()
    page = reverse("approvals:verify", args=[certificate.verification_code])
    html = client.get(page).content.decode()
    assert certificate.name in html and localtime(certificate.issued_at).strftime("%Y-%m-%d") in html
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(page).content.decode()
    assert certificate.task.item.certificate_name_en in html and certificate.name not in html
