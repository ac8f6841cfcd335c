"""Mass starts (集中开工): recording an event, adding its projects with their investment in the event, taking a
project out, and correcting the event's details — each in one transaction, locked, audited.

A project starts once, so it is in at most one event. Adding it dates its start through the project's own
services, never around them: where the project's start milestone (开工) has no actual date yet,
`schedule.set_milestone` sets it to the event's day; where its phase is still before 开工 (签约, 供地, 审批),
`registry.change_project_phase` moves it to 开工 on that day (refused like any phase change dated before the
previous one). A start already dated is kept. Taking a project out leaves its start as it stands: the phase
never moves back, and a wrong date is corrected on the project's page.

The event's project count and total investment are kept here from its rows (never typed), so lists and the
cockpit read them from the event.

Who may: the system (`user=None`: the demo) and civil servants holding both `projects.record_mass_start`
and `projects.change_project` (project specialists and administrators), since each start is a change to the
project's file.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from sciencecity.accounts.scoping import is_civil_servant
from sciencecity.audit import record
from sciencecity.problems.services.photos import clean_photo
from sciencecity.workdays import clock
from sciencecity.workflow.errors import field_error

from ..models import RECORD_MASS_START, MassStart, MassStartProject, Milestone, MilestoneKind, Project
from . import registry, schedule, warnings

CHANGE = "projects.change_project"
Phase = Project.Phase
BEFORE_START = (Phase.SIGNED, Phase.LAND_SUPPLIED, Phase.APPROVAL)
EVENT_FIELDS = ("name", "held_on", "place", "organizer", "description")
MAX_PROJECTS = 500  # rows of one request: the largest events of a zone start a few hundred projects


@dataclass
class Entry:
    """A project to add, with its investment in the event (its total investment when None)."""

    project: Project
    investment: Decimal | None = None


def may_record(user) -> bool:
    return user is None or (
        is_civil_servant(user) and user.has_perm(RECORD_MASS_START) and user.has_perm(CHANGE)
    )


def require_recorder(user) -> None:
    if not may_record(user):
        raise PermissionDenied(_("只有项目管理人员可以登记集中开工活动。"))


def _clean_details(fields: dict, *, partial: bool = False) -> dict:
    """The event's details stripped and checked; every wrong field at once."""
    cleaned, errors = {}, {}
    limits = {"name": 200, "place": 200, "organizer": 200, "description": 5000}
    required = {
        "name": _("请填写活动名称。"),
        "place": _("请填写活动地点。"),
        "organizer": _("请填写主办单位。"),
    }
    for key, limit in limits.items():
        if partial and key not in fields:
            continue
        value = (fields.get(key) or "").strip()
        if key in required and not value:
            errors[key] = required[key]
        elif len(value) > limit:
            errors[key] = _("不能超过 %(n)s 个字。") % {"n": limit}
        cleaned[key] = value
    if not partial or "held_on" in fields:
        day = fields.get("held_on")
        if not isinstance(day, datetime.date):
            errors["held_on"] = _("请填写开工日期。")
        elif day > clock.today():
            errors["held_on"] = _("开工日期不能晚于今天:集中开工活动在举行后登记。")
        else:
            cleaned["held_on"] = day
    if errors:
        raise ValidationError(errors)
    return cleaned


def _totals(event: MassStart) -> None:
    """The event's count and total, from its rows."""
    totals = MassStartProject.objects.filter(event=event).aggregate(
        count=Count("id"), total=Sum("investment")
    )
    event.project_count = totals["count"]
    event.total_investment = totals["total"] or Decimal("0")
    event.save(update_fields=["project_count", "total_investment"])


def _snapshot(event: MassStart) -> dict:
    return {
        "name": event.name,
        "held_on": event.held_on.isoformat(),
        "place": event.place,
        "organizer": event.organizer,
        "description": event.description,
        "photo": bool(event.photo),
    }


@transaction.atomic
def record_mass_start(user, *, photo=None, projects=(), **fields) -> MassStart:
    """Record a mass start that took place (name, day, place, organiser, description, a photo) with its
    projects (`Entry` rows, optional: they may be added later)."""
    require_recorder(user)
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown mass start fields: {', '.join(sorted(unknown))}")
    cleaned = _clean_details(fields)
    picture = clean_photo(photo) if photo else None
    event = MassStart(**cleaned, created_by=user if getattr(user, "is_authenticated", False) else None)
    if picture is not None:
        event.photo.save(picture.name, picture, save=False)
    event.save()
    record(user, "projects.record_mass_start", event, after=_snapshot(event))
    if projects:
        add_projects(user, event, projects)
        event.refresh_from_db()
    return event


@transaction.atomic
def update_mass_start(user, event: MassStart, *, photo=None, **fields) -> MassStart:
    """Correct the event's details. Its day changes only while it has no projects: their starts are dated by
    it (take them out, change the day, add them again)."""
    require_recorder(user)
    unknown = set(fields) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown mass start fields: {', '.join(sorted(unknown))}")
    event = MassStart.objects.select_for_update().get(pk=event.pk)
    cleaned = _clean_details(fields, partial=True)
    if "held_on" in cleaned and cleaned["held_on"] != event.held_on and event.entries.exists():
        raise field_error(
            "held_on",
            _("本次活动已有开工项目,其开工日期按活动日期记录,不能直接修改活动日期;请先移出项目。"),
            "mass_start_has_projects",
        )
    before = _snapshot(event)
    for key, value in cleaned.items():
        setattr(event, key, value)
    if photo:
        picture = clean_photo(photo)
        event.photo.save(picture.name, picture, save=False)
    after = _snapshot(event)
    if after == before and not photo:
        return event
    event.save()
    record(user, "projects.update_mass_start", event, before=before, after=after)
    return event


