"""Every write to a problem (ARCHITECTURE.md rule 1): each function locks the problem, checks its row of the
transition table (and who may act beyond the table: the responsible department, the category's verifier, the
reporter), writes the change, appends the timeline event and the audit event, and notifies — all in one
transaction, so a refused or failed step leaves nothing behind.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import _roles
from sciencecity.audit.services import record
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import WorkingCalendar, deadline_after, working_days_between
from sciencecity.workflow.numbers import next_value
from sciencecity.workflow.transitions import IllegalTransition

from .. import geo
from ..models import (
    DONE_STATES,
    SERVICE_RATING_CATEGORY,
    SERVICE_RATING_DEFAULTS,
    Problem,
    ProblemCategory,
    ProblemEvent,
    ProblemPhoto,
    new_follow_up_code,
)
from ..transitions import PROBLEM_TRANSITIONS
from . import notices
from .photos import MAX_PHOTOS, clean_photo
from .routing import department_for

S = Problem.Status
STAFF_SOURCES = frozenset(Problem.Source) - {Problem.Source.CITIZEN, Problem.Source.OPEN311}
# What an enterprise's people may report besides what citizens do: their demands, and the problems their
# project's monthly report meets.
ENTERPRISE_SOURCES = frozenset({Problem.Source.ENTERPRISE_DEMAND, Problem.Source.PROJECT_REPORT})
MAX_NOTE = 2000


# -- helpers ---------------------------------------------------------------------------------------------


def _locked(problem: Problem) -> Problem:
    return Problem.objects.select_for_update().select_related("category").get(pk=problem.pk)


def _require_text(text: str, message: str, code: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message, code=code)
    if len(text) > MAX_NOTE:
        raise ValidationError(_("说明不能超过 %(n)s 个字。") % {"n": MAX_NOTE}, code="note_too_long")
    return text


def is_staff_reporter(user) -> bool:
    """Civil servants' photos keep where and when they were taken (see `photos`)."""
    return bool(_roles(user) - {"applicant"})


