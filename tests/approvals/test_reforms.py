"""三评合一 and 一业一证 (issue 19): a merged review measured against the separate reviews it replaces, and an
industry licence issued at unified delivery for the permits of a business opened in the zone.

The world is the demo catalog (tests/approvals/conftest.py): `eia-three-in-one` replaces the environmental
impact approval, the soil and water conservation plan and the river outfall review; `open-pharmacy`,
`open-restaurant` and `open-laboratory` each issue an industry licence.
"""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django_tasks import default_task_backend

from sciencecity.approvals import dashboard, selectors
from sciencecity.approvals.models import Application, Certificate, LicencePermit, ReviewTask
from sciencecity.approvals.pdf import render_certificate_html, render_certificate_pdf
from sciencecity.approvals.services import reform
from sciencecity.approvals.services.certificates import issue_industry_licence, revoke_certificate
from sciencecity.approvals.services.delivery import deliver_application
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.models import PublishedVersionError, ReplacedItem, ServiceItem
from tests.approvals.conftest import (
    START_MINIMAL,
    accepted,
    approve,
    approve_all,
    draft,
    task_of,
)
from tests.approvals.test_certificates import pdf_text
from tests.factories import staff

pytestmark = pytest.mark.django_db

MERGED = "eia-three-in-one"
PHARMACY_ALL = {"sells_devices": "yes", "sells_food": "yes"}
LAB_ALL = {"uses_radiation": "yes", "biosafety_level": "bsl2", "uses_precursors": "yes"}


@pytest.fixture(autouse=True)
def _dummy_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()


def delivered(world, bundle_code, answers):
    """An application of `bundle_code` accepted, every task approved, delivered by the window."""
    application = accepted(world, bundle_code, answers)
    approve_all(world, application)
    application.refresh_from_db()
    assert application.status == Application.Status.CONCLUDED
    deliver_application(world.clerk, application, method="electronic")
    application.refresh_from_db()
    return application


def licence_of(application) -> Certificate:
    return Certificate.objects.get(application=application, kind=Certificate.Kind.INDUSTRY_LICENCE)


# --- 三评合一: the merged review's figures ------------------------------------------------------------------


def test_the_merged_review_is_measured_against_the_three_it_replaces(world):
    (comparison,) = reform.merged_comparisons(version=world.version)
    assert comparison.item.code == MERGED
    assert [item.code for item in comparison.replaced] == [
        "eia-approval",
        "soil-water-conservation",
        "river-outfall-review",
    ]
    # Before: EIA 4 steps + delivery, soil and water 3 + 1, outfall 3 + 1; three required materials each
    # (the business licence and the project code counted again by each); the longest promise, 15 days.
    assert comparison.separately == reform.Way(steps=13, materials=9, days=15)
    # After: one review of 4 steps + one delivery, one report and three held or shared materials, 10 days.
    assert comparison.merged == reform.Way(steps=5, materials=4, days=10)
    assert comparison.steps_saved == 8
    assert comparison.materials_reduction_pct == Decimal("55.6")
    assert comparison.time_reduction_pct == Decimal("33.3")
    assert (comparison.legal_days_separately, comparison.legal_days_merged) == (40, 40)
    assert comparison.distinct_materials == 6
    assert comparison.actuals is None  # asked for the catalog figures only


def test_the_bundle_report_lists_its_merged_review_with_the_decided_tasks(world, time_machine):
    answers = {**START_MINIMAL, "eia_category": "three_in_one", "site_works": ["earthwork"]}
    application = accepted(world, "start-construction", answers)
    items = {row.item.code for row in application.items.select_related("item")}
    # 三评合一 replaces the separate reviews: neither the EIA nor the soil and water approval is applied for.
    assert MERGED in items and not items & {"eia-approval", "soil-water-conservation"}
    assert task_of(application, MERGED).department.code == "ecology"
    approve(world, application, MERGED)

    report = reform.reform_report(world.bundle("start-construction"))
    (merged,) = report.merged_items
    assert merged.item.code == MERGED and merged.steps_saved == 8
    assert merged.actuals.decided == 1
    assert merged.actuals.median_days == 0  # decided on the day it started
    assert merged.actuals.within_promised_pct == Decimal("100.0")
    # Bundles without the merged review list none.
    assert reform.reform_report(world.bundle("joint-acceptance")).merged_items == ()


def test_the_separate_way_stays_for_a_project_that_needs_the_assessments_apart(world):
    bundle = world.bundle("start-construction")
    chosen = {
        item.code
        for item in selectors.selected_items(
            bundle, {**START_MINIMAL, "eia_category": "report", "site_works": ["earthwork"]}
        )
    }
    assert {"eia-approval", "soil-water-conservation"} <= chosen and MERGED not in chosen


