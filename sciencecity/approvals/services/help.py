"""Help-and-do (帮办代办): an escort specialist prepares an application for a project, with the enterprise's
recorded consent (`projects.services.escort`), and the enterprise reviews and submits it itself.

The draft's applicant is the enterprise's person who consented; `prepared_by` names the specialist. While it
is a draft and the consent is in force, the specialist answers the situation questions, fills the form and
provides materials through the same services as the enterprise (`applications.require_editor`); submitting,
withdrawing and everything after submission remain the enterprise's alone. The audit trail shows each step
with the person who took it, and the project's service log records the help.
"""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.notifications import services as notifications
from sciencecity.projects.models import Project
from sciencecity.projects.services import escort
from sciencecity.workflow.errors import fetch_in_scope

from ..models import Application, NotificationKind
from .applications import (
    DRAFT_NUMBER_PREFIX,
    application_snapshot,
    bundle_in_force,
    require_permission,
)

PREPARE = "approvals.prepare_application"


def _key(user, idempotency_key: str) -> str:
    key = (idempotency_key or "").strip()
    if len(key) > 60:
        raise ValidationError(_("幂等键不能超过 60 个字符。"), code="invalid_idempotency_key")
    return f"help:{user.pk}:{key}" if key else ""


@transaction.atomic
def prepare_application(user, project, bundle, *, note: str = "", idempotency_key: str = "") -> Application:
    """A draft of `bundle` for `project`, prepared by `user` (a lead or specialist of the project's escort
    team) for the enterprise, which is notified to review and submit it."""
    if user is None:
        raise ValueError("help-and-do is done by a person")
    require_permission(user, PREPARE, _("您没有帮办代办的权限。"))
    project = fetch_in_scope(Project.objects.for_user(user), getattr(project, "pk", project))
    if escort.role_of(user, project) not in escort.HELPERS:
        raise PermissionDenied(_("只有本项目护航团队的牵头负责人和服务专员可以帮办代办。"))
    consent = escort.consent_in_force(project)
    if consent is None:
        raise PermissionDenied(_("企业尚未授权(或已撤回)本项目的帮办代办,请先取得企业授权。"))
    applicant = consent.granted_by
    if not applicant.is_active or applicant.enterprise_id != project.enterprise_id:
        raise PermissionDenied(_("授权人已不是该企业的在岗申请人,请企业重新授权。"))
    key = _key(user, idempotency_key)
    bundle_pk = getattr(bundle, "pk", bundle)
    if key:
        existing = Application.objects.filter(applicant=applicant, creation_key=key).first()
        if existing is not None:
            if existing.project_id != project.pk or existing.bundle_id != bundle_pk:
                raise ValidationError(
                    _("该幂等键已用于另一项申请,请勿重复使用。"), code="idempotency_key_reused"
                )
            return existing
    bundle = bundle_in_force(user, bundle_pk)
    application = Application(
        number=f"{DRAFT_NUMBER_PREFIX}{secrets.token_hex(7).upper()}",
        enterprise_id=project.enterprise_id,
        project=project,
        bundle=bundle,
        applicant=applicant,
        prepared_by=user,
        status=Application.Status.DRAFT,
        creation_key=key,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        existing = Application.objects.filter(applicant=applicant, creation_key=key).first() if key else None
        if existing is None:
            raise
        return existing
    record(
        user,
        "approvals.prepare_application",
        application,
        after={
            **application_snapshot(application),
            "project": project.pk,
            "bundle": bundle.pk,
            "prepared_for": applicant.pk,
            "consent": consent.pk,
        },
    )
    text = (note or "").strip() or _("代为准备“%(bundle)s”申请(办件草稿 %(number)s)") % {
        "bundle": bundle.name,
        "number": application.number,
    }
    escort.record_help(user, project, application.pk, text)
    notifications.notify(
        [applicant],
        NotificationKind.APPLICATION_PREPARED,
        lambda: (
            _("代办申请待您确认提交:%(bundle)s") % {"bundle": bundle.display_name},
            _(
                "护航服务专员%(name)s已按您的授权为项目“%(project)s”准备了“%(bundle)s”申请草稿,"
                "请核对情形、表单和材料后由贵单位自行提交。"
            )
            % {"name": str(user), "project": project.name, "bundle": bundle.display_name},
        ),
        about=application,
    )
    return application