def clean_photos(user, uploads) -> list:
    """Every upload re-encoded, or the first error; checked before the transaction so a bad file saves
    nothing."""
    uploads = [upload for upload in uploads or () if upload]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("每次最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS}, code="too_many_photos")
    keep = is_staff_reporter(user)
    return [(clean_photo(upload, keep_metadata=keep), keep) for upload in uploads]


def _save_photos(problem, event, user, kind, photos) -> None:
    for content, keep in photos:
        photo = ProblemPhoto(
            problem=problem,
            event=event,
            kind=kind,
            keeps_metadata=keep,
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        )
        photo.image.save(content.name, content, save=False)
        photo.save()


def _step(user, problem, action, before, *, note="", photos=(), photo_kind=None, after=None) -> ProblemEvent:
    """The timeline row and the audit row of one step (inside the caller's transaction)."""
    actor = user if getattr(user, "is_authenticated", False) else None
    event = ProblemEvent.objects.create(
        problem=problem,
        action=action,
        status_before=before,
        status_after=problem.status,
        note=note,
        department_id=problem.department_id,
        actor=actor,
    )
    if photos:
        _save_photos(problem, event, user, photo_kind, photos)
    record(
        actor,
        f"problems.{action}",
        problem,
        before={"status": before},
        after={"status": problem.status, **({"note": note} if note else {}), **(after or {})},
    )
    return event


CLOCK_FIELDS = [
    "due_date",
    "due_date_provisional",
    "clock_started_on",
    "clock_days",
    "warned_at",
    "escalated_at",
]


def _set_deadline(problem: Problem, start: datetime.date, days: int, calendar=None) -> None:
    deadline = deadline_after(start, days, calendar=calendar)
    problem.due_date, problem.due_date_provisional = deadline.day, deadline.provisional
    problem.clock_started_on, problem.clock_days = start, days
    problem.warned_at = problem.escalated_at = None


def _require_department(user, problem) -> None:
    if user is not None and (user.department_id is None or user.department_id != problem.department_id):
        raise PermissionDenied(_("只有责任部门可以办理该问题。"))


# -- intake ----------------------------------------------------------------------------------------------


@dataclass
class Report:
    """What a reporter says: the fields of the report form and of the API's POST."""

    category: ProblemCategory
    title: str
    description: str
    source: str = Problem.Source.CITIZEN
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    address: str = ""
    enterprise: object = None
    project: object = None
    reporter_name: str = ""
    reporter_phone: str = ""
    section: object = None  # a river patrol's monitoring section (`rivers`)


def _check_report(user, report: Report) -> str:
    """The area of the report's point, or ValidationError for what is wrong."""
    errors = {}
    if not report.category.is_active:
        errors["category"] = _("该问题类别已停用。")
    elif report.category.code == SERVICE_RATING_CATEGORY:
        errors["category"] = _("该类问题由服务差评自动生成,不能直接报告。")
    if not (report.title or "").strip():
        errors["title"] = _("请填写标题。")
    if not (report.description or "").strip():
        errors["description"] = _("请描述问题。")
    staff = is_staff_reporter(user)
    if report.source in STAFF_SOURCES and not staff and report.source not in ENTERPRISE_SOURCES:
        errors["source"] = _("只有工作人员可以登记该来源的问题。")
    if not getattr(user, "is_authenticated", False) and not (report.reporter_phone or "").strip():
        errors["reporter_phone"] = _("未登录时请留下联系电话,以便回访。")
    area = ""
    if (report.latitude is None) != (report.longitude is None):
        errors["latitude"] = _("经纬度须同时填写。")
    elif report.latitude is not None:
        found = geo.area_at(float(report.latitude), float(report.longitude))
        if found is None:
            errors["latitude"] = _("该位置不在园区范围内。")
        else:
            area = found.code
    elif report.source in (Problem.Source.CITIZEN, Problem.Source.RIVER_PATROL, Problem.Source.OPEN311):
        errors["latitude"] = _("请在地图上标出问题位置,或使用当前位置。")
    if report.section is not None:
        if report.source != Problem.Source.RIVER_PATROL:
            errors["section"] = _("只有河长巡河发现的问题可以关联监测断面。")
        elif not report.section.is_active:
            errors["section"] = _("该监测断面已停用。")
    if errors:
        raise ValidationError(errors)
    return area


def report_problem(user, report: Report, photos=(), *, parent=None) -> Problem:
    """Register a problem and route it: to the department of the matching rule at once (its deadline starts),
    or to the dispatch centre's queue when no rule matches. `user` None or anonymous is a citizen without an
    account (the follow-up code is their key)."""
    if report.latitude is not None and report.longitude is not None:
        report.latitude = Decimal(str(report.latitude)).quantize(Decimal("0.000001"))
        report.longitude = Decimal(str(report.longitude)).quantize(Decimal("0.000001"))
    area = _check_report(user, report)
    cleaned = clean_photos(user, photos)
    reporter = user if getattr(user, "is_authenticated", False) else None
    with transaction.atomic():
        problem = _register(reporter, report, area, parent=parent)
        event = _step(reporter, problem, "report", "")
        if cleaned:
            _save_photos(problem, event, reporter, ProblemPhoto.Kind.REPORT, cleaned)
        department = department_for(problem.category, area)
        if department is not None:
            _dispatch(None, problem, "route", department)
        else:
            notices.waiting_for_dispatch(problem)
    return problem


def _register(reporter, report: Report, area: str, **links) -> Problem:
    """The new problem's row with its number: WT, the year, and the year's running number (gap-free, see
    `workflow.numbers`)."""
    now = clock.now()
    return Problem.objects.create(
        number=f"WT{now:%Y}{next_value(f'problem-{now.year}'):07d}",
        reported_at=now,
        title=report.title.strip()[:120],
        description=report.description.strip(),
        category=report.category,
        source=report.source,
        latitude=report.latitude,
        longitude=report.longitude,
        address=(report.address or "").strip()[:200],
        area=area,
        enterprise=report.enterprise,
        project=report.project,
        section=report.section,
        reporter=reporter,
        reporter_name=(report.reporter_name or "").strip()[:50],
        reporter_phone=(report.reporter_phone or "").strip()[:20],
        follow_up_code=new_follow_up_code(),
        **links,
    )


def report_poor_rating(rater, rating_id: int, department, title: str, description: str, enterprise=None):
    """A poor service rating (差评) opens a problem of the system category `service-rating` for the department
    responsible for the service, at once: the rater is its reporter, verifies the rectification (回访) and may
    reopen it — one closed loop for every kind of problem. Called inside the rating's transaction by the
    service that records the rating, which has checked the rater."""
    category, _created = ProblemCategory.objects.get_or_create(
        code=SERVICE_RATING_CATEGORY, defaults=SERVICE_RATING_DEFAULTS
    )
    report = Report(
        category=category,
        title=title,
        description=description,
        source=Problem.Source.SERVICE_RATING,
        enterprise=enterprise,
    )
    with transaction.atomic(savepoint=False):
        problem = _register(rater, report, "", rating_id=rating_id)
        _step(rater, problem, "report", "", after={"rating": rating_id})
        _dispatch(None, problem, "route", department)
    return problem


def _dispatch(user, problem, action, department, note="", calendar=None) -> None:
    before, _after = PROBLEM_TRANSITIONS.apply(problem, action, user)
    now = clock.now()
    today = clock.today()
    if before == S.RETURNED and problem.clock_started_on and problem.returned_at and not problem.long_term:
        # The clock stood still while the problem was back at the dispatch centre: the deadline moves by the
        # working days it waited there.
        paused = max(0, working_days_between(problem.returned_at.date(), today))
        _set_deadline(problem, problem.clock_started_on, problem.clock_days + paused, calendar)
    elif problem.long_term:
        pass  # the plan's own due date stands
    else:
        _set_deadline(problem, today, problem.category.deadline_days, calendar)
    problem.department = department
    problem.dispatched_at = now
    problem.save(update_fields=["status", "department", "dispatched_at", *CLOCK_FIELDS])
    _step(user, problem, action, before, note=note, after={"department": department.code})
    notices.dispatched(problem)


def dispatch_problem(user, problem: Problem, department, note: str = "") -> Problem:
    """The dispatch centre sends a waiting or returned problem to a department."""
    if department is None or not department.is_active:
        raise ValidationError({"department": _("请选择一个启用的责任部门。")})
    with transaction.atomic():
        problem = _locked(problem)
        _dispatch(user, problem, "dispatch", department, (note or "").strip())
    return problem


# -- the department --------------------------------------------------------------------------------------


def accept_problem(user, problem: Problem, note: str = "") -> Problem:
    with transaction.atomic():
        problem = _locked(problem)
        _require_department(user, problem)
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "accept", user)
        problem.accepted_at = clock.now()
        problem.save(update_fields=["status", "accepted_at"])
        _step(user, problem, "accept", before, note=(note or "").strip())
    return problem


