"""The platform's invariants, checked by queries (issue 17): what must hold in the data whatever crashed when.

Each invariant is a function that returns its violations as readable sentences (at most `limit`, then one line
saying how many more); `manage.py check_invariants` runs them all and exits 1 on any violation, so operators
run it on production as the fault-injection run (`bench/faults.py`) runs it after killing every process it
could. Every query is set-based — NOT EXISTS, GROUP BY, window functions over indexed columns — so that it
stays a query, not a loop in Python, over millions of rows; Python only looks at the few rows found.

What is checked:

- Transitions and the audit trail (ARCHITECTURE.md rules 1 and 2): for each state machine (applications,
  review tasks, problems, policy claims, fund investments and their tranches), every audited change of state
  is a row of the machine's transition table; each one starts from the state the previous one left (no
  transition missing between two audit rows, no audit row for a transition that did not happen); and every
  object stands in the state its trail ends in (no change of state without its audit row). The histories
  people read — the problems' timeline, the review tasks' events — have one audit row per entry and no audit
  row without its entry, and the timeline explains the problem's state.
- Notifications: the person a step must tell (the applicant of an accepted, refused, corrected, concluded or
  delivered application, of a decided task) was told; nobody was told of one step twice.
- Background jobs: no task abandoned by a killed worker (`ops.recovery`) or failed; no job lost — every
  certificate has its PDF or a job to render it, every import, recount and report waiting has its job; the
  policies' verdict counts agree with the stored verdicts (a refresh counted once).
- Numbers: certificates, applications, problems, claims and investments are numbered per year from 1 without a
  gap or a number used twice, up to the year's sequence.
- Idempotency keys: an answer remembered for a key names an object that exists, and for applications the very
  one that key made.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.expressions import Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce, Lag, RowNumber, Substr
from django.utils import timezone

from sciencecity.api.models import IdempotencyRecord
from sciencecity.approvals.models import Application, Certificate, LicencePermit, ReviewTask, TaskEvent
from sciencecity.approvals.transitions import APPLICATION_TRANSITIONS, TASK_TRANSITIONS
from sciencecity.audit.models import AuditEvent
from sciencecity.fund.models import Investment, Tranche
from sciencecity.fund.services.investments import INVESTMENTS, TRANCHES
from sciencecity.notifications.models import Notification
from sciencecity.policies.models import Claim, Policy, PolicyMatch
from sciencecity.policies.services.claims import TRANSITIONS as CLAIM_TRANSITIONS
from sciencecity.problems.models import Problem, ProblemEvent
from sciencecity.problems.transitions import PROBLEM_TRANSITIONS
from sciencecity.workflow.models import NumberSequence

from . import recovery

LIMIT = 50
# A job enqueued after its transaction commits, or a row just written: not yet a lost job.
JOB_GRACE = datetime.timedelta(minutes=2)


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    check: Callable[[int], list[str]]


INVARIANTS: list[Invariant] = []


def invariant(name: str, description: str):
    def register(check):
        INVARIANTS.append(Invariant(name, description, check))
        return check

    return register


def run(names=None, limit: int = LIMIT) -> list[tuple[Invariant, list[str]]]:
    """Every invariant (or those named) with its violations."""
    chosen = [item for item in INVARIANTS if names is None or item.name in names]
    return [(item, item.check(limit)) for item in chosen]


def _listed(rows, describe, limit: int, total=None) -> list[str]:
    """Sentences for the first `limit` rows of `rows` (a queryset or a list), and how many more there are."""
    found = list(rows[: limit + 1])
    sentences = [describe(row) for row in found[:limit]]
    if len(found) > limit:
        more = (total() if total is not None else rows.count()) - limit
        sentences.append(f"… and {more} more")
    return sentences


def _status(side: str):
    """The state an audit row records before or after its change ("" where it records none)."""
    return Coalesce(KT(f"{side}__status"), Value(""), output_field=TextField())


def _as_text(expression):
    return Cast(expression, CharField())


# --- the state machines and their audit trail -------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    """A state machine as its audit trail records it: which audit actions on its model are which rows of its
    table, which ones create an object (and in which states), and the state of an object none has moved."""

    label: str
    model: type
    table: object
    actions: dict  # audit action → the table's action
    creations: dict  # audit action → the states it creates objects in
    initial: str = ""  # the state before any audited change ("" : every object has a creation row)
    exclude: tuple = ()  # audit actions on the model that record another machine's change (tranches)

    def content_type(self):
        return ContentType.objects.get_for_model(self.model)

    def events(self):
        """The audit rows of this machine's transitions (and creations), oldest first per object."""
        return AuditEvent.objects.filter(
            target_type=self.content_type(), action__in=[*self.actions, *self.creations]
        )

    def rows(self) -> set:
        return {(row.source, row.action, row.target) for row in self.table}


