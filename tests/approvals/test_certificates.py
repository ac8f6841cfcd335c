"""Certificates (电子证照): issue, PDF with Chinese text and a QR code, background rendering, the public
verification page, scoped download, revocation, and the approvals admin."""

import itertools
import re
import zlib
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_tasks import default_task_backend

from sciencecity.accounts.models import User
from sciencecity.approvals import pdf as certificate_pdf
from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    Certificate,
    Delivery,
    Rating,
    ReviewTask,
)
from sciencecity.approvals.pdf import render_certificate_html
from sciencecity.approvals.services.certificates import (
    find_reusable_certificate,
    issue_for_task,
    revoke_certificate,
)
from sciencecity.approvals.tasks import render_certificate
from sciencecity.approvals.transitions import IllegalTransition
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.models import Bundle, CatalogVersion, ServiceItem, Stage
from sciencecity.notifications.models import Notification
from tests.factories import DepartmentFactory, EnterpriseFactory, ProjectFactory, applicant_of, staff

pytestmark = pytest.mark.django_db

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

LEGAL_REPRESENTATIVE = "欧阳法人"
APPLICANT_NAME = "司马申报"
PHONE = "13912345678"
DEPARTMENT_NAME = "科学城规划和自然资源局"

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Files go to a temporary MEDIA_ROOT; background tasks are only recorded unless a test says otherwise."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://kxc.example.cn"
    settings.TASKS = DUMMY_TASKS
    default_task_backend.clear()


def grant(user, *permissions):
    """Give `user` named permissions directly and return it fresh (permissions are cached per instance)."""
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return User.objects.get(pk=user.pk)


def make_world(*, pledge=False, valid_until=None):
    """One approved task of a concluded application, and its certificate (issued through the service)."""
    n = next(_serial)
    department = DepartmentFactory(code=f"planning-{n}", name=DEPARTMENT_NAME)
    version = CatalogVersion.objects.create(number=1000 + n, label="测试目录")
    item = ServiceItem.objects.create(
        version=version,
        code="planning-permit",
        name="建设工程规划许可",
        department=department,
        stage=Stage.ENGINEERING_PERMIT,
        legal_limit_days=20,
        promised_limit_days=5,
        pledge_allowed=True,
        certificate_code="planning-permit",
        certificate_name="建设工程规划许可证",
    )
    bundle = Bundle.objects.create(
        version=version, code="start", name="开工一件事", lead_department=department, promised_limit_days=10
    )
    enterprise = EnterpriseFactory(legal_representative=LEGAL_REPRESENTATIVE, contact_phone=PHONE)
    project = ProjectFactory(enterprise=enterprise, name=f"西部科学城测试厂房{n}")
    applicant = applicant_of(enterprise, display_name=APPLICANT_NAME, phone=PHONE)
    application = Application.objects.create(
        number=f"SQ20260105{n:06d}",
        enterprise=enterprise,
        project=project,
        bundle=bundle,
        applicant=applicant,
        status=Application.Status.CONCLUDED,
    )
    application_item = ApplicationItem.objects.create(
        application=application, item=item, outcome=ApplicationItem.Outcome.APPROVED
    )
    reviewer = staff("department_reviewer", department)
    task = ReviewTask.objects.create(
        application=application,
        application_item=application_item,
        item=item,
        department=department,
        status=ReviewTask.Status.APPROVED_ON_PLEDGE if pledge else ReviewTask.Status.APPROVED,
        decided_by=reviewer,
    )
    certificate = issue_for_task(task, reviewer)
    if valid_until:
        Certificate.objects.filter(pk=certificate.pk).update(valid_until=valid_until)
        certificate.refresh_from_db()
    return certificate


def administrator():
    return grant(staff("administrator"), "approvals.change_certificate")


# Reading a WeasyPrint PDF without a PDF library: its text is CID glyph codes mapped to Unicode by each font's
# ToUnicode CMap, and the QR code (an SVG) becomes one unit-square path per dark module.


def _streams(pdf: bytes) -> dict[int, bytes]:
    streams = {}
    for match in re.finditer(rb"(\d+) 0 obj\s*(<<.*?>>)\s*stream\r?\n", pdf, re.S):
        length = int(re.search(rb"/Length (\d+)", match[2])[1])
        data = pdf[match.end() : match.end() + length]
        streams[int(match[1])] = zlib.decompress(data) if b"/FlateDecode" in match[2] else data
    return streams


