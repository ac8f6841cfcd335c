"""The meetings each organization must hold (`MeetingRule`, 三会一课 and 主题党日): whether the current period's
is held, for the organization's page, and the morning reminder to the officers of those that have not held it
as the period's end nears — once per organization, rule and period (a deduplicated notification), so the scan
may run any number of times."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from sciencecity.notifications.services import notify
from sciencecity.workdays import clock
from sciencecity.workflow.duties import morning_duty

from .models import Activity, MeetingRule, Officer, Organization
from .notifications import PartyNoticeKind


def period(day: datetime.date, every_months: int) -> tuple[datetime.date, datetime.date]:
    """The period of `every_months` months (aligned on the year) that holds `day`: its first and last days."""
    first_month = (day.month - 1) // every_months * every_months + 1
    start = datetime.date(day.year, first_month, 1)
    end_month = first_month + every_months
    after = datetime.date(day.year + (end_month - 1) // 12, (end_month - 1) % 12 + 1, 1)
    return start, after - datetime.timedelta(days=1)


@dataclass(frozen=True)
class Obligation:
    rule: MeetingRule
    start: datetime.date
    end: datetime.date
    held: bool
    due_soon: bool  # not held, and within the reminder's days of the period's end


def obligations(organization: Organization, today: datetime.date | None = None) -> list[Obligation]:
    """This period's required meetings of `organization` and whether each is held (two queries)."""
    today = today or clock.today()
    rules = [
        rule
        for rule in MeetingRule.objects.filter(is_active=True)
        if organization.kind in rule.organization_kinds
    ]
    if not rules or not organization.is_active:
        return []
    earliest = min(period(today, rule.every_months)[0] for rule in rules)
    held = {
        (kind, day)
        for kind, day in Activity.objects.filter(
            organization=organization, held_on__gte=earliest, held_on__lte=today
        ).values_list("kind", "held_on")
    }
    result = []
    for rule in rules:
        start, end = period(today, rule.every_months)
        done = any(kind == rule.kind and start <= day <= end for kind, day in held)
        result.append(Obligation(rule, start, end, done, not done and (end - today).days <= rule.remind_days))
    return result


def _recipients(organization: Organization, posts: dict) -> list:
    """The organization's officers, or those of the nearest organization above that has some."""
    for path in reversed(organization.ancestor_paths()):
        if path in posts:
            return posts[path]
    return []


@morning_duty("party_meetings")
def remind(today: datetime.date | None = None) -> dict:
    today = today or clock.today()
    posts: dict[str, list] = {}
    for post in Officer.objects.filter(until__isnull=True).select_related("user", "organization"):
        posts.setdefault(post.organization.path, []).append(post.user)
    reminded = 0
    for rule in MeetingRule.objects.filter(is_active=True):
        start, end = period(today, rule.every_months)
        if (end - today).days > rule.remind_days:
            continue
        held = Activity.objects.filter(kind=rule.kind, held_on__gte=start, held_on__lte=end).values(
            "organization_id"
        )
        missing = Organization.objects.active().filter(
            kind__in=rule.organization_kinds, established_on__lte=start
        )
        for organization in missing.exclude(pk__in=held).iterator(chunk_size=500):
            label, due = rule.get_kind_display(), end

            def compose(organization=organization, label=label, due=due):
                return (
                    _("%(organization)s 本期尚未开展%(kind)s")
                    % {"organization": organization.name, "kind": label},
                    _(
                        "按组织生活要求,%(organization)s 应在 %(end)s 前开展%(kind)s,目前还没有记录。开展后请在组织页面记录。"
                    )
                    % {"organization": organization.name, "end": due.isoformat(), "kind": label},
                )

            sent = notify(
                _recipients(organization, posts),
                PartyNoticeKind.MEETING_DUE,
                compose,
                about=organization,
                dedupe_key=f"party-meeting:{organization.pk}:{rule.kind}:{start.isoformat()}",
            )
            reminded += bool(sent)
    return {"reminded": reminded}