def _named(prefix: str, table, suffix: str = "", **renamed) -> dict:
    """{audit action: table action} for the table's actions audited as `prefix + action + suffix`, and the
    actions audited under another name (`renamed`: table action → audit action)."""
    actions = {f"{prefix}{row.action}{suffix}": row.action for row in table}
    for action, audited in renamed.items():
        actions.pop(f"{prefix}{action}{suffix}", None)
        actions[audited] = action
    return actions


MACHINES = [
    Machine(
        "application",
        Application,
        APPLICATION_TRANSITIONS,
        _named(
            "approvals.",
            APPLICATION_TRANSITIONS,
            "_application",
            request_correction="approvals.request_correction",
        ),
        {
            "approvals.start_application": {Application.Status.DRAFT},
            "approvals.prepare_application": {Application.Status.DRAFT},
        },
    ),
    Machine(
        "review task",
        ReviewTask,
        TASK_TRANSITIONS,
        _named(
            "approvals.",
            TASK_TRANSITIONS,
            "_task",
            request_supplement="approvals.request_supplement",
            answer_supplement="approvals.answer_supplement",
            extend="approvals.extend_deadline",
        ),
        {},
        initial=ReviewTask.Status.WAITING,
    ),
    Machine(
        "problem",
        Problem,
        PROBLEM_TRANSITIONS,
        _named("problems.", PROBLEM_TRANSITIONS),
        {"problems.report": {Problem.Status.REPORTED}},
    ),
    Machine(
        "policy claim",
        Claim,
        CLAIM_TRANSITIONS,
        _named("policies.", CLAIM_TRANSITIONS, "_claim"),
        {"policies.start_claim": {Claim.Status.DRAFT, Claim.Status.OFFERED}},
    ),
    Machine(
        "fund investment",
        Investment,
        INVESTMENTS,
        _named("fund.", INVESTMENTS),
        {"fund.apply": {Investment.Status.APPLIED}},
        exclude=("fund.meet_milestone", "fund.disburse"),
    ),
]
TRANCHE_ACTIONS = {"fund.meet_milestone": "meet", "fund.disburse": "disburse"}


def _legal_transitions(machine: Machine, limit: int) -> list[str]:
    """Every audited change of state is a row of the table: the (action, before, after) triples of the trail,
    grouped (a few dozen), against the table's rows."""
    ct = machine.content_type()
    triples = (
        AuditEvent.objects.filter(target_type=ct)
        .exclude(action__in=machine.exclude)
        .annotate(source=_status("before"), target=_status("after"))
        .exclude(target="")
        .values("action", "source", "target")
        .annotate(n=Count("id"), example=Min("target_id"))
        .order_by("action", "source", "target")
    )
    rows, violations = machine.rows(), []
    for triple in triples:
        action, source, target = triple["action"], triple["source"], triple["target"]
        where = f"{triple['n']} time(s), e.g. {machine.label} {triple['example']}"
        if action in machine.creations:
            if source or target not in machine.creations[action]:
                violations.append(
                    f"{action} created {_a(machine.label)} in “{target}” (from “{source}”): {where}"
                )
        elif action in machine.actions:
            if (source, machine.actions[action], target) not in rows:
                violations.append(
                    f"{action}: “{source}” → “{target}” is no row of the {machine.label} table: {where}"
                )
        elif source != target:
            violations.append(
                f"{action} changed a {machine.label} “{source}” → “{target}” outside its table: {where}"
            )
    return violations[:limit]


def _chained(machine: Machine, limit: int) -> list[str]:
    """Each audited transition starts from the state the previous one on the same object left, and the
    first from the object's beginning (a creation, or the initial state)."""
    ordered = {"partition_by": [F("target_id")], "order_by": F("id").asc()}
    events = (
        machine.events()
        .annotate(
            source=_status("before"),
            target=_status("after"),
            previous=Window(Lag(_status("after")), **ordered),
            position=Window(RowNumber(), **ordered),
        )
        .order_by("id")
    )
    if machine.initial:
        first = Q(position=1) & ~Q(source=machine.initial)
    else:
        first = Q(position=1) & ~Q(action__in=list(machine.creations))
    broken = events.filter(first | Q(position__gt=1) & ~Q(source=F("previous"))).values(
        "id", "target_id", "action", "source", "previous", "position"
    )

    def describe(row):
        if row["position"] == 1:
            begin = f"“{machine.initial}”" if machine.initial else "a creation"
            return (
                f"{machine.label} {row['target_id']}: its trail begins with {row['action']} from "
                f"“{row['source']}”, not {begin} (audit event {row['id']})"
            )
        return (
            f"{machine.label} {row['target_id']}: {row['action']} (audit event {row['id']}) starts from "
            f"“{row['source']}” but the previous transition left it “{row['previous']}”"
        )

    return _listed(broken, describe, limit)