def return_problem(user, problem: Problem, reason: str) -> Problem:
    """Send a problem back to the dispatch centre: not this department's (the reason says whose)."""
    reason = _require_text(reason, _("请说明退回原因。"), "reason_required")
    with transaction.atomic():
        problem = _locked(problem)
        _require_department(user, problem)
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "return", user)
        problem.returned_at = clock.now()
        problem.save(update_fields=["status", "returned_at"])
        _step(user, problem, "return", before, note=reason)
        notices.returned(problem, reason)
    return problem


def report_progress(user, problem: Problem, note: str, photos=()) -> Problem:
    note = _require_text(note, _("请填写整改进展。"), "note_required")
    cleaned = clean_photos(user, photos)
    with transaction.atomic():
        problem = _locked(problem)
        _require_department(user, problem)
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "progress", user)
        _step(
            user,
            problem,
            "progress",
            before,
            note=note,
            photos=cleaned,
            photo_kind=ProblemPhoto.Kind.PROGRESS,
        )
    return problem


def plan_long_term(user, problem: Problem, plan: str, due_date: datetime.date) -> Problem:
    """A rectification that takes months (a sewage main, a relocation) gets a plan and its own due date."""
    plan = _require_text(plan, _("请填写长期整改方案。"), "plan_required")
    with transaction.atomic():
        problem = _locked(problem)
        _require_department(user, problem)
        if due_date is None or due_date <= max(clock.today(), problem.due_date or clock.today()):
            raise ValidationError({"due_date": _("长期整改期限应晚于当前办理期限。")})
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "plan_long_term", user)
        problem.long_term = True
        problem.long_term_plan = plan
        problem.due_date = due_date
        problem.due_date_provisional = False
        problem.clock_started_on = problem.clock_days = None  # a date set by the plan, not a count
        problem.warned_at = problem.escalated_at = None
        problem.save(update_fields=["long_term", "long_term_plan", *CLOCK_FIELDS])
        _step(user, problem, "plan_long_term", before, note=plan, after={"due_date": due_date.isoformat()})
        notices.planned_long_term(problem)
    return problem