def test_the_overview_shows_the_merged_review_and_the_new_bundles(world):
    rows = dashboard.reform_figures()
    merged = [row for row in rows if row["kind"] == "merged_item"]
    assert [row["code"] for row in merged] == [MERGED]
    assert merged[0]["separately"] == {"steps": 13, "materials": 9, "days": 15}
    assert merged[0]["bundled"] == {"steps": 5, "materials": 4, "days": 10}
    assert merged[0]["separately_label"] == "分别审批" and merged[0]["bundled_label"] == "合并审批"
    bundles = {row["code"] for row in rows if row["kind"] == "bundle"}
    assert {"open-pharmacy", "open-restaurant", "open-laboratory", "start-construction"} <= bundles


def test_the_leaders_overview_page_shows_the_merged_review(world, client):
    client.force_login(staff("leader"))
    html = client.get("/leaders/").content.decode()
    assert f'data-bundle="{MERGED}" data-scenario="merged" data-kind="merged_item"' in html
    assert "分别审批" in html and "合并审批" in html
    assert ServiceItem.objects.get(version=world.version, code=MERGED).name in html


def test_the_reform_report_command_prints_the_merged_review(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("reform_report", "start-construction", stdout=out)
    text = out.getvalue()
    assert "合并审批" in text and "三评合一" in text
    assert "入河(湖、库)排污口设置审核" in text


def test_a_published_merger_cannot_change(world):
    merged = ServiceItem.objects.get(version=world.version, code=MERGED)
    link = ReplacedItem.objects.filter(item=merged).first()
    other = ServiceItem.objects.get(version=world.version, code="construction-permit")
    with pytest.raises(PublishedVersionError), transaction.atomic():
        link.delete()
    with pytest.raises(PublishedVersionError), transaction.atomic():
        merged.replaces.add(other)
    with pytest.raises(PublishedVersionError), transaction.atomic():
        other.replaced_by.add(merged)
    assert merged.replaces.count() == 3


# --- 一业一证: the industry licence ---------------------------------------------------------------------------


def test_delivery_issues_one_industry_licence_listing_the_permits(world):
    application = delivered(world, "open-pharmacy", PHARMACY_ALL)
    licence = licence_of(application)
    assert licence.name == "药品零售行业综合许可证" and licence.name_en == "Industry licence for drug retail"
    assert licence.certificate_code == "pharmacy-industry-licence"
    assert licence.task is None and licence.department.code == "market"
    assert licence.status == Certificate.Status.VALID and licence.number.startswith("KXZ2026")
    permits = list(licence.permits.select_related("item", "certificate").order_by("position"))
    assert [permit.item.code for permit in permits] == [
        "drug-retail-licence",
        "medical-device-filing",
        "prepackaged-food-filing",
    ]
    # Each permit with the certificate its own item issued (the food filing issues none).
    own = {
        certificate.certificate_code: certificate
        for certificate in Certificate.objects.filter(application=application, kind=Certificate.Kind.ITEM)
    }
    assert [permit.certificate for permit in permits] == [
        own["drug-retail-licence"],
        own["device-sales-filing"],
        None,
    ]
    event = AuditEvent.objects.get(action="approvals.issue_industry_licence")
    assert event.after["permits"] == [permit.item.code for permit in permits]
    assert event.after["certificates"] == [
        own["drug-retail-licence"].number,
        own["device-sales-filing"].number,
    ]
    # The delivery lists it with the rest, and a second call issues nothing new.
    delivery_event = AuditEvent.objects.get(action="approvals.deliver_application")
    assert licence.number in delivery_event.after["certificates"]
    assert issue_industry_licence(world.clerk, application) == licence
    assert Certificate.objects.filter(application=application, kind="industry_licence").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            number="KXZ20269999999",
            certificate_code="pharmacy-industry-licence",
            kind=Certificate.Kind.INDUSTRY_LICENCE,
            name="重复",
            application=application,
            enterprise=application.enterprise,
            project=application.project,
            department=licence.department,
            issued_at=licence.issued_at,
        )


def test_no_licence_when_a_permit_is_refused_and_none_for_other_bundles(world):
    application = accepted(world, "open-laboratory", LAB_ALL)
    from sciencecity.approvals.services import review

    task = task_of(application, "radiation-safety-licence")
    reviewer = world.reviewer_of(task)
    review.claim_task(reviewer, task)
    review.reject_task(reviewer, task, "射线装置机房屏蔽防护不满足要求。")
    approve_all(world, application)
    application.refresh_from_db()
    deliver_application(world.clerk, application, method="electronic")
    assert not Certificate.objects.filter(application=application, kind="industry_licence").exists()
    # A bundle without a licence issues none either.
    start = accepted(world, "start-construction", START_MINIMAL, key="submit-start")
    approve_all(world, start)
    start.refresh_from_db()
    deliver_application(world.clerk, start, method="electronic")
    assert not Certificate.objects.filter(application=start, kind="industry_licence").exists()


def test_a_licence_needs_no_task_and_an_item_certificate_needs_one(world):
    application = delivered(world, "open-restaurant", {"own_sewer_connection": "no"})
    licence = licence_of(application)
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=licence.pk).update(kind=Certificate.Kind.ITEM)
    item_certificate = Certificate.objects.filter(application=application, kind="item").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.filter(pk=item_certificate.pk).update(task=None)


