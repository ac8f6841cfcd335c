"""The register's services: recording checks its input and computes, once, whether it is late (more than the
set number of working days after the interaction) and whether it touches the negative list; a flagged record
notifies the supervisors; the enterprise's answer is a transition table (each row walked, a refused answer
changes nothing); findings are the supervisors'; each user reads what their scope allows."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.interactions import services
from sciencecity.interactions.models import Interaction, ListItem
from sciencecity.notifications.models import Notification
from sciencecity.workflow.transitions import IllegalTransition

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 11, 24)  # a Tuesday
YESTERDAY = D(2026, 11, 23)


def record(register, occurred_on=YESTERDAY, items=None, user=None, **fields):
    return services.record_interaction(
        user or register.official,
        enterprise=fields.pop("enterprise", register.visited),
        kind=fields.pop("kind", "visit"),
        occurred_on=occurred_on,
        place=fields.pop("place", "企业会议室"),
        purpose=fields.pop("purpose", "了解环评手续办理进度"),
        items=items or [register.visit],
        officials_present=fields.pop("officials_present", "张伟(科长)"),
        **fields,
    )


def test_a_record_on_time_is_not_flagged(register):
    interaction = record(register)
    assert interaction.number.startswith("ZS2026")
    assert interaction.due_on == D(2026, 11, 26)  # three working days after Monday
    assert not interaction.late and not interaction.forbidden and not interaction.flagged
    assert interaction.department == register.ecology
    assert AuditEvent.objects.filter(action="interactions.record").count() == 1
    assert not Notification.objects.filter(kind="interaction_flagged").exists()


def test_a_late_record_is_flagged_to_the_supervisors(register):
    interaction = record(register, occurred_on=D(2026, 11, 16))  # due Thursday 11-19
    assert interaction.due_on == D(2026, 11, 19) and interaction.late
    (notice,) = Notification.objects.filter(kind="interaction_flagged")
    assert notice.recipient == register.supervisor and "逾期登记" in notice.body
    assert "late" in notice.body_en.lower()


def test_the_deadline_counts_working_days_across_a_weekend(register):
    friday = record(register, occurred_on=D(2026, 11, 20))
    assert friday.due_on == D(2026, 11, 25) and not friday.late


def test_a_forbidden_item_flags_the_record(register):
    interaction = record(register, items=[register.visit, register.gifts])
    assert interaction.forbidden and not interaction.late
    assert set(interaction.items.values_list("code", flat=True)) == {"enc-visit", "for-gifts"}
    assert Notification.objects.filter(kind="interaction_flagged", recipient=register.supervisor).exists()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"occurred_on": D(2026, 11, 25)}, "occurred_on"),
        ({"occurred_on": D(2025, 11, 1)}, "occurred_on"),
        ({"items": ["nothing"]}, "items"),
        ({"kind": "banquet"}, "kind"),
        ({"place": "  "}, "place"),
        ({"purpose": "x" * 2001}, "purpose"),
        ({"officials_present": "张\x00伟"}, "officials_present"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(register, fields, error):
    with pytest.raises(ValidationError) as refused:
        record(register, **fields)
    assert error in refused.value.message_dict
    assert not Interaction.objects.exists() and not AuditEvent.objects.exists()


def test_a_retired_item_cannot_be_chosen(register):
    ListItem.objects.filter(pk=register.policy.pk).update(is_active=False)
    with pytest.raises(ValidationError):
        record(register, items=[register.visit, register.policy])


def test_only_officials_record(register):
    for user in (register.enterprise_user, register.supervisor):
        with pytest.raises(PermissionDenied):
            record(register, user=user)


@pytest.mark.parametrize("row", list(services.TRANSITIONS), ids=lambda row: f"{row.source}-{row.action}")
def test_every_row_of_the_enterprises_answer(register, row):
    interaction = record(register)
    done = services.respond(
        register.enterprise_user,
        interaction,
        row.action,
        "属实" if row.action == "confirm" else "当天没有来访",
    )
    assert done.response == row.target and done.responded_by == register.enterprise_user
    with pytest.raises(IllegalTransition):  # answered once
        services.respond(register.enterprise_user, done, "confirm")


def test_a_dispute_needs_a_reason_and_tells_the_supervisors_and_the_official(register):
    interaction = record(register)
    with pytest.raises(ValidationError):
        services.respond(register.enterprise_user, interaction, "dispute", "")
    interaction.refresh_from_db()
    assert interaction.response == Interaction.Response.PENDING
    services.respond(register.enterprise_user, interaction, "dispute", "当天没有来访")
    recipients = set(
        Notification.objects.filter(kind="interaction_disputed").values_list("recipient__username", flat=True)
    )
    assert recipients == {"supervisor", "eco-official"}


def test_only_the_visited_enterprise_answers(register):
    interaction = record(register)
    for user in (register.other_user, register.official):
        with pytest.raises(PermissionDenied):
            services.respond(user, interaction, "confirm")
    interaction.refresh_from_db()
    assert interaction.response == Interaction.Response.PENDING


def test_findings_are_the_supervisors(register):
    interaction = record(register, items=[register.gifts])
    finding = services.add_finding(register.supervisor, interaction, "concern", "请说明宴请情况")
    assert finding.author == register.supervisor
    for user in (register.official, register.leader, register.enterprise_user):
        with pytest.raises(PermissionDenied):
            services.add_finding(user, interaction, "note", "x")
    with pytest.raises(ValidationError):
        services.add_finding(register.supervisor, interaction, "verdict", "x")
    assert interaction.findings.count() == 1


def test_who_reads_what(register):
    mine = record(register)
    colleagues = record(register, user=register.colleague)
    elsewhere = record(register, user=register.outsider, enterprise=register.other)
    scope = lambda user: set(Interaction.objects.for_user(user))  # noqa: E731
    assert scope(register.official) == {mine}
    assert scope(register.head) == {mine, colleagues}
    assert scope(register.supervisor) == scope(register.leader) == {mine, colleagues, elsewhere}
    assert scope(register.enterprise_user) == {mine, colleagues}
    assert scope(register.other_user) == {elsewhere}


def test_a_supervisors_search(register):
    record(register, purpose="环评手续")
    late = record(register, occurred_on=D(2026, 11, 10), purpose="安全检查")
    found = services.search(Interaction.objects.all(), q="安全")
    assert list(found) == [late]
    assert list(services.search(Interaction.objects.all(), flagged=True)) == [late]
    assert list(services.search(Interaction.objects.all(), since=D(2026, 11, 20))) != [late]
