"""Certificates (电子证照): issued when a task is approved, reused by later applications (免提交).

The PDF is rendered by `render_certificate_pdf` (WeasyPrint) in a background task enqueued after commit,
and on first download if the task has not run yet.
"""

from django.utils import timezone

from sciencecity.audit import record

from ..models import Certificate, ReviewTask
from .numbers import certificate_number


def issue_for_task(task: ReviewTask, user) -> Certificate | None:
    """Issue the certificate of an approved task's item, if the item issues one. Call inside the
    decision's transaction; idempotent (a task has at most one certificate)."""
    item = task.item
    if not item.certificate_code or task.status not in (
        ReviewTask.Status.APPROVED,
        ReviewTask.Status.APPROVED_ON_PLEDGE,
    ):
        return None
    existing = Certificate.objects.filter(task=task).first()
    if existing is not None:
        return existing
    now = timezone.now()
    application = task.application
    certificate = Certificate.objects.create(
        number=certificate_number(item.certificate_code, timezone.localdate(now)),
        certificate_code=item.certificate_code,
        name=item.certificate_name or item.name,
        application=application,
        task=task,
        enterprise_id=application.enterprise_id,
        project_id=application.project_id,
        department_id=task.department_id,
        on_pledge=task.status == ReviewTask.Status.APPROVED_ON_PLEDGE,
        issued_at=now,
    )
    record(
        user,
        "approvals.issue_certificate",
        certificate,
        after={"number": certificate.number, "task": task.pk},
    )
    return certificate


def find_reusable_certificate(
    enterprise_id: int, project_id: int, certificate_code: str
) -> Certificate | None:
    """The newest valid certificate of this type held by the enterprise for this project (免提交)."""
    return (
        Certificate.objects.valid()
        .filter(enterprise_id=enterprise_id, project_id=project_id, certificate_code=certificate_code)
        .order_by("-issued_at", "-id")
        .first()
    )
