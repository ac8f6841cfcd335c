"""Meeting requirements (三会一课) as data: whether this period's meeting is held, on the organization's page;
the morning reminder to the officers of a branch that has not held it as the period ends — once per period,
not before the reminder's days, not for a branch that held it, to the nearest officers above when a branch has
none."""

import datetime

from django.urls import reverse

from sciencecity.notifications.models import Notification
from sciencecity.partybuilding import reminders
from sciencecity.partybuilding.models import MeetingRule
from sciencecity.partybuilding.services import activities
from sciencecity.workflow.duties import run_morning_duties

from .conftest import member


def _theme_day(organization, day):
    return activities.record_activity(None, organization, kind="theme_day", title="主题党日", held_on=day)


def test_the_seeded_requirements_are_the_usual_ones(db):
    rules = {rule.kind: rule.every_months for rule in MeetingRule.objects.all()}
    assert rules == {
        "theme_day": 1,
        "committee_meeting": 1,
        "group_meeting": 1,
        "general_meeting": 3,
        "party_lecture": 3,
    }


def test_periods_are_aligned_on_the_year():
    assert reminders.period(datetime.date(2026, 11, 24), 1) == (
        datetime.date(2026, 11, 1),
        datetime.date(2026, 11, 30),
    )
    assert reminders.period(datetime.date(2026, 11, 24), 3) == (
        datetime.date(2026, 10, 1),
        datetime.date(2026, 12, 31),
    )
    assert reminders.period(datetime.date(2026, 2, 3), 12) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )


def test_the_organization_page_shows_this_periods_meetings(client, tree):
    _theme_day(tree["housing"], datetime.date(2026, 11, 10))
    client.force_login(tree["secretary"])
    page = client.get(reverse("party:organization", args=[tree["housing"].pk]))
    rows = {row.rule.kind: row for row in page.context["obligations"]}
    assert rows["theme_day"].held and not rows["committee_meeting"].held
    assert rows["committee_meeting"].due_soon  # 24 November: six days before the month ends
    assert not rows["general_meeting"].due_soon  # the quarter ends on 31 December


def test_the_morning_reminds_the_officers_of_branches_that_have_not_held_it_once(tree):
    _theme_day(tree["housing"], datetime.date(2026, 11, 10))
    member(tree["planning"], 1)
    # 24 November: within seven days of the month's end. The planning branch has no officer: its nearest
    # officer above is the working committee's.
    summary = run_morning_duties()["party_meetings"]
    assert summary["reminded"] > 0
    housing = Notification.objects.filter(recipient=tree["secretary"], kind="party_meeting_due")
    titles = list(housing.values_list("title", flat=True))
    assert any("支部委员会会议" in title for title in titles)
    assert not any("主题党日" in title for title in titles)  # held this month
    assert Notification.objects.filter(
        recipient=tree["root_officer"], kind="party_meeting_due", title__contains="规自局机关党支部"
    ).exists()
    count = Notification.objects.count()
    run_morning_duties()
    assert Notification.objects.count() == count  # once per organization, rule and period


def test_nobody_is_reminded_before_the_reminder_days(tree, time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 10, 9, 0), tick=False)
    assert reminders.remind()["reminded"] == 0