def test_the_licence_pdf_lists_its_permits_in_chinese(world, settings, tmp_path):
    application = delivered(world, "open-restaurant", {"own_sewer_connection": "yes"})
    licence = licence_of(application)
    html = render_certificate_html(licence)
    for text in ("一业一证", "餐饮行业综合许可证", "载明的许可", "食品经营许可证", "经营场所"):
        assert text in html, text
    text = "".join(pdf_text(render_certificate_pdf(licence)).split())
    assert "餐饮行业综合许可证" in text and "城镇污水排入排水管网许可证" in text
    for permit in licence.permits.exclude(certificate=None).select_related("certificate"):
        assert permit.certificate.number in text


def test_the_licence_is_verified_with_its_permits_zh_and_en(world, client):
    application = delivered(world, "open-pharmacy", PHARMACY_ALL)
    licence = licence_of(application)
    url = reverse("approvals:verify", kwargs={"code": licence.verification_code})
    html = client.get(url).content.decode()
    assert "药品零售行业综合许可证" in html and licence.number in html
    assert 'data-permit="drug-retail-licence"' in html and 'data-permit="prepackaged-food-filing"' in html
    drug = licence.permits.get(item__code="drug-retail-licence").certificate
    assert reverse("approvals:verify", kwargs={"code": drug.verification_code}) in html
    # By number and the short check code, as printed.
    found = client.get(
        reverse("approvals:verify_lookup"), {"number": licence.number, "code": licence.check_code}
    )
    assert found.status_code == 302 and found["Location"] == url
    # English: the licence's English name from the catalog.
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(url).content.decode()
    assert "Industry licence for drug retail" in html
    assert "Drug business licence" in html  # the permit's certificate, by its English name
    # A revoked permit shows as such on the licence's page.
    revoke_certificate(world.admin, drug, "药品经营质量管理规范跟踪检查不合格,依法撤销。")
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = client.get(url).content.decode()
    assert "已撤销" in html


def test_the_applicant_sees_the_licence_with_its_permits(world, client):
    application = delivered(world, "open-laboratory", LAB_ALL)
    licence = licence_of(application)
    client.force_login(world.applicant)
    for path in ("/portal/certificates/", f"/portal/applications/{application.pk}/"):
        html = client.get(path).content.decode()
        assert "研发实验室综合许可证" in html, path
        assert (
            'data-permit="pathogen-lab-filing"' in html and 'data-permit="radiation-safety-licence"' in html
        )
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/portal/certificates/").content.decode()
    assert "Industry licence for research laboratories" in html
    # Its PDF downloads like any certificate's.
    response = client.get(reverse("approvals:certificate_pdf", kwargs={"pk": licence.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_the_window_is_told_a_licence_will_be_issued(world, client):
    application = accepted(world, "open-pharmacy", PHARMACY_ALL)
    approve_all(world, application)
    client.force_login(world.clerk)
    path = reverse("approvals:window_deliver", args=[application.pk])
    html = client.get(path).content.decode()
    assert 'id="licence-on-delivery"' in html and "药品零售行业综合许可证" in html
    deliver_application(world.clerk, application, method="window", recipient="王丽")
    html = client.get(path).content.decode()
    assert 'id="licence-on-delivery"' not in html
    assert 'data-permit="drug-retail-licence"' in html


def test_the_guides_show_the_licence_and_the_merged_review(world, client):
    html = client.get(reverse("approvals:bundle_guide", args=["open-pharmacy"])).content.decode()
    assert 'id="licence-note"' in html and "药品零售行业综合许可证" in html
    home = client.get(reverse("approvals:public_home")).content.decode()
    assert "一业一证" in home and "餐饮行业综合许可证" in home
    html = client.get(
        reverse("approvals:bundle_guide", args=["start-construction"]), {"eia_category": "three_in_one"}
    ).content.decode()
    assert f'data-merged-item="{MERGED}"' in html
    for name in (
        "建设项目环境影响评价文件审批",
        "生产建设项目水土保持方案审批",
        "入河(湖、库)排污口设置审核",
    ):
        assert name in html, name
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(reverse("approvals:bundle_guide", args=["open-restaurant"])).content.decode()
    assert "Industry licence for catering" in html


def test_the_licence_is_revoked_like_any_certificate(world):
    application = delivered(world, "open-restaurant", {"own_sewer_connection": "no"})
    licence = licence_of(application)
    with pytest.raises(ValidationError):
        revoke_certificate(world.admin, licence, "")
    revoke_certificate(world.admin, licence, "经营者申请注销。")
    licence.refresh_from_db()
    assert licence.status == Certificate.Status.REVOKED
    # Its permits' own certificates stay valid.
    assert not LicencePermit.objects.filter(licence=licence, certificate__status="revoked").exists()
    assert ReviewTask.objects.filter(application=application).count() == 2


def test_an_unfinished_application_gets_no_licence(world):
    application = draft(world, "open-pharmacy", PHARMACY_ALL)
    assert issue_industry_licence(world.clerk, application) is None
