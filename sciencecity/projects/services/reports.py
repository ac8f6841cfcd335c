"""Monthly reports (项目月报) by the project unit, and the problems they raise.

A key project that has started reports each month by `settings.PROJECT_REPORT_DAY`: the investment completed
that month, the visual progress (形象进度) in per cent and in words, the workforce on site, photos, and the
problems it meets — each of which becomes a closed-loop problem (`problems.services.lifecycle.report_problem`,
source "project report"), routed to its department by the routing rules like any other. Writing a report
updates the year's plan (completed investment) and the project's investment to date, and recomputes the
project's warning at once, so the colour on the page is the colour the report made.

Who reports: the project's own enterprise (its people holding `projects.change_project`), or the platform
(`user` None: ledger imports, the demo). A month's report may be corrected until that month's report day;
afterwards it stands as reported (a later correction is a matter for the escort team and the ledger).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.problems.models import Problem
from sciencecity.problems.services.photos import MAX_PHOTOS, clean_photo
from sciencecity.workdays import clock

from ..models import InvestmentPlan, MonthlyReport, Project, ReportPhoto
from . import findings, warnings
from .escort import clean_text, is_own_enterprise

RaisedProblem = findings.RaisedProblem  # the problems a report raises (for the pages and the API)


def due_on(month: datetime.date) -> datetime.date:
    """The day the report of `month` is due."""
    return month.replace(day=warnings.report_day())


def first_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def must_report(project: Project) -> bool:
    return project.is_key and project.phase in warnings.REPORTING_PHASES


def _check(project, month, investment, progress_percent, progress_text, workforce, raised) -> dict:
    errors = {}
    today = clock.today()
    if not isinstance(month, datetime.date) or month.day != 1:
        errors["month"] = _("请选择月份。")
    elif month > first_of(today):
        errors["month"] = _("不能报送未来月份的月报。")
    try:
        investment = Decimal(str(investment)).quantize(Decimal("0.01"))
    except ArithmeticError:
        errors["investment"] = _("请输入金额。")
    else:
        if investment < 0:
            errors["investment"] = _("本月完成投资不能为负数。")
        elif investment > project.total_investment:
            errors["investment"] = _("本月完成投资不能超过项目总投资(%(total)s 万元)。") % {
                "total": project.total_investment
            }
    if not isinstance(progress_percent, int) or not 0 <= progress_percent <= 100:
        errors["progress_percent"] = _("形象进度应为 0 到 100 之间的整数。")
    if not isinstance(workforce, int) or not 0 <= workforce <= 100_000:
        errors["workforce"] = _("在场施工人数应为 0 到 100000 之间的整数。")
    try:
        progress_text = clean_text("progress_text", progress_text)
    except ValidationError as error:
        errors.update(error.message_dict)
    errors.update(findings.errors_of(raised))
    if errors:
        raise ValidationError(errors)
    return {"investment": investment, "progress_text": progress_text}


def submit_report(
    user,
    project: Project,
    month: datetime.date,
    *,
    investment,
    progress_percent: int,
    progress_text: str,
    workforce: int = 0,
    photos=(),
    problems: list[RaisedProblem] = (),
) -> MonthlyReport:
    """Report (or, until its report day, correct) the project's month; see the module docstring."""
    if user is not None and not (
        is_own_enterprise(user, project) and user.has_perm("projects.change_project")
    ):
        raise PermissionDenied(_("月报由项目单位报送。"))
    raised = list(problems or ())
    cleaned = _check(project, month, investment, progress_percent, progress_text, workforce, raised)
    uploads = [upload for upload in photos or () if upload]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({"photos": _("每次最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS}})
    pictures = [clean_photo(upload) for upload in uploads]
    today = clock.today()
    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=project.pk)
        report = MonthlyReport.objects.filter(project=project, month=month).first()
        before = None
        if report is not None:
            if today > due_on(month):
                raise ValidationError(
                    {
                        "month": _("%(month)s 的月报已报送,报送截止日已过,不能再修改。")
                        % {"month": f"{month:%Y-%m}"}
                    },
                    code="report_closed",
                )
            before = _snapshot(report)
        previous = MonthlyReport.objects.filter(project=project, month__lt=month).order_by("-month").first()
        if previous is not None and progress_percent < previous.progress_percent:
            raise ValidationError(
                {
                    "progress_percent": _("形象进度不能低于上月(%(month)s)报送的 %(percent)s%%。")
                    % {"month": f"{previous.month:%Y-%m}", "percent": previous.progress_percent}
                },
                code="progress_backwards",
            )
        delta = cleaned["investment"] - (report.investment if report else Decimal(0))
        if report is None:
            report = MonthlyReport(project=project, month=month)
        report.investment = cleaned["investment"]
        report.progress_percent = progress_percent
        report.progress_text = cleaned["progress_text"]
        report.workforce = workforce
        report.submitted_by = user if getattr(user, "is_authenticated", False) else None
        report.submitted_at = clock.now()
        report.is_late = today > due_on(month)
        report.save()
        _add_completed(project, month.year, delta)
        for picture in pictures:
            photo = ReportPhoto(report=report)
            photo.image.save(picture.name, picture, save=False)
            photo.save()
        report.problems.add(*findings.raise_problems(user, project, raised, Problem.Source.PROJECT_REPORT))
        record(
            user,
            "projects.submit_report" if before is None else "projects.correct_report",
            project,
            before=before,
            after={**_snapshot(report), "problems": [p.pk for p in report.problems.all()]},
        )
        warnings.refresh([project.pk], today=today)
    return report


def _snapshot(report: MonthlyReport) -> dict:
    return {
        "month": f"{report.month:%Y-%m}",
        "investment": str(report.investment),
        "progress_percent": report.progress_percent,
        "workforce": report.workforce,
    }


def _add_completed(project: Project, year: int, delta: Decimal) -> None:
    """Add this report's change of investment to the year's plan and to the project's total to date."""
    if not delta:
        return
    InvestmentPlan.objects.filter(project=project, year=year).update(completed=F("completed") + delta)
    Project.objects.filter(pk=project.pk).update(investment_to_date=F("investment_to_date") + delta)
