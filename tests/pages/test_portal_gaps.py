"""The applicant supplies a tolerated-gap material (容缺后补) on the progress page: the section lists each gap
with its due date and state, takes a file while the gap is open (or after the window returned what was
supplied), refuses an empty post on the form, and answers 404 for another enterprise's application.

The world is the demo catalog (see tests/approvals/conftest.py) with time frozen on Monday 2026-06-01.
"""

import datetime

import pytest
from django.urls import reverse

from sciencecity.approvals.models import SubmittedMaterial
from sciencecity.approvals.services import applications, intake
from tests.approvals.conftest import (
    START_DAY,
    START_MINIMAL,
    accept_all_materials,
    at,
    load_demo_world,
    submitted,
    upload,
)
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of

pytestmark = pytest.mark.django_db

V = SubmittedMaterial.Verdict
GAP = "quality-safety-measures"  # tolerated as a gap by the construction permit
DUE = datetime.date(2026, 6, 15)


@pytest.fixture
def world(db, settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    at(time_machine, START_DAY)
    return load_demo_world()


@pytest.fixture
def gapped(world):
    application = submitted(world, "start-construction", START_MINIMAL, skip={GAP})
    accept_all_materials(world, application)
    return intake.accept_with_gaps(world.clerk, application, {GAP: DUE})


def progress(application):
    return reverse("approvals:portal_application", args=[application.pk])


def supply(application, code=GAP):
    return reverse("approvals:portal_supply_gap", args=[application.pk, code])


def current_gap(application):
    return applications.current_materials(application)[GAP]


def test_the_progress_page_lists_the_gap_with_its_due_date_and_an_upload(world, gapped, client):
    client.force_login(world.applicant)
    html = client.get(progress(gapped)).content.decode()
    assert 'id="gaps"' in html and "2026-06-15" in html and "待补交" in html
    assert f'action="{supply(gapped)}"' in html
    assert f'<label for="gap-{GAP}-file">' in html


def test_supplying_the_file_leaves_it_to_the_window(world, gapped, client):
    client.force_login(world.applicant)
    response = client.post(supply(gapped), {f"gap-{GAP}": upload("措施.pdf")})
    assert response.status_code == 302 and response.url.endswith("#gaps")
    material = current_gap(gapped)
    assert (material.verdict, material.gap_due_date, material.original_name) == (V.PENDING, DUE, "措施.pdf")
    html = client.get(progress(gapped)).content.decode()
    assert "已补交,待审核" in html and f'action="{supply(gapped)}"' not in html

    # The window returns it: the applicant sees why and may supply it again.
    intake.reject_supplied_gap(world.clerk, material, "缺少监理单位盖章")
    html = client.get(progress(gapped)).content.decode()
    assert "缺少监理单位盖章" in html and f'action="{supply(gapped)}"' in html
    client.post(supply(gapped), {f"gap-{GAP}": upload("措施-盖章.pdf")})
    intake.accept_supplied_gap(world.clerk, current_gap(gapped))
    assert 'id="gaps"' not in client.get(progress(gapped)).content.decode()


def test_an_empty_post_or_a_wrong_file_is_an_error_on_the_form(world, gapped, client):
    client.force_login(world.applicant)
    response = client.post(supply(gapped), {})
    assert response.status_code == 400
    assert "请选择要上传的文件" in response.content.decode()
    response = client.post(supply(gapped), {f"gap-{GAP}": upload("措施.pdf", content=b"not a pdf")})
    assert response.status_code == 400
    assert current_gap(gapped).verdict == V.TOLERATED


def test_a_material_that_is_no_gap_is_refused_on_the_form(world, gapped, client):
    client.force_login(world.applicant)
    response = client.post(supply(gapped, "site-plan"), {"gap-site-plan": upload("总平面图.pdf")})
    assert response.status_code == 400
    assert "不是待补交的容缺材料" in response.content.decode()


def test_another_enterprise_gets_404(world, gapped, client):
    enterprise = EnterpriseFactory()
    ProjectFactory(enterprise=enterprise)
    client.force_login(applicant_of(enterprise, username="other-applicant"))
    assert client.get(progress(gapped)).status_code == 404
    assert client.post(supply(gapped), {f"gap-{GAP}": upload("措施.pdf")}).status_code == 404
    assert current_gap(gapped).verdict == V.TOLERATED