def rectify_problem(user, problem: Problem, note: str, photos=()) -> Problem:
    """The department says the problem is rectified, with what it did and (where the category asks) photos."""
    note = _require_text(note, _("请说明整改情况。"), "note_required")
    cleaned = clean_photos(user, photos)
    with transaction.atomic():
        problem = _locked(problem)
        _require_department(user, problem)
        PROBLEM_TRANSITIONS.check(problem, "rectify", user)  # the state first: a 409 before a 400
        if problem.category.evidence_required and not cleaned:
            raise ValidationError({"photos": _("该类问题须上传整改佐证照片。")})
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "rectify", user)
        problem.rectified_at = clock.now()
        problem.resolution = note
        problem.save(update_fields=["status", "rectified_at", "resolution"])
        _step(
            user, problem, "rectify", before, note=note, photos=cleaned, photo_kind=ProblemPhoto.Kind.EVIDENCE
        )
        notices.rectified(problem)
    return problem


# -- verification, reopening, rating ---------------------------------------------------------------------


def verifier_of(problem) -> str:
    """Who verifies this problem: the category's verifier, the dispatch centre when that is the reporter and
    the reporter has no account."""
    verifier = problem.category.verifier
    if verifier == ProblemCategory.Verifier.REPORTER and not problem.reporter_id:
        return ProblemCategory.Verifier.DISPATCH
    return verifier


def may_verify(user, problem) -> bool:
    if user is None or not user.is_authenticated:
        return False
    roles = _roles(user)
    verifier = verifier_of(problem)
    if verifier == ProblemCategory.Verifier.REPORTER:
        return user.pk == problem.reporter_id
    if verifier == ProblemCategory.Verifier.INSPECTOR:
        return bool(roles & {"inspector", "dispatcher"})
    return "dispatcher" in roles


def _table_user(user, problem):
    """Whom the table checks: a reporter acting on their own problem (their identity checked by the service)
    may hold no role at all — a citizen's account — so the platform takes the row on their behalf."""
    return None if user is not None and user.pk == problem.reporter_id else user


def verify_problem(user, problem: Problem, passed: bool, note: str = "", photos=()) -> Problem:
    """Passed: the problem closes (on time or not, in how many working days). Failed: back to the department
    as a rework, with what is still wrong."""
    if not passed:
        note = _require_text(note, _("请说明核查未通过的原因。"), "note_required")
    cleaned = clean_photos(user, photos)
    with transaction.atomic():
        problem = _locked(problem)
        if not may_verify(user, problem):
            raise PermissionDenied(_("您不是该问题的核查人。"))
        action = "pass" if passed else "fail"
        before, _after = PROBLEM_TRANSITIONS.apply(problem, action, _table_user(user, problem))
        fields = ["status"]
        if passed:
            fields += _close(problem)
        else:
            problem.rework_count = F("rework_count") + 1
            problem.rectified_at = None
            fields += ["rework_count", "rectified_at"]
        problem.save(update_fields=fields)
        problem.refresh_from_db(fields=["rework_count"])
        _step(
            user,
            problem,
            action,
            before,
            note=(note or "").strip(),
            photos=cleaned,
            photo_kind=ProblemPhoto.Kind.VERIFICATION,
        )
        notices.verified(problem, passed, note)
        if passed and problem.parent_id:
            _close_parent_if_done(problem.parent_id)
    return problem


