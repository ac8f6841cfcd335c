"""What projects tell people, and the report day's duty of the morning scan.

`daily_duty` runs each working morning with the deadline scan (`approvals.deadline_tasks`): a few days before
the report day (`PROJECT_REPORT_REMIND_DAYS`) the units of key projects under construction whose report of the
month is missing are reminded; the day after it, those still missing are warned together with the project's
escort lead, and every project's warning colour is recomputed. Each notice carries a dedupe key, so a second
run the same day (or a run the day after a missed one) sends nothing twice.
"""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.enterprises.selectors import people_of
from sciencecity.notifications import kinds, subjects
from sciencecity.notifications import services as notifications
from sciencecity.notifications.subjects import Link
from sciencecity.workdays import clock

from .models import EscortMember, MonthlyReport, Project, RoundScore
from .services import campaign, warnings


class ProjectNoticeKind(models.TextChoices):
    REPORT_DUE = "project_report_due", gettext_lazy("月报即将截止")
    REPORT_MISSING = "project_report_missing", gettext_lazy("月报逾期未报")
    CAMPAIGN_RESULT = "project_campaign_result", gettext_lazy("“三比一争”评比结果")


def project_links(user, projects) -> dict[int, Link]:
    """The project's page for whoever may see it: the portal's for its enterprise, the staff page for the
    zone's civil servants."""
    visible = set(
        Project.objects.for_user(user).filter(pk__in=[p.pk for p in projects]).values_list("pk", flat=True)
    )
    links = {}
    for project in projects:
        if project.pk not in visible:
            continue
        own = user.enterprise_id and user.enterprise_id == project.enterprise_id
        url = reverse("approvals:portal_project" if own else "approvals:project", args=[project.pk])
        links[project.pk] = Link(url, _("查看项目 %(code)s") % {"code": project.code})
    return links


def register() -> None:
    kinds.register(ProjectNoticeKind)
    subjects.register(
        Project, links=project_links, queryset=Project.objects.only("id", "code", "enterprise_id")
    )


def _reporting_projects(month: datetime.date):
    """Key projects under construction without a report of `month`."""
    return (
        Project.objects.filter(is_key=True, phase__in=warnings.REPORTING_PHASES)
        .exclude(pk__in=MonthlyReport.objects.filter(month=month).values("project_id"))
        .select_related("enterprise")
        .order_by("pk")
    )


def _leads(project_ids) -> dict[int, object]:
    return {
        member.project_id: member.user
        for member in EscortMember.objects.filter(
            project_id__in=project_ids, role=EscortMember.Role.LEAD
        ).select_related("user")
    }


def daily_duty(today: datetime.date | None = None) -> dict:
    """The report day's reminders and warnings, and the recount of the warning colours."""
    today = today or clock.today()
    month = today.replace(day=1)
    due = month.replace(day=settings.PROJECT_REPORT_DAY)
    summary = {"reminded": 0, "late": 0, "warnings": None}
    if due - datetime.timedelta(days=settings.PROJECT_REPORT_REMIND_DAYS) <= today <= due:
        summary["reminded"] = _remind(month, due)
    elif today > due:
        summary["late"] = _warn_late(month, due)
    # Every morning, not only the day after the report day: an overdue problem or a late start turns a project
    # yellow the day it happens, and an unchanged colour costs a read, not a write.
    summary["warnings"] = warnings.refresh(today=today)
    # After the colours, which the campaign's warning measure reads.
    summary["rounds_scored"] = campaign.score_due_rounds(today)
    return summary


def tell_distinctions(round_) -> int:
    """Tell the pioneers (红旗) and the bottom places (约谈) of a published round: the project's unit and its
    escort lead. Inside `publish_round`'s transaction; a second call sends nothing twice."""
    scores = list(
        RoundScore.objects.filter(round=round_)
        .exclude(distinction="")
        .select_related("project")
        .order_by("rank", "project_id")
    )
    projects = [score.project for score in scores]
    people = people_of({project.enterprise_id for project in projects})
    leads = _leads([project.pk for project in projects])
    name = f"{round_.campaign.name}"
    sent = 0
    for score in scores:
        project = score.project
        values = {"campaign": name, "number": round_.number, "project": project.name, "rank": score.rank}
        if score.distinction == RoundScore.Distinction.PIONEER:
            compose = lambda values=values: (  # noqa: E731 - composed again in each reader's language
                _("红旗项目:%(project)s") % values,
                _("项目“%(project)s”在%(campaign)s第%(number)s轮评比中名列第 %(rank)s,获评红旗项目。")
                % values,
            )
        else:
            compose = lambda values=values: (  # noqa: E731
                _("约谈提醒:%(project)s") % values,
                _(
                    "项目“%(project)s”在%(campaign)s第%(number)s轮评比中名列第 %(rank)s,位列后位,将被约谈,请分析原因、限期整改。"
                )
                % values,
            )
        sent += len(
            notifications.notify(
                [*people.get(project.enterprise_id, []), leads.get(project.pk)],
                ProjectNoticeKind.CAMPAIGN_RESULT,
                compose,
                about=project,
                dedupe_key=f"campaign-round-{round_.pk}-{project.pk}",
            )
        )
    return sent


def _remind(month, due) -> int:
    projects = list(_reporting_projects(month))
    people = people_of({project.enterprise_id for project in projects})
    sent = 0
    for project in projects:
        sent += len(
            notifications.notify(
                people.get(project.enterprise_id, []),
                ProjectNoticeKind.REPORT_DUE,
                lambda project=project: (
                    _("请于 %(due)s 前报送%(month)s月报")
                    % {"due": due.isoformat(), "month": f"{month:%Y-%m}"},
                    _("项目“%(project)s”%(month)s的月报尚未报送,请于 %(due)s 前报送。")
                    % {"project": project.name, "month": f"{month:%Y-%m}", "due": due.isoformat()},
                ),
                about=project,
                dedupe_key=f"project-report-due-{project.pk}-{month:%Y-%m}",
            )
        )
    return sent


def _warn_late(month, due) -> int:
    projects = list(_reporting_projects(month))
    people = people_of({project.enterprise_id for project in projects})
    leads = _leads([project.pk for project in projects])
    sent = 0
    for project in projects:
        recipients = [*people.get(project.enterprise_id, []), leads.get(project.pk)]
        sent += len(
            notifications.notify(
                recipients,
                ProjectNoticeKind.REPORT_MISSING,
                lambda project=project: (
                    _("%(month)s月报逾期未报:%(project)s")
                    % {"month": f"{month:%Y-%m}", "project": project.name},
                    _(
                        "项目“%(project)s”%(month)s的月报应于 %(due)s 前报送,至今未报,项目将亮黄灯,请尽快补报。"
                    )
                    % {"project": project.name, "month": f"{month:%Y-%m}", "due": due.isoformat()},
                ),
                about=project,
                dedupe_key=f"project-report-missing-{project.pk}-{month:%Y-%m}",
            )
        )
    return sent
