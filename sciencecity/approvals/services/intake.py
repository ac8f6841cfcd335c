"""Front-desk intake (前台综合受理): the window's verdict per material, then one of four outcomes.

- `accept_application`: every material the applicant had to provide is accepted;
- `accept_with_gaps` (容缺受理): the listed materials, each of which every item requiring it tolerates as a
  gap, are due later; the items that need them cannot conclude until the window accepts what is supplied
  (`supply_tolerated_material`, then `accept_supplied_gap`);
- `request_correction` (一次性告知补正): every problem listed in one notice, the application goes back to the
  applicant, and the resubmission returns to intake with a new intake deadline;
- `refuse_application` (不予受理), with a reason.

Acceptance (either way) fixes the promised deadline of the whole application and splits it into review tasks
(`review.create_tasks`).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.i18n import join_list
from sciencecity.notifications import services as notifications
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import WorkingCalendar, deadline_after
from sciencecity.workdays.display import deadline_text
from sciencecity.workflow.errors import field_error, not_found
from sciencecity.workflow.prepared import update_fields, update_rows

from .. import transitions
from ..models import TOLERATED_NOTE, Application, CorrectionNotice, SubmittedMaterial
from . import review
from .applications import (
    application_snapshot,
    current_materials,
    lock_application,
    material_snapshot,
    require_applicant,
    require_permission,
    requirements,
    save_uploaded_material,
    window_clerks,
)

A = Application.Status
V = SubmittedMaterial.Verdict
INTAKE_PERMISSION = "approvals.intake_application"


def _require_clerk(user):
    require_permission(user, INTAKE_PERMISSION, _("您没有受理办件的权限。"))


def _refuse_unless_submitted(application, action):
    if application.status != A.SUBMITTED:
        raise transitions.IllegalTransition(
            application,
            action,
            _("办件当前状态为“%(state)s”,只有待受理的办件可以审核材料。")
            % {"state": application.get_status_display()},
        )


@transaction.atomic
def record_verdicts(clerk, application, verdicts: dict) -> list[SubmittedMaterial]:
    """The window's verdict on submitted materials: {material code: (verdict, note)} with verdict "accepted"
    or "rejected" (a note saying what is wrong is required then). Materials not named keep their verdict."""
    application = lock_application(clerk, application)
    _require_clerk(clerk)
    _refuse_unless_submitted(application, "record_verdicts")
    if not isinstance(verdicts, dict) or not verdicts:
        raise ValidationError(_("请至少对一份材料给出审核意见。"), code="required")
    current = current_materials(application)
    errors = {}
    changes = []
    for code, value in verdicts.items():
        if isinstance(value, str):
            value = (value, "")
        verdict, note = value if isinstance(value, list | tuple) and len(value) == 2 else (None, "")
        note = (note or "").strip() if isinstance(note, str) else ""
        material = current.get(code)
        if material is None:
            errors[str(code)] = [ValidationError(_("申请人未提交该材料。"), code="not_submitted")]
        elif verdict not in (V.ACCEPTED, V.REJECTED):
            errors[code] = [
                ValidationError(_("审核意见只能是“符合要求”或“需补正”。"), code="invalid_verdict")
            ]
        elif verdict == V.REJECTED and not note:
            errors[code] = [ValidationError(_("请说明该材料需补正的问题。"), code="required")]
        else:
            changes.append((material, str(verdict), note[:500]))
    if errors:
        raise ValidationError(errors)
    before, after = {}, {}
    locked = {
        row.pk: row
        for row in SubmittedMaterial.objects.select_for_update().filter(
            pk__in=[m.pk for m, _v, _n in changes]
        )
    }
    for material, verdict, note in changes:
        row = locked[material.pk]
        before[material.spec.code] = [row.verdict, row.verdict_note]
        row.verdict, row.verdict_note = verdict, note
        after[material.spec.code] = [verdict, note]
    # One UPDATE for all of them (the rows are locked above), its SQL made once per shape.
    update_rows(locked.values(), ["verdict", "verdict_note"])
    record(clerk, "approvals.record_verdicts", application, before=before, after=after)
    return [locked[material.pk] for material, _v, _n in changes]


def _unaccepted(notice, current, *, except_codes=()) -> dict:
    errors = {}
    for entry in notice:
        if not entry.needs_submission or entry.code in except_codes:
            continue
        material = current.get(entry.code)
        if material is None or material.verdict != V.ACCEPTED:
            errors[entry.code] = [
                ValidationError(
                    _("材料“%(material)s”尚未审核通过。"),
                    code="material_not_accepted",
                    params={"material": entry.spec.display_name},
                )
            ]
    return errors


@transaction.atomic
def accept_application(clerk, application) -> Application:
    """Accept (受理): every material the applicant had to provide has the verdict "accepted"."""
    application = lock_application(clerk, application)
    transitions.check(application, "accept", clerk)
    items, notice, _form = requirements(application)
    errors = _unaccepted(notice, current_materials(application))
    if errors:
        raise ValidationError(errors)
    return _accept(clerk, application, "accept", items, gaps={})


@transaction.atomic
def accept_with_gaps(clerk, application, gaps: dict) -> Application:
    """Accept with tolerated gaps (容缺受理): `gaps` maps material codes to the dates they are due. Each must be
    a material that every item requiring it tolerates as a gap; every other material must be accepted."""
    application = lock_application(clerk, application)
    transitions.check(application, "accept_with_gaps", clerk)
    if not isinstance(gaps, dict) or not gaps:
        raise ValidationError(_("请列出容缺的材料及其补交期限。"), code="required")
    items, notice, _form = requirements(application)
    by_code = {entry.code: entry for entry in notice}
    current = current_materials(application)
    day = clock.today()
    errors = {}
    for code, due in gaps.items():
        entry = by_code.get(code)
        material = current.get(code)
        if entry is None or not entry.needs_submission:
            errors[str(code)] = [ValidationError(_("该材料无需申请人提交,不能容缺。"), code="not_needed")]
        elif not entry.gap_tolerated:
            errors[code] = [
                ValidationError(
                    _("材料“%(material)s”不可容缺受理。"),
                    code="gap_not_tolerated",
                    params={"material": entry.spec.display_name},
                )
            ]
        elif material is not None and material.verdict == V.ACCEPTED:
            errors[code] = [ValidationError(_("该材料已审核通过,无需容缺。"), code="already_accepted")]
        elif due is None:
            errors[code] = [ValidationError(_("请填写容缺材料的补交期限。"), code="required")]
        elif not isinstance(due, datetime.date) or isinstance(due, datetime.datetime) or due <= day:
            errors[code] = [ValidationError(_("补交期限须为今天以后的日期。"), code="invalid_due_date")]
    errors.update(_unaccepted(notice, current, except_codes=set(gaps)))
    if errors:
        raise ValidationError(errors)
    tolerated = {}
    for code, due in gaps.items():
        material = current.get(code)
        if material is None:
            material = SubmittedMaterial(application=application, spec=by_code[code].spec, is_current=True)
        else:
            material = SubmittedMaterial.objects.select_for_update().get(pk=material.pk)
        material.verdict = V.TOLERATED
        material.verdict_note = TOLERATED_NOTE % {"date": due.isoformat()}
        material.gap_due_date = due
        material.save()
        tolerated[code] = due
    specs = {code: by_code[code].spec for code in tolerated}
    return _accept(clerk, application, "accept_with_gaps", items, gaps=tolerated, specs=specs)


ACCEPT_FIELDS = ["status", "accepted_at", "promised_deadline", "promised_deadline_provisional", "updated_at"]


def _accept(clerk, application, action, items, *, gaps, specs=None):
    """`gaps`: {material code: due date} tolerated, `specs` their MaterialSpecs (named in the notification)."""
    before = application_snapshot(application)
    now = clock.now()
    day = timezone.localdate(now)
    transitions.apply(application, action, clerk)
    application.accepted_at = now
    calendar = WorkingCalendar()  # the acceptance's: the first tasks' deadlines share what it reads
    application.promised_deadline, application.promised_deadline_provisional = deadline_after(
        day, application.bundle.promised_limit_days, calendar=calendar
    )
    update_fields(application, ACCEPT_FIELDS)
    record(
        clerk,
        f"approvals.{action}_application",
        application,
        before=before,
        after={**application_snapshot(application), "gaps": gaps},
    )
    review.create_tasks(application, clerk, items=items, calendar=calendar)

    def compose():
        body = _("您的“%(bundle)s”申请已受理,承诺于 %(deadline)s 前办结。") % {
            "bundle": application.bundle.display_name,
            "deadline": deadline_text(
                application.promised_deadline, application.promised_deadline_provisional
            ),
        }
        if gaps:
            body += _("容缺材料须按期补交:%(gaps)s。") % {
                "gaps": join_list(
                    _("%(material)s(%(date)s 前)")
                    % {"material": specs[code].display_name, "date": due.isoformat()}
                    for code, due in gaps.items()
                )
            }
        return _("办件 %(number)s 已受理") % {"number": application.number}, body

    notifications.notify([application.applicant], "application_accepted", compose, about=application)
    return application


@transaction.atomic
def request_correction(clerk, application, problems: list, note: str = "") -> CorrectionNotice:
    """One correction notice (一次性告知) listing every problem ([{"material": code or "", "problem": text}]);
    the materials named get the verdict "rejected" and the application returns to the applicant."""
    application = lock_application(clerk, application)
    transitions.check(application, "request_correction", clerk)
    if clerk is None:
        raise ValueError("a correction notice is issued by a person")
    _items, notice, _form = requirements(application, complete=False)
    codes = {entry.code for entry in notice}
    errors = []
    listed = []
    if not isinstance(problems, list | tuple) or not problems:
        raise field_error("problems", _("请列出需补正的全部问题(至少一项)。"), "required")
    for index, problem in enumerate(problems, start=1):
        problem = problem if isinstance(problem, dict) else {}
        code = (problem.get("material") or "").strip()
        text = (problem.get("problem") or "").strip()
        if not text:
            errors.append(ValidationError(_("第 %(n)s 项未说明问题。"), code="required", params={"n": index}))
        elif code and code not in codes:
            errors.append(
                ValidationError(
                    _("第 %(n)s 项所指材料“%(code)s”不是本次申请所需的材料。"),
                    code="unknown_material",
                    params={"n": index, "code": code},
                )
            )
        else:
            listed.append({"material": code, "problem": text[:500]})
    if errors:
        raise ValidationError({"problems": errors})
    current = current_materials(application)
    for problem in listed:
        material = current.get(problem["material"])
        if material is not None:
            SubmittedMaterial.objects.filter(pk=material.pk).update(
                verdict=V.REJECTED, verdict_note=problem["problem"]
            )
    before = application_snapshot(application)
    transitions.apply(application, "request_correction", clerk)
    application.save(update_fields=["status", "updated_at"])
    correction = CorrectionNotice.objects.create(
        application=application, issued_by=clerk, problems=listed, note=(note or "").strip()
    )
    record(
        clerk,
        "approvals.request_correction",
        application,
        before=before,
        after={**application_snapshot(application), "problems": listed, "note": correction.note},
    )
    notifications.notify(
        [application.applicant],
        "correction_requested",
        lambda: (
            _("办件 %(number)s 需要补正") % {"number": application.number},
            _("请按以下问题一次性补正后重新提交:\n%(problems)s")
            % {"problems": "\n".join(f"{n}. {p['problem']}" for n, p in enumerate(listed, start=1))}
            + (f"\n{correction.note}" if correction.note else ""),
        ),
        about=application,
    )
    return correction


@transaction.atomic
def refuse_application(clerk, application, reason: str) -> Application:
    """Refuse to accept (不予受理), with a reason."""
    application = lock_application(clerk, application)
    transitions.check(application, "refuse", clerk)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("请填写不予受理的理由。"), "required")
    before = application_snapshot(application)
    transitions.apply(application, "refuse", clerk)
    application.closed_reason = reason
    application.save(update_fields=["status", "closed_reason", "updated_at"])
    record(
        clerk,
        "approvals.refuse_application",
        application,
        before=before,
        after=application_snapshot(application),
    )
    notifications.notify(
        [application.applicant],
        "application_refused",
        lambda: (
            _("办件 %(number)s 不予受理") % {"number": application.number},
            _("理由:%(reason)s") % {"reason": reason},
        ),
        about=application,
    )
    return application


# --- tolerated gaps supplied later ----------------------------------------------------------------------


def _refuse_unless_in_review(application, action):
    if application.status != A.IN_REVIEW:
        raise transitions.IllegalTransition(
            application,
            action,
            _("办件当前状态为“%(state)s”,只有审批中的办件可以补交容缺材料。")
            % {"state": application.get_status_display()},
        )


@transaction.atomic
def supply_tolerated_material(user, application, spec_code: str, uploaded_file) -> SubmittedMaterial:
    """The applicant supplies a material accepted as a gap (or supplies it again after the window found it
    wanting); the window then accepts it with `accept_supplied_gap`."""
    application = lock_application(user, application)
    require_applicant(user, application)
    _refuse_unless_in_review(application, "supply_tolerated_material")
    gap = current_materials(application).get(spec_code)
    if gap is None or gap.gap_due_date is None or gap.verdict not in (V.TOLERATED, V.REJECTED):
        raise field_error(
            "material", _("“%(code)s”不是待补交的容缺材料。") % {"code": spec_code}, "not_a_gap"
        )
    material = save_uploaded_material(
        user, application, gap.spec, uploaded_file, gap_due_date=gap.gap_due_date
    )
    record(user, "approvals.supply_tolerated_material", material, after=material_snapshot(material))
    notifications.notify(
        window_clerks(),
        "gap_supplied",
        lambda: (
            _("办件 %(number)s 已补交容缺材料") % {"number": application.number},
            _("申请人已补交“%(material)s”,请审核。") % {"material": gap.spec.display_name},
        ),
        about=application,
    )
    return material


def _lock_supplied(clerk, material, action):
    pk = material.pk if isinstance(material, SubmittedMaterial) else material
    application_id = SubmittedMaterial.objects.filter(pk=pk).values_list("application_id", flat=True).first()
    if application_id is None:
        raise not_found(SubmittedMaterial)
    application = lock_application(clerk, application_id)
    _require_clerk(clerk)
    _refuse_unless_in_review(application, action)
    material = SubmittedMaterial.objects.select_for_update().select_related("spec").get(pk=pk)
    if not material.is_current or material.gap_due_date is None or material.verdict != V.PENDING:
        raise ValidationError(_("该材料不是待审核的补交容缺材料。"), code="not_a_supplied_gap")
    return application, material


@transaction.atomic
def accept_supplied_gap(clerk, material) -> SubmittedMaterial:
    """The window accepts a supplied gap; if that was all the application waited for, it concludes."""
    application, material = _lock_supplied(clerk, material, "accept_supplied_gap")
    before = material_snapshot(material)
    material.verdict = V.ACCEPTED
    material.verdict_note = _("容缺材料已补齐")
    material.save(update_fields=["verdict", "verdict_note"])
    record(clerk, "approvals.accept_supplied_gap", material, before=before, after=material_snapshot(material))
    notifications.notify(
        [application.applicant],
        "gap_closed",
        lambda: (
            _("办件 %(number)s 的容缺材料已补齐") % {"number": application.number},
            _("“%(material)s”已审核通过。") % {"material": material.spec.display_name},
        ),
        about=application,
    )
    review.conclude_if_done(application, clerk)
    return material


@transaction.atomic
def reject_supplied_gap(clerk, material, note: str) -> SubmittedMaterial:
    """The window finds a supplied gap wanting: the gap stays open and the applicant supplies it again."""
    note = (note or "").strip()
    if not note:
        raise field_error("note", _("请说明补交材料存在的问题。"), "required")
    application, material = _lock_supplied(clerk, material, "reject_supplied_gap")
    before = material_snapshot(material)
    material.verdict = V.REJECTED
    material.verdict_note = note[:500]
    material.save(update_fields=["verdict", "verdict_note"])
    record(clerk, "approvals.reject_supplied_gap", material, before=before, after=material_snapshot(material))
    notifications.notify(
        [application.applicant],
        "gap_rejected",
        lambda: (
            _("办件 %(number)s 的补交材料需重新提交") % {"number": application.number},
            _("“%(material)s”:%(note)s") % {"material": material.spec.display_name, "note": note},
        ),
        about=application,
    )
    return material
