"""Service events' services: recording an event, its participants, a demand raised there becoming a closed-loop
problem of the enterprise, the outcome and cancellation, the entries in the interaction register; every refusal
(bad input, no right, wrong state) changes nothing; who sees which events and demands; the demand figures from
the problems' states."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from sciencecity.audit.models import AuditEvent
from sciencecity.interactions.models import EventDemand, EventParticipant, Interaction, ServiceEvent
from sciencecity.interactions.service_events import selectors, services
from sciencecity.notifications.models import Notification
from sciencecity.problems.models import Problem
from sciencecity.problems.services import lifecycle
from sciencecity.workflow.transitions import IllegalTransition

from .events_world import AHEAD, PAST, demand, held_event, moment

pytestmark = pytest.mark.django_db


# --- recording an event ---------------------------------------------------------------------------------


def test_an_official_records_an_event_of_their_department(events):
    event = services.record_event(
        events.organiser, kind="dialogue", title="交流对话会", starts_at=AHEAD, place="科学会堂"
    )
    assert event.number.startswith("HD2026") and event.status == "scheduled"
    assert event.department == events.science and event.created_by == events.organiser
    assert AuditEvent.objects.filter(action="interactions.event_record", target_id=str(event.pk)).exists()
    second = services.record_event(
        events.leader,
        kind="matchmaking",
        title="银企对接会",
        starts_at=AHEAD,
        place="金融服务中心",
        department=events.development,
    )
    assert int(second.number[-5:]) == int(event.number[-5:]) + 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"title": "  "}, "title"),
        ({"place": ""}, "place"),
        ({"starts_at": moment(datetime.date(2028, 1, 10))}, "starts_at"),
        ({"ends_at": moment(datetime.date(2026, 12, 1))}, "ends_at"),  # before it starts
        ({"ends_at": moment(datetime.date(2026, 12, 20))}, "ends_at"),  # longer than a week
        ({"title": "x" * 121}, "title"),
    ],
)
def test_bad_input_is_refused_field_by_field_and_saves_nothing(events, changes, field):
    fields = {"kind": "dialogue", "title": "对话会", "starts_at": AHEAD, "place": "科学会堂", **changes}
    with pytest.raises(ValidationError) as refused:
        services.record_event(events.organiser, **fields)
    assert field in refused.value.message_dict
    assert (
        not ServiceEvent.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="interactions.").exists()
    )


def test_who_may_record_an_event(events):
    fields = {"kind": "dialogue", "title": "对话会", "starts_at": AHEAD, "place": "科学会堂"}
    for person in (events.supervisor, events.clerk, events.chip_user, events.dispatcher):
        with pytest.raises(PermissionDenied):
            services.record_event(person, **fields)
    with pytest.raises(ValidationError) as refused:  # a leader has no department of their own: name one
        services.record_event(events.leader, **fields)
    assert "department" in refused.value.message_dict
    assert not ServiceEvent.objects.exists()


# --- participants ---------------------------------------------------------------------------------------


def test_participants_of_each_kind_and_the_invitation(events):
    event = services.record_event(
        events.organiser, kind="policy_briefing", title="金凤凰政策宣讲会", starts_at=AHEAD, place="科学会堂"
    )
    services.add_participant(
        events.organiser, event, role="enterprise", enterprise=events.chip, representatives="李娜(总经理)"
    )
    services.add_participant(events.organiser, event, role="expert", name="陈教授", institution="重庆大学")
    services.add_participant(events.organiser, event, role="escort", person=events.escort, title="服务专员")
    assert sorted(event.participants.values_list("role", flat=True)) == ["enterprise", "escort", "expert"]
    # The enterprise's people are invited (the event is ahead); the escort hears of the assignment.
    assert Notification.objects.filter(recipient=events.chip_user, kind="service_event_invited").exists()
    assert Notification.objects.filter(recipient=events.escort, kind="service_event_escort").exists()
    assert AuditEvent.objects.filter(action="interactions.event_participant").count() == 3


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"role": "enterprise", "representatives": "李娜"}, "enterprise"),
        ({"role": "enterprise", "enterprise": "chip", "representatives": ""}, "representatives"),
        (
            {"role": "enterprise", "enterprise": "materials", "representatives": "王强"},
            "enterprise",
        ),  # already in
        ({"role": "expert", "name": "陈教授"}, "institution"),
        ({"role": "expert", "name": "陈教授", "institution": "重庆大学"}, "name"),  # already in
        ({"role": "escort", "person": "chip_user"}, "person"),  # not a civil servant
        ({"role": "escort", "person": "escort"}, "person"),  # already in
        ({"role": "guest", "name": "某人"}, "role"),
    ],
)
def test_bad_participants_are_refused(events, fields, field):
    event = held_event(events)
    before = event.participants.count()
    given = dict(fields)
    for key in ("enterprise", "person"):
        if key in given:
            given[key] = getattr(
                events, {"chip": "chip", "materials": "materials"}.get(given[key], given[key])
            )
    with pytest.raises(ValidationError) as refused:
        services.add_participant(events.organiser, event, **given)
    assert field in refused.value.message_dict
    assert event.participants.count() == before


def test_who_manages_an_event(events):
    event = held_event(events)
    # Its department, its recorder, its escort staff and the leaders manage it; a colleague of another bureau,
    # supervisors and enterprises do not.
    for person in (events.organiser, events.colleague, events.escort, events.leader):
        assert services.may_manage(person, event), person
    for person in (events.official, events.supervisor, events.chip_user, events.clerk):
        assert not services.may_manage(person, event), person
    with pytest.raises(PermissionDenied):
        services.add_participant(events.official, event, role="expert", name="某专家", institution="某大学")
    assert not event.participants.filter(name="某专家").exists()
    services.add_participant(events.escort, event, role="escort", person=events.official)
    assert services.may_manage(events.official, event)  # now one of its escort staff


# --- demands --------------------------------------------------------------------------------------------


def test_a_demand_becomes_a_closed_loop_problem_of_the_enterprise(events):
    event = held_event(events)
    raised = demand(events, event)
    problem = raised.problem
    assert problem.source == Problem.Source.ENTERPRISE_DEMAND and problem.enterprise == events.chip
    assert problem.reporter == events.escort and problem.category == events.land
    # Routed by the category's rule at once, with its stored working-day deadline.
    assert problem.status == "dispatched" and problem.department == events.planning and problem.due_date
    assert event.number in problem.description and "30亩" in problem.description
    assert raised.event == event and raised.enterprise == events.chip
    assert AuditEvent.objects.filter(action="interactions.event_demand", target_id=str(event.pk)).exists()
    assert AuditEvent.objects.filter(action="problems.report", target_id=str(problem.pk)).exists()
    # The enterprise hears that its demand was registered for it.
    assert Notification.objects.filter(recipient=events.chip_user, kind="service_event_demand").exists()


def test_an_enterprise_raises_its_own_demand_but_not_anothers(events):
    event = held_event(events)
    own = demand(events, event, user=events.chip_user)
    assert own.problem.reporter == events.chip_user
    assert not Notification.objects.filter(recipient=events.chip_user, kind="service_event_demand").exists()
    with pytest.raises(PermissionDenied):
        demand(events, event, user=events.chip_user, enterprise=events.materials)
    with pytest.raises(PermissionDenied):
        demand(events, event, user=events.official)  # manages nothing here
    assert Problem.objects.count() == 1


def test_bad_demands_change_nothing(events):
    event = held_event(events)
    with pytest.raises(ValidationError) as refused:  # not a participant
        demand(events, event, enterprise=events.outsider)
    assert "enterprise" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        services.raise_demand(
            events.escort, event, enterprise=events.chip, category=events.land, title="", description=""
        )
    assert {"title", "description"} <= set(refused.value.message_dict)
    events.land.is_active = False
    events.land.save()
    with pytest.raises(ValidationError) as refused:  # the problem service refuses a retired category
        demand(events, event)
    assert "category" in refused.value.message_dict
    assert not Problem.objects.exists() and not EventDemand.objects.exists()
    assert not AuditEvent.objects.filter(action="interactions.event_demand").exists()


def test_the_demand_figures_follow_the_problems(events, time_machine):
    event = held_event(events)
    closed = demand(events, event, title="用地一")
    late = demand(events, event, title="用地二")
    waiting = demand(events, event, category=events.unrouted, title="其他诉求")
    lifecycle.accept_problem(events.planner, closed.problem)
    lifecycle.rectify_problem(events.planner, closed.problem, "已推荐备选地块")
    lifecycle.verify_problem(events.escort, closed.problem, True)  # the reporter verifies
    lifecycle.dismiss_problem(events.dispatcher, waiting.problem, "不属于平台受理范围")
    lifecycle.accept_problem(events.planner, late.problem)
    time_machine.move_to(moment(datetime.date(2026, 12, 1), 9))
    demand(events, event, enterprise=events.materials, title="用地三")  # raised later: within its deadline
    after = Problem.objects.get(pk=late.problem_id).due_date + datetime.timedelta(days=1)
    time_machine.move_to(moment(after, 10))
    figures = selectors.figures_of(EventDemand.objects.all(), event)
    assert (figures.raised, figures.closed, figures.open, figures.overdue) == (4, 1, 2, 1)
    assert figures.ended_otherwise == 1 and figures.closed_rate == 25.0
    demands = list(selectors.demands_of(events.organiser, event))
    assert selectors.demand_figures_from(demands) == figures
    # An enterprise counts its own demands only.
    assert selectors.figures_of(EventDemand.objects.for_user(events.materials_user), event).raised == 1


# --- outcome, cancellation ---------------------------------------------------------------------------------


def test_the_outcome_is_recorded_then_amended(events):
    event = held_event(events)
    event = services.record_outcome(
        events.escort, event, summary="现场对接合作意向 3 项。", agreements="联合实验室意向\n\n  人才共引  "
    )
    assert event.status == "held" and event.agreement_lines == ["联合实验室意向", "人才共引"]
    assert Notification.objects.filter(recipient=events.chip_user, kind="service_event_outcome").count() == 1
    event = services.record_outcome(events.organiser, event, summary="现场对接合作意向 4 项。")
    assert event.summary == "现场对接合作意向 4 项。" and event.outcome_recorded_by == events.organiser
    assert Notification.objects.filter(kind="service_event_outcome").count() == 2  # two enterprises, once
    assert AuditEvent.objects.filter(action="interactions.event_outcome").count() == 2
    with pytest.raises(IllegalTransition):
        services.cancel_event(events.organiser, event, "天气原因")


def test_an_outcome_is_refused_before_the_event_and_to_others(events):
    ahead = services.record_event(
        events.organiser, kind="matchmaking", title="对接会", starts_at=AHEAD, place="科学会堂"
    )
    with pytest.raises(IllegalTransition):
        services.record_outcome(events.organiser, ahead, summary="成果")
    past = held_event(events)
    with pytest.raises(PermissionDenied):
        services.record_outcome(events.official, past, summary="成果")
    with pytest.raises(ValidationError):
        services.record_outcome(events.organiser, past, summary=" ")
    assert not ServiceEvent.objects.filter(status="held").exists()


def test_a_cancelled_event_takes_nothing_more(events):
    event = services.record_event(
        events.organiser, kind="dialogue", title="对话会", starts_at=AHEAD, place="科学会堂"
    )
    services.add_participant(
        events.organiser, event, role="enterprise", enterprise=events.chip, representatives="李娜"
    )
    with pytest.raises(ValidationError):
        services.cancel_event(events.organiser, event, "")
    event = services.cancel_event(events.organiser, event, "场地调整,另行通知。")
    assert event.status == "cancelled" and event.cancel_reason == "场地调整,另行通知。"
    assert Notification.objects.filter(recipient=events.chip_user, kind="service_event_cancelled").exists()
    with pytest.raises(IllegalTransition):
        services.add_participant(events.organiser, event, role="expert", name="某专家", institution="某大学")
    with pytest.raises(IllegalTransition):
        demand(events, event, user=events.organiser)
    with pytest.raises(IllegalTransition):
        services.record_outcome(events.organiser, event, summary="成果")
    assert not Problem.objects.exists()


def test_the_transition_table_has_a_row_for_each_step():
    rows = {(row.source, row.action, row.target) for row in services.TRANSITIONS}
    assert rows == {
        ("scheduled", "record_outcome", "held"),
        ("held", "record_outcome", "held"),
        ("scheduled", "cancel", "cancelled"),
    }


# --- the interaction register ----------------------------------------------------------------------------


def test_the_meetings_enter_the_interaction_register_once(events):
    event = held_event(events)
    services.record_outcome(events.organiser, event, summary="达成合作意向。")
    records = services.register_interactions(
        events.organiser, event, items=["enc-consult"], officials_present="周科长、刘陪跑"
    )
    assert {record.enterprise for record in records} == {events.chip, events.materials}
    chip = next(record for record in records if record.enterprise == events.chip)
    assert chip.service_event == event and chip.kind == Interaction.Kind.MEETING
    assert chip.occurred_on == PAST.date() and chip.place == "科学会堂"
    assert chip.enterprise_attendees == "李娜(总经理)" and chip.outcome == "达成合作意向。"
    assert event.number in chip.purpose and not chip.flagged  # entered within the working days allowed
    # The enterprise sees the record and may confirm it, as any record of the register.
    assert Interaction.objects.for_user(events.chip_user).filter(pk=chip.pk).exists()
    with pytest.raises(ValidationError):
        services.register_interactions(
            events.organiser, event, items=["enc-consult"], officials_present="周科长"
        )
    assert Interaction.objects.count() == 2


def test_the_register_refuses_what_it_must(events):
    event = held_event(events)
    with pytest.raises(PermissionDenied):  # a supervisor records nothing
        services.register_interactions(
            events.supervisor, event, items=["enc-consult"], officials_present="某"
        )
    with pytest.raises(ValidationError) as refused:
        services.register_interactions(events.organiser, event, items=[], officials_present="周科长")
    assert "items" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.register_interactions(
            events.organiser,
            event,
            items=["enc-consult"],
            officials_present="周科长",
            enterprises=[events.outsider],
        )
    ahead = services.record_event(
        events.organiser, kind="dialogue", title="对话会", starts_at=AHEAD, place="科学会堂"
    )
    services.add_participant(
        events.organiser, ahead, role="enterprise", enterprise=events.chip, representatives="李娜"
    )
    with pytest.raises(IllegalTransition):
        services.register_interactions(
            events.organiser, ahead, items=["enc-consult"], officials_present="周科长"
        )
    assert not Interaction.objects.exists()


def test_a_late_entry_is_flagged_by_the_registers_own_rule(events):
    with time_machine.travel(moment(datetime.date(2026, 11, 2), 9), tick=False):
        event = held_event(events, starts_at=moment(datetime.date(2026, 11, 2), 9))
    records = services.register_interactions(
        events.organiser, event, items=["enc-consult"], officials_present="周科长", enterprises=[events.chip]
    )
    assert len(records) == 1 and records[0].late and records[0].flagged


# --- scope ------------------------------------------------------------------------------------------------


def test_who_sees_which_events_and_demands(events):
    event = held_event(events)
    other = services.record_event(
        events.official, kind="group_visit", title="组团上门服务", starts_at=PAST, place="西永微电园"
    )
    services.add_participant(
        events.official, other, role="enterprise", enterprise=events.outsider, representatives="赵总"
    )
    demand(events, event)
    demand(events, event, enterprise=events.materials, title="融资需求")
    for person in (events.official, events.planner, events.leader, events.supervisor, events.escort):
        assert set(ServiceEvent.objects.for_user(person)) == {event, other}, person
        assert EventDemand.objects.for_user(person).count() == 2
    assert list(ServiceEvent.objects.for_user(events.chip_user)) == [event]
    assert [d.enterprise for d in EventDemand.objects.for_user(events.chip_user)] == [events.chip]
    assert list(ServiceEvent.objects.for_user(events.outsider_user)) == [other]
    assert not EventDemand.objects.for_user(events.outsider_user).exists()
    for person in (events.clerk, events.dispatcher):  # no event permission
        assert not ServiceEvent.objects.for_user(person).exists()
    assert EventParticipant.objects.filter(event=event).count() == 4


def test_the_list_search(events):
    event = held_event(events)
    ahead = services.record_event(
        events.leader,
        kind="matchmaking",
        title="银企对接会",
        starts_at=AHEAD,
        place="金融中心",
        department=events.development,
    )
    everything = ServiceEvent.objects.all()
    assert list(selectors.search(everything)) == [ahead, event]
    assert list(selectors.search(everything, kind="matchmaking")) == [ahead]
    assert list(selectors.search(everything, department=events.science)) == [event]
    assert list(selectors.search(everything, when="upcoming")) == [ahead]
    assert list(selectors.search(everything, when="past")) == [event]
    assert list(selectors.search(everything, since=datetime.date(2026, 11, 21))) == [ahead]
    assert list(selectors.search(everything, until=datetime.date(2026, 11, 20))) == [event]
    assert list(selectors.search(everything, q="银企")) == [ahead]
    assert list(selectors.search(everything, enterprise=events.chip)) == [event]
    assert list(selectors.search(everything, mine=True, user=events.escort)) == [event]
