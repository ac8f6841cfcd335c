"""Certificates (电子证照): issued when a task is approved, reused by later applications (免提交), revoked by
an administrator.

The PDF is rendered by `sciencecity.approvals.pdf` (WeasyPrint) in a background task enqueued after commit
(`tasks.render_certificate`), and on first download if that task has not run yet. Enqueueing after commit
means the worker never looks for a certificate that does not exist yet; if the enqueue itself is lost, the
first download renders the file, so nothing depends on it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.audit.services import event as audit_event
from sciencecity.catalog import compiled
from sciencecity.i18n import in_language
from sciencecity.notifications.services import notify
from sciencecity.workdays import clock
from sciencecity.workflow.prepared import insert
from sciencecity.workflow.queue import enqueue_many_with_commit, enqueue_with_commit
from sciencecity.workflow.transitions import IllegalTransition

from ..models import Application, ApplicationItem, Certificate, LicencePermit, ReviewTask
from .numbers import certificate_number

# Revoking is the only change a certificate ever undergoes after issue, so Django's "change" permission of
# the model names it (the admin shows certificates read-only; its revoke action calls this service).
REVOKE_PERMISSION = "approvals.change_certificate"


def shown_name(certificate: Certificate, item=None) -> str:
    """The certificate's name in the active language. The stored name is the Chinese one printed on it, taken
    at issue from its item (`item`: the certificate's task's item): the item's certificate name or, without
    one, the item's own name; the English counterpart of that is shown in English mode where there is one.
    A certificate of no item (an industry licence, `item` None) shows its own stored names."""
    if item is None:
        return in_language(certificate.name, certificate.name_en)
    english = item.certificate_name_en if item.certificate_name else item.name_en
    return in_language(certificate.name, english)


def item_of(certificate: Certificate):
    """The item whose approval issued the certificate (its task's, selected with it); None for a licence."""
    return certificate.task.item if certificate.task_id is not None else None


def enqueue_render(certificate_id: int) -> None:
    """Ask the background worker to render the certificate's PDF once the current transaction commits."""
    from ..tasks import render_certificate

    enqueue_with_commit(render_certificate, certificate_id)


def enqueue_renders(certificate_ids) -> None:
    """`enqueue_render` for several certificates, queued in one statement."""
    from ..tasks import render_certificate

    enqueue_many_with_commit(render_certificate, [(pk,) for pk in certificate_ids])


def issue_for_task(task: ReviewTask, user, *, just_approved=False, events=None) -> Certificate | None:
    """Issue the certificate of an approved task's item, if the item issues one. Call inside the
    decision's transaction; idempotent (a task has at most one certificate).

    `just_approved`: the caller approved the task in this transaction, under its lock — a task is approved
    once, so it has no certificate yet and none is looked for. `events`: a list the audit event is added to
    (the caller saves it with its own) instead of being saved here."""
    item = task.item
    if not item.certificate_code or task.status not in (
        ReviewTask.Status.APPROVED,
        ReviewTask.Status.APPROVED_ON_PLEDGE,
    ):
        return None
    if not just_approved:
        existing = Certificate.objects.filter(task=task).first()
        if existing is not None:
            return existing
    now = clock.now()
    application = task.application
    (certificate,) = insert(
        [
            Certificate(
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
        ]
    )
    issued = audit_event(
        user,
        "approvals.issue_certificate",
        certificate,
        after={"number": certificate.number, "task": task.pk},
    )
    if events is None:
        issued.save()
    else:
        events.append(issued)
    enqueue_render(certificate.pk)
    return certificate


GRANTED = (ApplicationItem.Outcome.APPROVED, ApplicationItem.Outcome.APPROVED_ON_PLEDGE)


def issue_industry_licence(user, application: Application, *, events=None) -> Certificate | None:
    """一业一证: at unified delivery, issue the one industry licence (行业综合许可证) of an application whose
    bundle issues one, listing every permit it stands for: each item of the application, with the certificate
    that item issued (if it issues one). Call inside the delivery's transaction, the application locked.

    The licence stands for all of them or for nothing: when an item was not granted (rejected, or not
    started because a prerequisite was rejected), none is issued. Its validity ends with the earliest of its
    permits' certificates; it is on pledge (告知承诺) when any permit is. Idempotent: an application has at
    most one licence (a constraint), and a second call returns it. `events`: a list the audit event is added
    to instead of being saved here."""
    bundle = application.bundle
    if not bundle.licence_code:
        return None
    existing = Certificate.objects.filter(
        application=application, kind=Certificate.Kind.INDUSTRY_LICENCE
    ).first()
    if existing is not None:
        return existing
    position = {use.item.pk: index for index, use in enumerate(compiled.uses(bundle))}
    items = sorted(
        ApplicationItem.objects.filter(application=application).select_related("item"),
        key=lambda row: (position.get(row.item_id, len(position)), row.item.code),
    )
    if not items or any(row.outcome not in GRANTED for row in items):
        return None
    issued = {
        certificate.task.item_id: certificate
        for certificate in Certificate.objects.valid()
        .filter(application=application, kind=Certificate.Kind.ITEM)
        .select_related("task")
    }
    now = clock.now()
    ends = [certificate.valid_until for certificate in issued.values() if certificate.valid_until]
    on_pledge = any(row.outcome == ApplicationItem.Outcome.APPROVED_ON_PLEDGE for row in items)
    (licence,) = insert(
        [
            Certificate(
                number=certificate_number(bundle.licence_code, timezone.localdate(now)),
                certificate_code=bundle.licence_code,
                kind=Certificate.Kind.INDUSTRY_LICENCE,
                name=bundle.licence_name or bundle.name,
                name_en=bundle.licence_name_en if bundle.licence_name else bundle.name_en,
                application=application,
                task=None,
                enterprise_id=application.enterprise_id,
                project_id=application.project_id,
                department_id=bundle.lead_department_id,
                on_pledge=on_pledge,
                issued_at=now,
                valid_until=min(ends) if ends else None,
            )
        ]
    )
    permits = LicencePermit.objects.bulk_create(
        LicencePermit(
            licence=licence,
            item=row.item,
            certificate=issued.get(row.item_id),
            on_pledge=row.outcome == ApplicationItem.Outcome.APPROVED_ON_PLEDGE,
            position=index,
        )
        for index, row in enumerate(items)
    )
    event = audit_event(
        user,
        "approvals.issue_industry_licence",
        licence,
        after={
            "number": licence.number,
            "permits": [permit.item.code for permit in permits],
            "certificates": [permit.certificate.number for permit in permits if permit.certificate],
        },
    )
    if events is None:
        event.save()
    else:
        events.append(event)
    enqueue_render(licence.pk)
    return licence


def licence_permits_prefetch():
    """What a list of certificates prefetches to show each industry licence's permits (three queries for the
    whole list): the items, and the items' own certificates with their status and code."""
    return Prefetch(
        "permits",
        queryset=LicencePermit.objects.select_related("item", "certificate").order_by("position", "id"),
    )


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


def revoke_certificate(admin, certificate: Certificate, reason: str) -> Certificate:
    """Revoke a valid certificate with a recorded reason. Its public verification page then says 已撤销, it
    no longer satisfies later applications' materials (免提交), and its PDF is rendered again with a
    revoked mark (the earlier file is removed once the revocation commits)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("撤销证照必须说明原因。"))
    if admin is None or not admin.has_perm(REVOKE_PERMISSION):
        raise PermissionDenied(_("您没有撤销证照的权限。"))
    with transaction.atomic():
        current = (
            Certificate.objects.select_related("application__applicant", "task__item")
            .select_for_update(of=("self",))
            .get(pk=certificate.pk)
        )
        if current.status == Certificate.Status.REVOKED:
            raise IllegalTransition(
                current, "revoke", _("证照 %(number)s 已撤销,不能重复撤销。") % {"number": current.number}
            )
        old_file = current.pdf.name
        storage = current.pdf.storage
        current.status = Certificate.Status.REVOKED
        current.pdf = ""
        current.save(update_fields=["status", "pdf"])
        record(
            admin,
            "approvals.revoke_certificate",
            current,
            before={"status": Certificate.Status.VALID.value},
            after={"status": current.status, "reason": reason},
        )
        notify(
            [current.application.applicant],
            "certificate_revoked",
            lambda: (
                _("证照已撤销"),
                _("证照“%(name)s”(编号 %(number)s)已被撤销。原因:%(reason)s")
                % {
                    "name": shown_name(current, item_of(current)),
                    "number": current.number,
                    "reason": reason,
                },
            ),
            about=current.application,
        )
        if old_file:
            transaction.on_commit(lambda: storage.delete(old_file), robust=True)
        enqueue_render(current.pk)
    certificate.status = current.status
    certificate.pdf = current.pdf
    return current