def _explained(machine: Machine, limit: int) -> list[str]:
    """Every object stands in the state its audit trail ends in (no change of state without its row)."""
    latest = (
        machine.events()
        .filter(target_id=_as_text(OuterRef("pk")))
        .annotate(state=_status("after"))
        .exclude(state="")
        .order_by("-id")
        .values("state")[:1]
    )
    objects = machine.model.objects.annotate(audited=Subquery(latest))
    if machine.initial:
        objects = objects.annotate(
            expected=Coalesce("audited", Value(machine.initial), output_field=TextField())
        )
        wrong = objects.exclude(status=F("expected"))
    else:
        wrong = objects.filter(Q(audited__isnull=True) | ~Q(status=F("audited")))
    wrong = wrong.order_by("pk").values("pk", "status", "audited")

    def describe(row):
        if row["audited"] is None and not machine.initial:
            return f"{machine.label} {row['pk']} is “{row['status']}” and has no audited creation"
        trail = row["audited"] or f"{machine.initial} (no transition audited)"
        return f"{machine.label} {row['pk']} is “{row['status']}” but its audit trail ends in “{trail}”"

    return _listed(wrong, describe, limit)


def _a(label: str) -> str:
    return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"


def _register_machine(machine: Machine) -> None:
    key = machine.label.replace(" ", "_")
    invariant(
        f"{key}.transitions_legal",
        f"every audited change of state of {_a(machine.label)} is a row of its transition table",
    )(lambda limit: _legal_transitions(machine, limit))
    invariant(
        f"{key}.trail_chained",
        f"each audited transition of {_a(machine.label)} starts where the previous one left it",
    )(lambda limit: _chained(machine, limit))
    invariant(
        f"{key}.state_explained",
        f"every {machine.label} stands in the state its audit trail ends in",
    )(lambda limit: _explained(machine, limit))


for _machine in MACHINES:
    _register_machine(_machine)


@invariant(
    "review_task.created_audited", "every review task was made by an audited acceptance of its application"
)
def tasks_created_audited(limit: int) -> list[str]:
    created = AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(Application),
        target_id=_as_text(OuterRef("application_id")),
        action="approvals.create_tasks",
    )
    orphans = ReviewTask.objects.exclude(Exists(created)).order_by("pk").values("pk", "application_id")
    return _listed(
        orphans,
        lambda row: f"review task {row['pk']}: application {row['application_id']} has no create_tasks row",
        limit,
    )


# Tranches: their changes are audited on their investment, with the tranche's number.


def _tranche_events():
    return AuditEvent.objects.filter(
        target_type=ContentType.objects.get_for_model(Investment), action__in=list(TRANCHE_ACTIONS)
    ).annotate(number=KT("after__number"), source=_status("before"), target=_status("after"))


@invariant(
    "fund_tranche.transitions_legal", "every audited change of a tranche is a row of its table, in order"
)
def tranche_transitions(limit: int) -> list[str]:
    rows = {(row.source, row.action, row.target) for row in TRANCHES}
    violations = []
    for triple in (
        _tranche_events().values("action", "source", "target").annotate(n=Count("id")).order_by("action")
    ):
        if (triple["source"], TRANCHE_ACTIONS[triple["action"]], triple["target"]) not in rows:
            violations.append(
                f"{triple['action']}: tranche “{triple['source']}” → “{triple['target']}” is no row of the "
                f"tranche table ({triple['n']} time(s))"
            )
    ordered = {"partition_by": [F("target_id"), F("number")], "order_by": F("id").asc()}
    broken = (
        _tranche_events()
        .annotate(previous=Window(Lag(_status("after")), **ordered), position=Window(RowNumber(), **ordered))
        .filter(
            Q(position=1) & ~Q(source=Tranche.Status.PLANNED) | Q(position__gt=1) & ~Q(source=F("previous"))
        )
        .order_by("id")
        .values("id", "target_id", "number", "action", "source", "previous")
    )
    violations += _listed(
        broken,
        lambda row: (
            f"investment {row['target_id']} tranche {row['number']}: {row['action']} (audit event "
            f"{row['id']}) starts from “{row['source']}”, the trail left it “{row['previous'] or 'planned'}”"
        ),
        limit,
    )
    return violations[:limit]