def _close(problem) -> list[str]:
    """Mark a problem closed now; the fields to save."""
    now = clock.now()
    problem.closed_at = now
    if problem.due_date is not None:
        problem.closed_on_time = now.date() <= problem.due_date
    if problem.dispatched_at is not None:
        problem.working_days = max(0, working_days_between(problem.dispatched_at.date(), now.date()))
    return ["closed_at", "closed_on_time", "working_days"]


def _close_parent_if_done(parent_id) -> None:
    parent = Problem.objects.select_for_update().select_related("category").get(pk=parent_id)
    if parent.status != S.SPLIT or parent.children.exclude(status__in=DONE_STATES).exists():
        return
    before, _after = PROBLEM_TRANSITIONS.apply(parent, "close_split", None)
    fields = ["status", *_close(parent)]
    parent.save(update_fields=fields)
    _step(None, parent, "close_split", before)
    notices.verified(parent, True, "")


def reopen_problem(user, problem: Problem, reason: str, *, code: str = "") -> Problem:
    """The reporter (by account, or by follow-up code without one) reopens a closed problem within the
    category's days: back to the department, with a new deadline."""
    reason = _require_text(reason, _("请说明重新打开的原因。"), "reason_required")
    with transaction.atomic():
        problem = _locked(problem)
        by_code = bool(code) and code == problem.follow_up_code
        is_reporter = getattr(user, "is_authenticated", False) and user.pk == problem.reporter_id
        if not (by_code or is_reporter):
            raise PermissionDenied(_("只有报告人可以重新打开问题。"))
        if problem.status == S.CLOSED and (
            problem.closed_at is None
            or clock.now() - problem.closed_at > datetime.timedelta(days=problem.category.reopen_days)
        ):
            raise IllegalTransition(
                problem,
                "reopen",
                _("办结已超过 %(days)s 天,不能重新打开;如问题仍在,请重新报告。")
                % {"days": problem.category.reopen_days},
            )
        if problem.department_id is None:
            raise IllegalTransition(problem, "reopen", _("该问题未经部门办理,不能重新打开。"))
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "reopen", None)
        problem.reopen_count = F("reopen_count") + 1
        problem.closed_at = problem.closed_on_time = problem.working_days = problem.rectified_at = None
        problem.satisfaction = None
        problem.long_term = False
        _set_deadline(problem, clock.today(), problem.category.deadline_days)
        problem.save(
            update_fields=["status", "reopen_count", "closed_at", "closed_on_time", "working_days"]
            + ["rectified_at", "satisfaction", "long_term", *CLOCK_FIELDS]
        )
        problem.refresh_from_db(fields=["reopen_count"])
        _step(user if is_reporter else None, problem, "reopen", before, note=reason)
        notices.reopened(problem, reason)
    return problem


def rate_problem(user, problem: Problem, satisfaction, *, code: str = "") -> Problem:
    """The reporter's satisfaction (1–5) with a closed problem."""
    try:
        satisfaction = int(satisfaction)
    except (TypeError, ValueError):
        satisfaction = 0
    if not 1 <= satisfaction <= 5:
        raise ValidationError({"satisfaction": _("满意度应为 1 到 5。")})
    with transaction.atomic():
        problem = _locked(problem)
        by_code = bool(code) and code == problem.follow_up_code
        is_reporter = getattr(user, "is_authenticated", False) and user.pk == problem.reporter_id
        if not (by_code or is_reporter):
            raise PermissionDenied(_("只有报告人可以评价。"))
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "rate", None)
        problem.satisfaction = satisfaction
        problem.save(update_fields=["satisfaction"])
        _step(user if is_reporter else None, problem, "rate", before, after={"satisfaction": satisfaction})
    return problem