def _investment(entry: Entry, project: Project, errors: list) -> Decimal | None:
    if entry.investment in (None, ""):
        return project.total_investment
    try:
        amount = Decimal(str(entry.investment)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors.append(_("项目 %(code)s 的开工投资不是金额。") % {"code": project.code})
        return None
    if amount <= 0:
        errors.append(_("项目 %(code)s 的开工投资应大于零。") % {"code": project.code})
        return None
    if amount > project.total_investment:
        errors.append(
            _("项目 %(code)s 的开工投资(%(amount)s 万元)不能超过其总投资(%(total)s 万元)。")
            % {"code": project.code, "amount": amount, "total": project.total_investment}
        )
        return None
    return amount


def _start_kind(project: Project) -> MilestoneKind | None:
    return next(
        (kind for kind in schedule.milestone_kinds(project) if kind.marks == MilestoneKind.Mark.START), None
    )


def _date_start(user, event: MassStart, project: Project) -> bool:
    """Date the project's start by the event where nothing dated it yet; whether it did."""
    dated = False
    kind = _start_kind(project)
    if kind is not None:
        milestone = Milestone.objects.filter(project=project, stage__isnull=True, kind=kind).first()
        if milestone is None or milestone.actual_on is None:
            schedule.set_milestone(
                user,
                project,
                kind.code,
                planned_on=milestone.planned_on if milestone else None,
                actual_on=event.held_on,
            )
            dated = True
    if project.phase in BEFORE_START:
        note = _("集中开工:%(event)s") % {"event": event.name}
        registry.change_project_phase(user, project, Phase.STARTED, on=event.held_on, note=note[:500])
        dated = True
    return dated


@transaction.atomic
def add_projects(user, event: MassStart, entries) -> list[MassStartProject]:
    """Add projects to the event, each with its investment in it; dates their starts (see the module). Nothing
    is added when one of them is refused: every refusal is listed under `projects`."""
    require_recorder(user)
    event = MassStart.objects.select_for_update().get(pk=event.pk)
    entries = [entry if isinstance(entry, Entry) else Entry(*entry) for entry in entries]
    if not entries:
        raise field_error("projects", _("请至少选择一个项目。"), "required")
    if len(entries) > MAX_PROJECTS:
        raise field_error(
            "projects", _("一次最多添加 %(n)s 个项目。") % {"n": MAX_PROJECTS}, "too_many_projects"
        )
    ids = [entry.project.pk for entry in entries]
    projects = {p.pk: p for p in Project.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    taken = {
        row.project_id: row.event
        for row in MassStartProject.objects.filter(project_id__in=ids).select_related("event")
    }
    errors, seen, rows = [], set(), []
    for entry in entries:
        project = projects.get(entry.project.pk)
        if project is None:
            errors.append(_("项目不存在。"))
            continue
        if project.pk in seen:
            errors.append(_("项目 %(code)s 重复列出。") % {"code": project.code})
            continue
        seen.add(project.pk)
        if project.pk in taken:
            other = taken[project.pk]
            errors.append(
                _("项目 %(code)s 已在 %(day)s 的“%(event)s”中集中开工:一个项目只开工一次。")
                % {"code": project.code, "day": other.held_on.isoformat(), "event": other.name}
            )
            continue
        amount = _investment(entry, project, errors)
        if amount is not None:
            rows.append((project, amount))
    if errors:
        raise ValidationError({"projects": errors})
    actor = user if getattr(user, "is_authenticated", False) else None
    added = []
    for project, amount in rows:
        try:
            started = _date_start(user, event, project)
        except ValidationError as error:
            reasons = ";".join(error.messages)
            raise ValidationError(
                {"projects": [_("项目 %(code)s:%(reason)s") % {"code": project.code, "reason": reasons}]}
            ) from error
        added.append(
            MassStartProject(
                event=event, project=project, investment=amount, started_here=started, added_by=actor
            )
        )
    MassStartProject.objects.bulk_create(added)
    _totals(event)
    warnings.refresh([project.pk for project, _amount in rows])
    record(
        user,
        "projects.add_mass_start_projects",
        event,
        after={
            "projects": [project.code for project, _amount in rows],
            "investment": str(sum((amount for _project, amount in rows), Decimal("0"))),
        },
    )
    return added


@transaction.atomic
def remove_project(user, event: MassStart, project) -> MassStart:
    """Take a project out of the event (recorded there by mistake). Its start stays as dated."""
    require_recorder(user)
    event = MassStart.objects.select_for_update().get(pk=event.pk)
    project_id = project.pk if isinstance(project, Project) else project
    entry = (
        MassStartProject.objects.filter(event=event, project_id=project_id).select_related("project").first()
    )
    if entry is None:
        raise field_error("project", _("该项目不在本次集中开工活动中。"), "not_in_mass_start")
    entry.delete()
    _totals(event)
    record(
        user,
        "projects.remove_mass_start_project",
        event,
        before={"projects": [entry.project.code], "investment": str(entry.investment)},
    )
    return event