@invariant("fund_tranche.state_explained", "every tranche stands in the state its audit trail ends in")
def tranche_states(limit: int) -> list[str]:
    latest = (
        _tranche_events()
        .filter(target_id=_as_text(OuterRef("investment_id")), number=_as_text(OuterRef("number")))
        .order_by("-id")
        .values("target")[:1]
    )
    wrong = (
        Tranche.objects.annotate(
            audited=Coalesce(Subquery(latest), Value(Tranche.Status.PLANNED), output_field=TextField())
        )
        .exclude(status=F("audited"))
        .order_by("pk")
        .values("investment_id", "number", "status", "audited")
    )
    return _listed(
        wrong,
        lambda row: (
            f"investment {row['investment_id']} tranche {row['number']} is “{row['status']}” but its "
            f"audit trail ends in “{row['audited']}”"
        ),
        limit,
    )


# --- the histories people read -----------------------------------------------------------------------------


def _one_audit_row_per_entry(entries, entry_key, audit_of, describe_kind, limit: int) -> list[str]:
    """For each (object, kind) of history `entries` (a queryset of rows with `entry_key` the object's id and
    `kind` its kind), as many audit rows (`audit_of[kind]`) as entries, and no audit row without its entry."""
    content_type = ContentType.objects.get_for_model(entries.model._meta.get_field(entry_key).related_model)
    violations = []
    for kind, action in audit_of.items():
        audited = (
            AuditEvent.objects.filter(
                target_type=content_type, action=action, target_id=_as_text(OuterRef(entry_key))
            )
            .values("target_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        counted = (
            entries.filter(kind=kind)
            .values(entry_key)
            .annotate(n=Count("id"), audited=Coalesce(Subquery(audited), 0))
            .exclude(n=F("audited"))
            .order_by(entry_key)
        )
        violations += _listed(
            counted,
            lambda row, kind=kind, action=action: (
                f"{describe_kind} {row[entry_key]}: {row['n']} “{kind}” "
                f"entr{'y' if row['n'] == 1 else 'ies'}, {row['audited']} {action} audit row(s)"
            ),
            limit,
        )
        written = entries.filter(kind=kind, **{entry_key: Cast(OuterRef("target_id"), BigIntegerField())})
        unwritten = (
            AuditEvent.objects.filter(target_type=content_type, action=action)
            .exclude(Exists(written))
            .order_by("id")
            .values("id", "target_id")
        )
        violations += _listed(
            unwritten,
            lambda row, kind=kind, action=action: (
                f"{describe_kind} {row['target_id']}: audit row {row['id']} "
                f"({action}) has no “{kind}” entry in its history"
            ),
            limit,
        )
    return violations[:limit]


TIMELINE_ACTIONS = sorted({row.action for row in PROBLEM_TRANSITIONS} | {"report"})


@invariant(
    "problem.timeline_audited", "one audit row for every entry of a problem's timeline, and none without"
)
def problem_timeline_audited(limit: int) -> list[str]:
    entries = ProblemEvent.objects.annotate(kind=F("action"))
    return _one_audit_row_per_entry(
        entries, "problem", {action: f"problems.{action}" for action in TIMELINE_ACTIONS}, "problem", limit
    )


@invariant(
    "problem.timeline_explains_state", "a problem's timeline is a chain that ends in the problem's state"
)
def problem_timeline_state(limit: int) -> list[str]:
    ordered = {"partition_by": [F("problem_id")], "order_by": F("id").asc()}
    broken = (
        ProblemEvent.objects.annotate(
            previous=Window(Lag("status_after"), **ordered), position=Window(RowNumber(), **ordered)
        )
        .filter(
            Q(position=1) & ~Q(action="report")
            | Q(position__gt=1) & (Q(previous__isnull=True) | ~Q(status_before=F("previous")))
        )
        .order_by("id")
        .values("id", "problem_id", "action", "status_before", "previous")
    )
    violations = _listed(
        broken,
        lambda row: (
            f"problem {row['problem_id']}: timeline entry {row['id']} ({row['action']}) starts from "
            f"“{row['status_before']}”, the previous entry left “{row['previous']}”"
        ),
        limit,
    )
    last = ProblemEvent.objects.filter(problem=OuterRef("pk")).order_by("-id").values("status_after")[:1]
    wrong = (
        Problem.objects.annotate(timeline=Subquery(last))
        .filter(Q(timeline__isnull=True) | ~Q(status=F("timeline")))
        .order_by("pk")
        .values("pk", "number", "status", "timeline")
    )
    violations += _listed(
        wrong,
        lambda row: (
            f"problem {row['number']} is “{row['status']}” but its timeline ends in “{row['timeline']}”"
        ),
        limit,
    )
    return violations[:limit]


TASK_EVENT_ACTIONS = {
    TaskEvent.Kind.OPINION: "approvals.add_opinion",
    TaskEvent.Kind.INSPECTION: "approvals.record_site_inspection",
    TaskEvent.Kind.SUPPLEMENT_REQUEST: "approvals.request_supplement",
    TaskEvent.Kind.SUPPLEMENT_ANSWER: "approvals.answer_supplement",
    TaskEvent.Kind.EXTENSION: "approvals.extend_deadline",
    TaskEvent.Kind.REASSIGNMENT: "approvals.reassign_task",
}


@invariant(
    "review_task.events_audited", "one audit row for every event of a review task's history, and none without"
)
def task_events_audited(limit: int) -> list[str]:
    return _one_audit_row_per_entry(TaskEvent.objects.all(), "task", TASK_EVENT_ACTIONS, "review task", limit)


# --- notifications ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """A kind of notification that steps of a machine send about its object: the audit actions of those
    steps, and who is always among those told (a path from the object to a user), if anyone is."""

    model: type
    kind: str
    actions: tuple
    always_to: str = ""


NOTICES = [
    Notice(
        Application,
        "application_submitted",
        ("approvals.submit_application", "approvals.resubmit_application"),
    ),
    Notice(
        Application,
        "application_accepted",
        ("approvals.accept_application", "approvals.accept_with_gaps_application"),
        "applicant",
    ),
    Notice(Application, "correction_requested", ("approvals.request_correction",), "applicant"),
    Notice(Application, "application_refused", ("approvals.refuse_application",), "applicant"),
    Notice(Application, "application_concluded", ("approvals.conclude_application",), "applicant"),
    Notice(Application, "delivered", ("approvals.deliver_application",), "applicant"),
    Notice(Application, "application_withdrawn", ("approvals.withdraw_application",)),
    Notice(Application, "application_cancelled", ("approvals.cancel_application",)),
    Notice(ReviewTask, "task_released", ("approvals.release_task",)),
    Notice(
        ReviewTask,
        "task_decided",
        ("approvals.approve_task", "approvals.approve_on_pledge_task", "approvals.reject_task"),
        "application__applicant",
    ),
    Notice(ReviewTask, "supplement_requested", ("approvals.request_supplement",)),
    Notice(ReviewTask, "supplement_answered", ("approvals.answer_supplement",)),
    Notice(ReviewTask, "deadline_extended", ("approvals.extend_deadline",)),
    Notice(Problem, "problem_dispatched", ("problems.route", "problems.dispatch")),
    Notice(Problem, "problem_returned", ("problems.return",)),
    Notice(Problem, "problem_rectified", ("problems.rectify",)),
    Notice(Problem, "problem_verified", ("problems.pass", "problems.fail", "problems.close_split")),
    Notice(Problem, "problem_reopened", ("problems.reopen",)),
    Notice(Problem, "problem_long_term", ("problems.plan_long_term",)),
    Notice(
        Claim,
        "policy_claim",
        tuple(
            f"policies.{action}_claim"
            for action in ("confirm", "submit", "approve", "refuse", "return", "pay")
        ),
    ),
    Notice(Investment, "fund_to_vote", ("fund.to_committee",)),
    Notice(
        Investment,
        "fund_decided",
        tuple(
            f"fund.{action}"
            for action in ("approve", "reject", "sign", "convert", "repay", "write_off", "disburse")
        ),
    ),
]


@invariant(
    "notifications.sent", "the person a step must tell was told (the applicant, of their application's steps)"
)
def notifications_sent(limit: int) -> list[str]:
    violations = []
    for notice in NOTICES:
        if not notice.always_to:
            continue
        content_type = ContentType.objects.get_for_model(notice.model)
        recipient = notice.model.objects.filter(pk=Cast(OuterRef("target_id"), BigIntegerField())).values(
            notice.always_to
        )[:1]
        told = Notification.objects.filter(
            about_type=content_type,
            about_id=Cast(OuterRef("target_id"), BigIntegerField()),
            kind=notice.kind,
            recipient=OuterRef("recipient"),
        )
        untold = (
            AuditEvent.objects.filter(target_type=content_type, action__in=notice.actions)
            .annotate(recipient=Subquery(recipient))
            .exclude(Exists(told))
            .order_by("id")
            .values("id", "action", "target_id", "recipient")
        )
        violations += _listed(
            untold,
            lambda row, notice=notice: (
                f"{notice.model._meta.model_name} {row['target_id']}: {row['action']} "
                f"(audit event {row['id']}) without its “{notice.kind}” notification to user {row['recipient']}"
            ),
            limit,
        )
    return violations[:limit]


@invariant("notifications.once", "nobody was told of one step twice")
def notifications_once(limit: int) -> list[str]:
    violations = []
    for notice in NOTICES:
        content_type = ContentType.objects.get_for_model(notice.model)
        steps = (
            AuditEvent.objects.filter(
                target_type=content_type, action__in=notice.actions, target_id=_as_text(OuterRef("about_id"))
            )
            .values("target_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        repeated = (
            Notification.objects.filter(about_type=content_type, kind=notice.kind)
            .values("about_id", "recipient_id")
            .annotate(n=Count("id"))
            .filter(n__gt=1)
            .annotate(steps=Coalesce(Subquery(steps), 0))
            .filter(n__gt=F("steps"))
            .order_by("about_id", "recipient_id")
        )
        violations += _listed(
            repeated,
            lambda row, notice=notice: (
                f"{notice.model._meta.model_name} {row['about_id']}: user "
                f"{row['recipient_id']} got {row['n']} “{notice.kind}” notifications for {row['steps']} step(s)"
            ),
            limit,
        )
    return violations[:limit]


# --- background jobs -----------------------------------------------------------------------------------------


def _task_model():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult


@invariant("tasks.none_abandoned", "no background task is left running by a worker that is gone")
def tasks_not_abandoned(limit: int) -> list[str]:
    rows = recovery.abandoned(limit=limit + 1)
    found = [
        f"task {task_id} ({path}) running since {started:%Y-%m-%d %H:%M:%S} with no worker: it is put back by "
        "the next refresh, or `manage.py check_invariants --requeue` now"
        for task_id, path, started in rows[:limit]
    ]
    if len(rows) > limit:
        found.append(f"… and {len(recovery.abandoned()) - limit} more")
    return found


@invariant("tasks.none_failed", "no background task failed")
def tasks_not_failed(limit: int) -> list[str]:
    failed = _task_model().objects.filter(status="FAILED").order_by("-finished_at")
    return _listed(
        failed.values("id", "task_path", "exception_class_path", "finished_at"),
        lambda row: (
            f"task {row['id']} ({row['task_path']}) failed at {row['finished_at']:%Y-%m-%d %H:%M:%S}: "
            f"{row['exception_class_path']}"
        ),
        limit,
    )


def _job_waiting(task_path: str):
    """A READY or RUNNING run of the task `task_path` whose first argument is the outer row's primary key."""
    return (
        _task_model()
        .objects.filter(task_path=task_path, status__in=("READY", "RUNNING"))
        .annotate(first=Cast(KT("args_kwargs__args__0"), BigIntegerField()))
        .filter(first=OuterRef("pk"))
    )


def _lost_jobs() -> list[tuple[str, object, str, str]]:
    """(what, rows waiting for a job, the job's task path, what the rows wait for)."""
    from sciencecity.cockpit.models import ZoneReport
    from sciencecity.projects.models import LedgerImport
    from sciencecity.workdays.models import DeadlineRecount

    before = timezone.now() - JOB_GRACE
    return [
        (
            "certificate",
            Certificate.objects.filter(pdf="", issued_at__lt=before),
            "sciencecity.approvals.tasks.render_certificate",
            "its PDF",
        ),
        (
            "ledger import",
            LedgerImport.objects.filter(
                status__in=(
                    LedgerImport.Status.PENDING,
                    LedgerImport.Status.VALIDATING,
                    LedgerImport.Status.IMPORTING,
                ),
                uploaded_at__lt=before,
            ),
            "sciencecity.projects.ledger.importer.run_ledger_import",
            "its import",
        ),
        (
            "deadline recount",
            DeadlineRecount.objects.filter(
                status__in=(DeadlineRecount.Status.QUEUED, DeadlineRecount.Status.RUNNING),
                created_at__lt=before,
            ),
            "sciencecity.workdays.recount.recount_provisional_deadlines",
            "its pass",
        ),
        (
            "zone report",
            ZoneReport.objects.filter(status=ZoneReport.Status.PENDING, requested_at__lt=before),
            "sciencecity.cockpit.tasks.generate_report_task",
            "its PDF",
        ),
    ]


@invariant("tasks.none_lost", "whatever waits for a background job has its job queued or running")
def jobs_not_lost(limit: int) -> list[str]:
    violations = []
    for what, rows, task_path, waits_for in _lost_jobs():
        lost = rows.exclude(Exists(_job_waiting(task_path))).order_by("pk").values("pk")
        violations += _listed(
            lost,
            lambda row, what=what, task_path=task_path, waits_for=waits_for: (
                f"{what} {row['pk']} waits for "
                f"{waits_for} but no {task_path.rsplit('.', 1)[1]} job is queued or running"
            ),
            limit,
        )
    return violations[:limit]


@invariant(
    "policies.verdict_counts", "each policy's counts of eligible enterprises agree with its stored verdicts"
)
def verdict_counts(limit: int) -> list[str]:
    refreshing = _task_model().objects.filter(
        task_path="sciencecity.policies.services.matching.refresh_matches", status__in=("READY", "RUNNING")
    )
    if refreshing.exists():
        return []  # counted again when the refresh under way ends

    def counted(verdict):
        return (
            PolicyMatch.objects.filter(policy=OuterRef("pk"), verdict=verdict)
            .values("policy")
            .annotate(n=Count("id"))
            .values("n")
        )

    wrong = (
        Policy.objects.annotate(
            eligible=Coalesce(Subquery(counted(PolicyMatch.Verdict.ELIGIBLE)), 0),
            unknown=Coalesce(Subquery(counted(PolicyMatch.Verdict.UNKNOWN)), 0),
        )
        .filter(~Q(eligible_count=F("eligible")) | ~Q(unknown_count=F("unknown")))
        .order_by("pk")
        .values("code", "eligible_count", "eligible", "unknown_count", "unknown")
    )
    return _listed(
        wrong,
        lambda row: (
            f"policy {row['code']}: counts {row['eligible_count']} eligible and {row['unknown_count']} "
            f"unknown, its verdicts {row['eligible']} and {row['unknown']}"
        ),
        limit,
    )


# --- numbers ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Numbering:
    """A yearly running number: `prefix`, the year at `year_at` (1-based), the serial from `serial_at` to the
    end, taken from the sequence `<sequence>-<year>` (`workflow.numbers`)."""

    label: str
    model: type
    prefix: str
    year_at: int
    serial_at: int
    sequence: str


NUMBERINGS = [
    Numbering("certificate", Certificate, "KXZ", 4, 8, "certificate"),
    Numbering("application", Application, "SQ", 3, 11, "application"),
    Numbering("problem", Problem, "WT", 3, 7, "problem"),
    Numbering("policy claim", Claim, "DX", 3, 7, "claim"),
    Numbering("fund investment", Investment, "XT", 3, 7, "fund"),
]


def _numbered(numbering: Numbering):
    """The numbers the sequence gave: the prefix and digits only. A problem's parts after a split carry its
    number with a suffix (WT20260000130-1, -2 …) and took none of their own."""
    given = rf"^{numbering.prefix}[0-9]+$"
    return numbering.model.objects.filter(number__startswith=numbering.prefix, number__regex=given).annotate(
        year=Substr("number", numbering.year_at, 4),
        serial=Cast(Substr("number", numbering.serial_at), IntegerField()),
    )


def _check_numbers(numbering: Numbering, limit: int) -> list[str]:
    violations = []
    used_twice = (
        _numbered(numbering)
        .values("year", "serial")
        .annotate(n=Count("pk"), lowest=Min("number"), highest=Max("number"))
        .filter(n__gt=1)
        .order_by("year", "serial")
    )
    violations += _listed(
        used_twice,
        lambda row: (
            f"{numbering.label} serial {row['serial']} of {row['year']} is used {row['n']} times "
            f"({row['lowest']}, {row['highest']}{', …' if row['n'] > 2 else ''})"
        ),
        limit,
    )
    years = {
        row["year"]: row
        for row in _numbered(numbering)
        .values("year")
        .annotate(n=Count("serial", distinct=True), top=Max("serial"), bottom=Min("serial"))
        .order_by("year")
    }
    sequences = {
        key.rsplit("-", 1)[1]: value
        for key, value in NumberSequence.objects.filter(key__startswith=f"{numbering.sequence}-").values_list(
            "key", "last_value"
        )
    }
    for year in sorted(set(years) | set(sequences)):
        row = years.get(year, {"n": 0, "top": 0, "bottom": 1})
        given = sequences.get(year)
        if given is None:
            violations.append(
                f"{numbering.label} numbers of {year}: {row['n']} used but no sequence gave them"
            )
            continue
        if row["n"] == given and row["top"] == given and row["bottom"] in (1, None):
            continue
        ordered = {"partition_by": [F("year")], "order_by": F("serial").asc()}
        gaps = (
            _numbered(numbering)
            .filter(year=year)
            .annotate(previous=Window(Lag("serial", default=0), **ordered))
            .filter(serial__gt=F("previous") + 1)
            .order_by("serial")
            .values("previous", "serial")
        )
        violations += _listed(
            gaps,
            lambda gap, year=year: (
                f"{numbering.label} numbers of {year}: "
                + (
                    f"serial {gap['previous'] + 1} skipped"
                    if gap["serial"] == gap["previous"] + 2
                    else f"serials {gap['previous'] + 1}–{gap['serial'] - 1} skipped"
                )
            ),
            limit,
        )
        if (row["top"] or 0) < given:
            violations.append(
                f"{numbering.label} numbers of {year}: the sequence gave up to {given}, the highest used is "
                f"{row['top'] or 0} (serials {(row['top'] or 0) + 1}–{given} skipped)"
            )
        elif row["top"] > given:
            violations.append(
                f"{numbering.label} numbers of {year}: serial {row['top']} is used but the sequence stands at {given}"
            )
    return violations[:limit]


for _numbering in NUMBERINGS:
    invariant(
        f"{_numbering.label.replace(' ', '_')}.numbers",
        f"{_numbering.label} numbers run from 1 each year, none skipped or used twice",
    )(lambda limit, numbering=_numbering: _check_numbers(numbering, limit))


@invariant(
    "approvals.certificate_issued", "every approved task whose item issues a certificate has exactly one"
)
def certificates_issued(limit: int) -> list[str]:
    missing = (
        ReviewTask.objects.filter(
            status__in=(ReviewTask.Status.APPROVED, ReviewTask.Status.APPROVED_ON_PLEDGE),
        )
        .exclude(item__certificate_code="")
        .exclude(Exists(Certificate.objects.filter(task=OuterRef("pk"))))
        .order_by("pk")
        .values("pk", "application_id")
    )
    violations = _listed(
        missing,
        lambda row: (
            f"review task {row['pk']} (application {row['application_id']}) approved without its certificate"
        ),
        limit,
    )
    unapproved = (
        Certificate.objects.filter(kind=Certificate.Kind.ITEM)
        .exclude(task__status__in=(ReviewTask.Status.APPROVED, ReviewTask.Status.APPROVED_ON_PLEDGE))
        .order_by("pk")
        .values("number", "task_id", "task__status")
    )
    violations += _listed(
        unapproved,
        lambda row: (
            f"certificate {row['number']} issued for review task {row['task_id']}, which is "
            f"“{row['task__status']}”"
        ),
        limit,
    )
    return violations[:limit]


@invariant(
    "approvals.industry_licence",
    "every industry licence (一业一证) belongs to a delivered application of a bundle that issues one, and "
    "lists the permits it stands for",
)
def industry_licences(limit: int) -> list[str]:
    wrong = (
        Certificate.objects.filter(kind=Certificate.Kind.INDUSTRY_LICENCE)
        .filter(
            ~Q(application__status=Application.Status.DELIVERED)
            | Q(application__bundle__licence_code="")
            | ~Exists(LicencePermit.objects.filter(licence=OuterRef("pk")))
        )
        .order_by("pk")
        .values("number", "application_id")
    )
    return _listed(
        wrong,
        lambda row: (
            f"industry licence {row['number']} (application {row['application_id']}) is not that of a "
            "delivered application of a licensing bundle, or lists no permit"
        ),
        limit,
    )


# --- idempotency keys -----------------------------------------------------------------------------------------

CREATED_AT = {
    "/api/v1/applications/": Application,
    "/api/v1/problems/": Problem,
    "/api/v1/policy-claims/": Claim,
    "/api/v1/fund-investments/": Investment,
}


@invariant(
    "api.idempotency_answers", "an answer remembered for an Idempotency-Key names the object that key made"
)
def idempotency_answers(limit: int) -> list[str]:
    violations = []
    for path, model in CREATED_AT.items():
        exists = model.objects.filter(pk=OuterRef("made"))
        dangling = (
            IdempotencyRecord.objects.filter(path=path, method="POST", status_code=201)
            .annotate(made=Cast(KT("body__id"), BigIntegerField()))
            .exclude(Exists(exists))
            .order_by("pk")
            .values("pk", "key", "made")
        )
        violations += _listed(
            dangling,
            lambda row, model=model: (
                f"key “{row['key']}” remembers {model._meta.model_name} {row['made']}, which does not exist"
            ),
            limit,
        )
    # An application keeps the key it was started with: the key's remembered answer must name that one.
    mismatched = (
        IdempotencyRecord.objects.filter(path="/api/v1/applications/", method="POST", status_code=201)
        .annotate(made=Cast(KT("body__id"), BigIntegerField()))
        .annotate(
            started=Subquery(
                Application.objects.filter(applicant=OuterRef("user"), creation_key=OuterRef("key")).values(
                    "pk"
                )[:1]
            )
        )
        .filter(started__isnull=False)
        .exclude(started=F("made"))
        .order_by("pk")
        .values("key", "made", "started")
    )
    violations += _listed(
        mismatched,
        lambda row: (
            f"key “{row['key']}” remembers application {row['made']} but started application {row['started']}"
        ),
        limit,
    )
    return violations[:limit]