# -- the dispatch centre: merge, split, dismiss ----------------------------------------------------------


def merge_problem(user, problem: Problem, into: Problem, note: str = "") -> Problem:
    """A duplicate joins the problem it repeats: it is done, and its reporter follows the surviving one."""
    if into is None or into.pk == problem.pk:
        raise ValidationError({"into": _("请选择另一个问题作为合并目标。")})
    with transaction.atomic():
        # Lock both in id order, so two merges of the same pair cannot deadlock.
        locked = {
            p.pk: p
            for p in Problem.objects.select_for_update()
            .select_related("category")
            .filter(pk__in=[problem.pk, into.pk])
            .order_by("pk")
        }
        problem, into = locked[problem.pk], locked[into.pk]
        if into.status in DONE_STATES or into.merged_into_id:
            raise ValidationError(
                {"into": _("合并目标 %(number)s 已结束,不能合并。") % {"number": into.number}}
            )
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "merge", user)
        problem.merged_into = into
        problem.closed_at = clock.now()
        problem.save(update_fields=["status", "merged_into", "closed_at"])
        _step(user, problem, "merge", before, note=(note or "").strip(), after={"into": into.number})
        notices.merged(problem, into)
        if problem.parent_id:  # a split's last open child may end by a merge: the parent closes with it
            _close_parent_if_done(problem.parent_id)
    return problem


@dataclass
class Part:
    """One sub-problem of a split: what it is about and the department that takes it."""

    title: str
    department: object
    description: str = ""


def split_problem(user, problem: Problem, parts: list[Part], note: str = "") -> list[Problem]:
    """One report, several departments' work: each part becomes a sub-problem dispatched to its department;
    the parent waits and closes with its last child."""
    if len(parts) < 2:
        raise ValidationError({"parts": _("拆分至少需要两个子问题。")})
    for part in parts:
        if not (part.title or "").strip() or part.department is None or not part.department.is_active:
            raise ValidationError({"parts": _("每个子问题都须有标题和启用的责任部门。")})
    with transaction.atomic():
        problem = _locked(problem)
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "split", user)
        problem.save(update_fields=["status"])
        _step(user, problem, "split", before, note=(note or "").strip(), after={"parts": len(parts)})
        calendar = WorkingCalendar()
        children = []
        for part in parts:
            child = Problem(
                number=f"{problem.number}-{len(children) + 1}",
                title=part.title.strip()[:120],
                description=(part.description or "").strip() or problem.description,
                category=problem.category,
                source=problem.source,
                latitude=problem.latitude,
                longitude=problem.longitude,
                address=problem.address,
                area=problem.area,
                enterprise=problem.enterprise,
                project=problem.project,
                section_id=problem.section_id,
                reporter=problem.reporter,
                reporter_name=problem.reporter_name,
                reporter_phone=problem.reporter_phone,
                follow_up_code=new_follow_up_code(),
                parent=problem,
            )
            child.save()
            _step(user, child, "report", "")
            _dispatch(user, child, "dispatch", part.department, calendar=calendar)
            children.append(child)
    return children


def dismiss_problem(user, problem: Problem, reason: str) -> Problem:
    """Not a problem for the platform (a private dispute, a report with nothing in it): done, with why."""
    reason = _require_text(reason, _("请说明不予受理的原因。"), "reason_required")
    with transaction.atomic():
        problem = _locked(problem)
        before, _after = PROBLEM_TRANSITIONS.apply(problem, "dismiss", user)
        problem.closed_at = clock.now()
        problem.resolution = reason
        problem.save(update_fields=["status", "closed_at", "resolution"])
        _step(user, problem, "dismiss", before, note=reason)
        notices.dismissed(problem, reason)
        if problem.parent_id:  # or by a dismissal
            _close_parent_if_done(problem.parent_id)
    return problem