def _to_unicode(cmap: bytes) -> dict[int, str]:
    mapping = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for source, target in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(source, 16)] = bytes.fromhex(target.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, target in re.findall(
            rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(int(target, 16) + offset)
    return mapping


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF that WeasyPrint wrote, one line per text run. (Checked against poppler's
    `pdftotext`; read here so that the suite needs no PDF tools.)"""
    streams = _streams(pdf)
    dictionaries = b"\n".join(streams.values())
    fonts = {
        tag: _to_unicode(streams[int(number)])
        for tag, number in re.findall(rb"/BaseFont /([A-Z]+)\+[^/]*/ToUnicode (\d+) 0 R", dictionaries)
    }
    lines, font = [], {}
    for data in streams.values():
        if b"BT\n" not in data or b" Tf\n" not in data:
            continue
        operators = rb"/([A-Z]+) [\d.]+ Tf|\[([^\[\]]*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj"
        for match in re.finditer(operators, data, re.S):
            if match[1]:
                font = fonts[match[1]]
                continue
            hexes = re.findall(rb"<([0-9a-fA-F]*)>", match[2]) if match[2] is not None else [match[3]]
            codes = b"".join(hexes)
            lines.append("".join(font.get(int(codes[i : i + 4], 16), "?") for i in range(0, len(codes), 4)))
    return "\n".join(lines)


def pdf_qr_modules(pdf: bytes) -> set[tuple[int, int]]:
    """The dark modules of the QR code drawn in the PDF, as (column, row) including the quiet zone."""
    square = rb"(\d+) (\d+) m\n(\d+) \2 l\n\3 (\d+) l\n\1 \4 l\nh"
    modules = set()
    for data in _streams(pdf).values():
        for x, y, x1, y1 in re.findall(square, data):
            if int(x1) == int(x) + 1 and int(y1) == int(y) + 1:
                modules.add((int(x), int(y)))
    return modules


def qr_modules(data: str) -> set[tuple[int, int]]:
    matrix = certificate_pdf.qr_code(data).get_matrix()
    return {(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}


class TestIssue:
    def test_issue_numbers_the_certificate_and_audits(self):
        certificate = make_world()
        assert re.fullmatch(r"KXZ\d{4}\d{7}", certificate.number)
        assert certificate.name == "建设工程规划许可证"
        assert certificate.status == Certificate.Status.VALID
        assert len(certificate.verification_code) >= 22
        assert AuditEvent.objects.filter(
            action="approvals.issue_certificate", target_id=str(certificate.pk)
        ).exists()

    def test_issue_is_idempotent(self):
        certificate = make_world()
        again = issue_for_task(certificate.task, certificate.task.decided_by)
        assert again == certificate
        assert Certificate.objects.filter(task=certificate.task).count() == 1

    def test_no_certificate_for_an_undecided_task(self):
        certificate = make_world()
        task = certificate.task
        Certificate.objects.filter(pk=certificate.pk).delete()
        for status in (ReviewTask.Status.IN_REVIEW, ReviewTask.Status.REJECTED):
            task.status = status
            assert issue_for_task(task, None) is None
        assert not Certificate.objects.exists()

    def test_issue_enqueues_rendering_after_commit_once(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            certificate = make_world()
        with django_capture_on_commit_callbacks(execute=True):
            issue_for_task(certificate.task, None)  # idempotent: no second render
        results = default_task_backend.results
        assert [(r.task.func, list(r.args)) for r in results] == [(render_certificate.func, [certificate.pk])]

    def test_nothing_is_enqueued_when_the_transaction_rolls_back(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            make_world()
        assert len(callbacks) == 1  # waits for commit; a rollback drops it
        assert default_task_backend.results == []

    def test_render_task_stores_the_pdf_inline_with_the_immediate_backend(
        self, settings, django_capture_on_commit_callbacks
    ):
        settings.TASKS = IMMEDIATE_TASKS
        with django_capture_on_commit_callbacks(execute=True):
            certificate = make_world()
        certificate.refresh_from_db()
        assert certificate.pdf.name.endswith(f"{certificate.number}.pdf")
        assert certificate.pdf.read().startswith(b"%PDF-")

    def test_render_task_is_idempotent(self):
        certificate = make_world()
        first = render_certificate.call(certificate.pk)
        second = render_certificate.call(certificate.pk)
        assert first == second != ""
        assert render_certificate.call(10**9) == ""

    def test_reuse_finds_valid_certificates_only(self):
        certificate = make_world()
        args = (certificate.enterprise_id, certificate.project_id, "planning-permit")
        assert find_reusable_certificate(*args) == certificate
        revoke_certificate(administrator(), certificate, "规划条件变更")
        assert find_reusable_certificate(*args) is None


class TestPdf:
    def test_pdf_has_the_chinese_facts_as_text(self):
        certificate = make_world()
        pdf = certificate_pdf.render_certificate_pdf(certificate)
        assert pdf.startswith(b"%PDF-")
        # The CJK font is embedded, as a subset (its dictionaries are in compressed object streams).
        assert re.search(rb"/BaseFont /[A-Z]{6}\+Noto-Sans-CJK-SC", b"".join(_streams(pdf).values()))
        text = "".join(pdf_text(pdf).split())
        for fact in (
            DEPARTMENT_NAME,
            certificate.number,
            "建设工程规划许可证",
            certificate.enterprise.name,
            certificate.enterprise.credit_code,
            certificate.project.name,
            certificate.project.code,
            "发证机关",
        ):
            assert fact in text, fact
        assert "告知承诺" not in text
        assert "长期有效" in text

    def test_pledge_and_validity_are_marked(self):
        import datetime

        certificate = make_world(pledge=True, valid_until=datetime.date(2029, 12, 31))
        text = "".join(pdf_text(certificate_pdf.render_certificate_pdf(certificate)).split())
        assert "告知承诺" in text
        assert "2029年12月31日" in text

    def test_qr_code_in_the_pdf_encodes_the_verification_url(self):
        certificate = make_world()
        url = certificate_pdf.verification_url(certificate)
        assert url == f"https://kxc.example.cn/verify/{certificate.verification_code}/"
        drawn = pdf_qr_modules(certificate_pdf.render_certificate_pdf(certificate))
        assert drawn == qr_modules(url)
        assert drawn != qr_modules(url.replace(certificate.verification_code, "x" * 22))

    def test_verification_url_takes_a_base_url(self):
        certificate = make_world()
        url = certificate_pdf.verification_url(certificate, "http://zone.test:8080/")
        assert url == f"http://zone.test:8080/verify/{certificate.verification_code}/"
        html = certificate_pdf.render_certificate_html(certificate, "http://zone.test:8080")
        assert certificate_pdf.qr_code_data_uri(url) in html

    def test_pdf_is_chinese_whatever_the_active_language(self):
        from django.utils import translation

        certificate = make_world()
        with translation.override("en"):
            html = certificate_pdf.render_certificate_html(certificate)
        assert "发证机关" in html

    def test_store_is_idempotent(self):
        certificate = make_world()
        stored = certificate_pdf.store_certificate_pdf(certificate)
        name = stored.pdf.name
        assert certificate.pdf.name == name
        again = certificate_pdf.store_certificate_pdf(Certificate.objects.get(pk=certificate.pk))
        assert again.pdf.name == name
        folder = Path(again.pdf.storage.path(name)).parent
        assert [path.name for path in folder.iterdir()] == [Path(name).name]  # rendered once, stored once

    def test_store_renders_again_when_the_file_is_gone(self):
        certificate = make_world()
        stored = certificate_pdf.store_certificate_pdf(certificate)
        stored.pdf.storage.delete(stored.pdf.name)
        again = certificate_pdf.store_certificate_pdf(stored)
        assert again.pdf.storage.exists(again.pdf.name)


class TestVerificationPage:
    def test_shows_validity_and_public_facts_only(self, client):
        certificate = make_world()
        response = client.get(f"/verify/{certificate.verification_code}/")
        assert response.status_code == 200
        page = response.content.decode()
        for fact in (
            "有效",
            certificate.name,
            certificate.number,
            DEPARTMENT_NAME,
            certificate.enterprise.name,
            certificate.project.name,
        ):
            assert fact in page, fact
        for private in (LEGAL_REPRESENTATIVE, APPLICANT_NAME, PHONE, certificate.enterprise.address, ".pdf"):
            assert private not in page, private
        assert reverse("approvals:certificate_pdf", kwargs={"pk": certificate.pk}) not in page
        assert "已撤销" not in page
        assert response["X-Robots-Tag"].startswith("noindex")
        assert response["Referrer-Policy"] == "no-referrer"

    def test_unknown_code_is_a_clear_404(self, client):
        make_world()
        for code in ("nope", "A" * 22, "x" * 200):
            response = client.get(f"/verify/{code}/")
            assert response.status_code == 404
            assert "未找到该证照" in response.content.decode()

    def test_revoked_certificate_says_so(self, client):
        certificate = make_world()
        revoke_certificate(administrator(), certificate, "规划条件变更")
        page = client.get(f"/verify/{certificate.verification_code}/").content.decode()
        assert "已撤销" in page
        assert "规划条件变更" not in page  # the reason is for the holder and the audit trail

    def test_lookup_form(self, client):
        certificate = make_world()
        response = client.get("/verify/")
        assert response.status_code == 200
        assert 'name="code"' in response.content.decode()
        target = f"/verify/{certificate.verification_code}/"
        by_code = client.get("/verify/", {"code": certificate.verification_code})
        assert by_code.status_code == 302 and by_code["Location"] == target
        both = client.get(
            "/verify/", {"code": f" {certificate.verification_code} ", "number": certificate.number}
        )
        assert both.status_code == 302 and both["Location"] == target

    def test_lookup_refuses_a_mismatched_number_or_a_number_alone(self, client):
        certificate = make_world()
        other = make_world()
        mismatched = client.get("/verify/", {"code": certificate.verification_code, "number": other.number})
        assert mismatched.status_code == 404
        assert "未找到该证照" in mismatched.content.decode()
        number_only = client.get("/verify/", {"number": certificate.number})
        assert number_only.status_code == 200  # the form again, asking for the code
        assert certificate.name not in number_only.content.decode()

    def test_a_person_verifies_by_number_and_the_short_check_code(self, client):
        """What a person reads off the paper: the number and 8 symbols with nothing that reads as another."""
        certificate = make_world()
        check = certificate.check_code
        assert len(check) == 9 and check[4] == "-" and not set(check) & set("01ILO")
        target = f"/verify/{certificate.verification_code}/"
        typed = client.get(
            "/verify/", {"number": certificate.number.lower(), "code": check.lower().replace("-", " ")}
        )
        assert typed.status_code == 302 and typed["Location"] == target
        assert check in render_certificate_html(certificate)
        wrong = check[:-1] + ("A" if check[-1] != "A" else "B")
        assert client.get("/verify/", {"number": certificate.number, "code": wrong}).status_code == 404
        other = make_world()
        assert client.get("/verify/", {"number": other.number, "code": check}).status_code == 404
        alone = client.get("/verify/", {"code": check})
        assert alone.status_code == 200 and "请同时填写证照编号" in alone.content.decode()
        api = client.get(f"/api/v1/certificates/verify/{check}/", {"number": certificate.number})
        assert api.status_code == 200 and api.json()["number"] == certificate.number
        assert client.get(f"/api/v1/certificates/verify/{check}/").status_code == 404

    def test_needs_no_login_and_writes_nothing(self, client, django_assert_max_num_queries):
        certificate = make_world()
        with django_assert_max_num_queries(3):
            assert client.get(f"/verify/{certificate.verification_code}/").status_code == 200
        assert "sessionid" not in client.cookies


class TestDownload:
    def url(self, certificate):
        return reverse("approvals:certificate_pdf", kwargs={"pk": certificate.pk})

    def test_holder_downloads_once_the_window_has_delivered_and_the_pdf_is_rendered_on_demand_once(
        self, client
    ):
        certificate = make_world()
        assert not certificate.pdf
        client.force_login(certificate.application.applicant)
        # 窗口统一出件: concluded, not yet handed out by the window: the holder sees the decision, not the file.
        assert client.get(self.url(certificate)).status_code == 404
        Application.objects.filter(pk=certificate.application_id).update(status=Application.Status.DELIVERED)
        response = client.get(self.url(certificate))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert certificate.number in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        certificate.refresh_from_db()
        stored = certificate.pdf.name
        assert stored
        client.get(self.url(certificate))
        certificate.refresh_from_db()
        assert certificate.pdf.name == stored

    def test_issuing_department_and_window_may_download(self, client):
        certificate = make_world()
        for user in (staff("department_head", certificate.department), staff("window_clerk")):
            client.force_login(user)
            assert client.get(self.url(certificate)).status_code == 200

    def test_other_enterprise_and_department_get_404(self, client):
        certificate = make_world()
        for user in (applicant_of(EnterpriseFactory()), staff("department_reviewer", DepartmentFactory())):
            client.force_login(user)
            assert client.get(self.url(certificate)).status_code == 404

    def test_anonymous_is_sent_to_login(self, client):
        certificate = make_world()
        response = client.get(self.url(certificate))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestRevoke:
    def test_revoke_audits_notifies_and_rerenders(self, django_capture_on_commit_callbacks):
        certificate = make_world()
        old = certificate_pdf.store_certificate_pdf(certificate).pdf.name
        storage = certificate.pdf.storage
        admin = administrator()
        with django_capture_on_commit_callbacks(execute=True):
            revoke_certificate(admin, certificate, "  规划条件变更  ")
        certificate.refresh_from_db()
        assert certificate.status == Certificate.Status.REVOKED
        assert not certificate.pdf and not storage.exists(old)
        event = AuditEvent.objects.get(action="approvals.revoke_certificate", target_id=str(certificate.pk))
        assert event.actor == admin and event.after == {"status": "revoked", "reason": "规划条件变更"}
        note = Notification.objects.get(
            recipient=certificate.application.applicant, kind="certificate_revoked"
        )
        assert "规划条件变更" in note.body
        assert [list(r.args) for r in default_task_backend.results] == [[certificate.pk]]
        text = "".join(pdf_text(certificate_pdf.render_certificate_pdf(certificate)).split())
        assert "已撤销" in text

    def test_revoke_needs_permission_reason_and_a_valid_certificate(self):
        certificate = make_world()
        with pytest.raises(PermissionDenied):
            revoke_certificate(staff("window_clerk"), certificate, "原因")
        with pytest.raises(ValidationError):
            revoke_certificate(administrator(), certificate, "  ")
        revoke_certificate(administrator(), certificate, "原因")
        with pytest.raises(IllegalTransition, match="已撤销"):
            revoke_certificate(administrator(), certificate, "再次")


class TestAdmin:
    def test_every_approvals_page_renders_read_only_for_a_superuser(self, admin_client):
        certificate = make_world()
        application = certificate.application
        task = certificate.task
        clerk = staff("window_clerk")
        delivery = Delivery.objects.create(
            application=application, method="window", recipient="某人", delivered_by=clerk
        )
        rating = Rating.objects.create(application=application, score=1, rated_by=application.applicant)
        Notification.objects.create(recipient=clerk, kind="test", title="测试", about=application)
        objects = {
            Application: application,
            ApplicationItem: task.application_item,
            ReviewTask: task,
            Certificate: certificate,
            Delivery: delivery,
            Rating: rating,
        }
        from django.contrib import admin

        registered = [model for model in admin.site._registry if model._meta.app_label == "approvals"]
        assert len(registered) == 10  # every model of the app (notifications and numbers are the core's)
        for model in registered:
            info = (model._meta.app_label, model._meta.model_name)
            changelist = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)))
            assert changelist.status_code == 200, model
            assert (
                admin_client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "SQ"}).status_code
                == 200
            )
            assert admin_client.get(reverse("admin:{}_{}_add".format(*info))).status_code == 403, model
            if model in objects:
                obj = objects[model]
                change = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
                assert change.status_code == 200, model
                assert 'name="_save"' not in change.content.decode(), model

    def test_revoke_action_asks_for_a_reason_then_calls_the_service(self, admin_client):
        certificate = make_world()
        url = reverse("admin:approvals_certificate_changelist")
        data = {"action": "revoke_selected", "_selected_action": [certificate.pk]}
        confirm = admin_client.post(url, data)
        assert confirm.status_code == 200
        assert "撤销原因" in confirm.content.decode()
        done = admin_client.post(url, {**data, "apply": "1", "reason": "材料造假"})
        assert done.status_code == 302
        certificate.refresh_from_db()
        assert certificate.status == Certificate.Status.REVOKED
        assert AuditEvent.objects.filter(action="approvals.revoke_certificate").count() == 1
