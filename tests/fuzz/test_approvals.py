"""Fuzzing bundled approval (approvals.services): applications (`APPLICATION_TRANSITIONS`), their review tasks
(`TASK_TRANSITIONS`) and certificates, driven together by random people through the real services.

The world: the demo departments and catalog, an enterprise with its project and applicant, another enterprise
with its applicant, the window, an administrator, a leader, a supervisor, two reviewers and a head in each
department that reviews the "start construction" bundle (planning, housing), a reviewer of a department that
reviews none of it (ecology), and nobody signed in. Five applications of the bundle with its mandatory items
(three tasks: the engineering planning permit, then the drawing review, then the construction permit, which
depends on both and tolerates one material as a gap) start each example: a draft ready to submit, one
submitted, one accepted and in review, one whose last task is pending, one concluded.

Actions: submit (or resubmit), upload the materials the window asked to correct, the window's verdicts, accept,
accept with a tolerated gap, request correction, refuse, withdraw, cancel; claim, approve, approve on pledge,
reject, request and answer a supplement, an opinion, reassign, extend; supply a gap and the window's verdict on
it; deliver, rate, revoke a certificate. Two kinds of rules drive them: any action by anyone with any input on
any application or task (`act_on_application`, `act_on_task`), and one of the steps the object's state allows
by the actor it expects with good input (`advance_application`, `advance_task`), which takes random sequences
deep into the tables.

After every step: every application, task and certificate is in a state its table reaches; the application
agrees with its tasks (tasks exist once it was accepted; in review while a task or a needed gap is open; no
open task once it is closed; delivered exactly when it has its delivery; a rating only once concluded), each
task with its item's outcome, its assignee, its pauses, its prerequisites and its certificate; the audit
trails of each application, task and certificate replay to their stored states; a refused action changed
nothing.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    Certificate,
    CorrectionNotice,
    Delivery,
    Rating,
    ReviewTask,
    SubmittedMaterial,
    TaskEvent,
    TaskPause,
)
from sciencecity.approvals.services import applications, certificates, delivery, intake, ratings, review
from sciencecity.approvals.transitions import APPLICATION_TRANSITIONS, TASK_TRANSITIONS
from sciencecity.problems.models import Problem, ProblemEvent
from sciencecity.workdays import clock
from sciencecity.workflow.transitions import Transition
from tests.approvals.conftest import (
    START_MINIMAL,
    accepted,
    approve,
    approve_all,
    draft,
    load_demo_world,
    submitted,
    upload_for,
    upload_needed,
)
from tests.factories import EnterpriseFactory, ProjectFactory, UserFactory, applicant_of

from .harness import (
    ANY,
    CREATE,
    RIGHT,
    TARGET,
    VARIANT,
    ServiceMachine,
    Tally,
    actors,
    machine_settings,
    pick,
    reachable,
    replay,
    sources,
    trails_of,
)

pytestmark = pytest.mark.django_db

A = Application.Status
T = ReviewTask.Status
V = SubmittedMaterial.Verdict
BUNDLE = "start-construction"
GAP = "quality-safety-measures"  # the construction permit tolerates it as a gap
APPLICATION_TABLE = list(APPLICATION_TRANSITIONS)
TASK_TABLE = list(TASK_TRANSITIONS)
# Certificates have no transition table in the code (`certificates.revoke_certificate` checks the state by
# hand): the one step it allows, written here.
CERTIFICATE_TABLE = [
    Transition(Certificate.Status.VALID, "revoke", Certificate.Status.REVOKED, "approvals.change_certificate")
]
APPROVED = (T.APPROVED, T.APPROVED_ON_PLEDGE)
OUTCOME_OF = {**review.OUTCOME_OF, **dict.fromkeys(ReviewTask.OPEN_STATUSES, ApplicationItem.Outcome.PENDING)}

APPLICATION_ACTIONS = {
    "approvals.start_application": CREATE,
    "approvals.prepare_application": None,
    "approvals.save_answers": None,
    "approvals.save_form": None,
    "approvals.record_verdicts": None,
    "approvals.create_tasks": None,
    "approvals.rate_application": None,
    "approvals.recount_application_deadline": None,
    "approvals.submit_application": "submit",
    "approvals.resubmit_application": "resubmit",
    "approvals.accept_application": "accept",
    "approvals.accept_with_gaps_application": "accept_with_gaps",
    "approvals.request_correction": "request_correction",
    "approvals.refuse_application": "refuse",
    "approvals.conclude_application": "conclude",
    "approvals.deliver_application": "deliver",
    "approvals.withdraw_application": "withdraw",
    "approvals.cancel_application": "cancel",
}
TASK_ACTIONS = {
    "approvals.release_task": "release",
    "approvals.claim_task": "claim",
    "approvals.approve_task": "approve",
    "approvals.approve_on_pledge_task": "approve_on_pledge",
    "approvals.reject_task": "reject",
    "approvals.request_supplement": "request_supplement",
    "approvals.answer_supplement": "answer_supplement",
    "approvals.reassign_task": "reassign",
    "approvals.extend_deadline": "extend",
    "approvals.skip_task": "skip",
    "approvals.cancel_task": "cancel",
    "approvals.add_opinion": None,
    "approvals.record_site_inspection": None,
    "approvals.escalate_task": None,
    "approvals.recount_task_deadlines": None,
}
CERTIFICATE_ACTIONS = {"approvals.issue_certificate": CREATE, "approvals.revoke_certificate": ANY}

PEOPLE = (
    "applicant",
    "other_applicant",
    "clerk",
    "admin",
    "leader",
    "supervisor",
    "planning_reviewer",
    "planning_reviewer2",
    "planning_head",
    "housing_reviewer",
    "housing_reviewer2",
    "housing_head",
    "ecology_reviewer",
    "anonymous",
)
APPLICATIONS = 5
APPLICATION_ACTION_NAMES = [
    "submit",
    "correct_materials",
    "withdraw",
    "supply_gap",
    "rate",
    "verdicts",
    "accept",
    "accept_with_gaps",
    "request_correction",
    "refuse",
    "judge_gap",
    "deliver",
    "cancel",
    "revoke",
]
TASK_ACTION_NAMES = [
    "claim",
    "approve",
    "approve_on_pledge",
    "reject",
    "request_supplement",
    "answer_supplement",
    "opinion",
    "reassign",
    "extend",
]


def make_world():
    world = load_demo_world()
    other = EnterpriseFactory(name="重庆另一家科技有限公司")
    ProjectFactory(enterprise=other)
    people = {
        "applicant": world.applicant,
        "other_applicant": applicant_of(other, username="other-applicant"),
        "clerk": world.clerk,
        "admin": world.admin,
        "leader": UserFactory(username="leader", roles=["leader"]),
        "supervisor": UserFactory(username="supervisor", roles=["supervisor"]),
        "planning_reviewer": world.reviewer("planning"),
        "planning_reviewer2": world.reviewer("planning", 2),
        "planning_head": world.head("planning"),
        "housing_reviewer": world.reviewer("housing"),
        "housing_reviewer2": world.reviewer("housing", 2),
        "housing_head": world.head("housing"),
        "ecology_reviewer": world.reviewer("ecology"),
        "anonymous": AnonymousUser(),
    }
    ready = draft(world, BUNDLE, START_MINIMAL, key="fuzz-ready")
    upload_needed(world.applicant, ready)
    baseline = [
        ready.pk,
        submitted(world, BUNDLE, START_MINIMAL, key="fuzz-submitted").pk,
        accepted(world, BUNDLE, START_MINIMAL, key="fuzz-accepted").pk,
    ]
    nearly_done = accepted(world, BUNDLE, START_MINIMAL, key="fuzz-nearly-done")
    for item in ("engineering-planning-permit", "construction-drawing-review"):
        approve(world, nearly_done, item)
    concluded = accepted(world, BUNDLE, START_MINIMAL, key="fuzz-concluded")
    approve_all(world, concluded)
    baseline += [nearly_done.pk, concluded.pk]
    return SimpleNamespace(demo=world, people=people, baseline=baseline)


# The states an action is aimed at when the target prefers a ready object: the sources of its table rows, or
# those named here for actions that are not rows of the tables.
READY_FOR = {
    "submit": ("submit", "resubmit"),
    "approve": ("approve",),
    "approve_on_pledge": ("approve",),
    "opinion": ("approve",),
    "verdicts": ("accept",),
    "correct_materials": ("resubmit",),
}
READY_STATUSES = {
    "supply_gap": {A.IN_REVIEW},
    "judge_gap": {A.IN_REVIEW},
    "rate": {A.CONCLUDED, A.DELIVERED},
    "revoke": {A.CONCLUDED, A.DELIVERED},
}
ENDINGS = {"withdraw", "cancel", "refuse"}
# The table actions of an application whose good path takes more than one call.
ADVANCE = {
    "submit": ("submit",),
    "resubmit": ("correct_materials", "submit"),
    "accept": ("verdicts", "accept"),
    "accept_with_gaps": ("verdicts_but_gap", "accept_with_gaps"),
    "accept_gap": ("judge_gap",),
}


class ApprovalMachine(ServiceMachine):
    watched = (
        Application,
        ApplicationItem,
        ReviewTask,
        ReviewTask.depends_on.through,
        SubmittedMaterial,
        CorrectionNotice,
        TaskEvent,
        TaskPause,
        Certificate,
        Delivery,
        Rating,
        Problem,
        ProblemEvent,
    )

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def application(self, target, *ready_statuses) -> Application:
        """One of the example's applications; with the target's preference, one in `ready_statuses`."""
        ready = list(
            Application.objects.filter(pk__in=self.world.baseline, status__in=ready_statuses)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        return Application.objects.get(pk=pick(self.world.baseline, ready, target))

    def task(self, target, *actions) -> ReviewTask | None:
        """One of the tasks of the example's applications; with the target's preference, one whose state
        allows one of `actions`."""
        tasks = list(ReviewTask.objects.filter(application_id__in=self.world.baseline).order_by("pk"))
        ready = [task for task in tasks if task.status in sources(TASK_TABLE, *actions)]
        task = pick(tasks, ready, target)
        return None if task is None else ReviewTask.objects.select_related("department").get(pk=task.pk)

    def staff_of(self, task, role):
        return f"{task.department.code}_{role}"

    def assignee_or_reviewer(self, task):
        for name, person in self.world.people.items():
            if task.assignee_id and getattr(person, "pk", None) == task.assignee_id:
                return name
        return self.staff_of(task, "reviewer")

    # --- the rules: a random action by a random actor, or the next step the tables allow --------------------

    @rule(
        which=TARGET, action=st.sampled_from(APPLICATION_ACTION_NAMES), actor=actors(*PEOPLE), variant=VARIANT
    )
    def act_on_application(self, which, action, actor, variant):
        ready = sources(APPLICATION_TABLE, *READY_FOR.get(action, (action,))) | READY_STATUSES.get(
            action, set()
        )
        application = self.application(which, *ready)
        APPLICATION_CALLS[action](self, application, actor, variant)

    @rule(which=TARGET, action=st.sampled_from(TASK_ACTION_NAMES), actor=actors(*PEOPLE), variant=VARIANT)
    def act_on_task(self, which, action, actor, variant):
        task = self.task(which, *READY_FOR.get(action, (action,)))
        if task is not None:
            TASK_CALLS[action](self, task, actor, variant)

    @rule(which=st.integers(0, APPLICATIONS - 1), choice=st.integers(0, 7))
    def advance_application(self, which, choice):
        """One of the steps the application's state allows (its table's rows, and the gaps and the rating
        beside them), by the actor it expects, with good input."""
        application = Application.objects.get(pk=self.world.baseline[which])
        allowed = [
            row.action for row in APPLICATION_TABLE if row.source == application.status and row.permission
        ]
        if application.status == A.IN_REVIEW and review.open_gaps(application):
            allowed += ["supply_gap", "accept_gap"]
        if application.status in (A.CONCLUDED, A.DELIVERED):
            allowed += ["rate", "revoke"]
        onward = [action for action in allowed if action not in ENDINGS]
        if choice < 6:  # mostly onward: an ending (withdraw, cancel, refuse) once in a while
            allowed = onward
        if allowed:
            action = allowed[choice % len(allowed)]
            for step in ADVANCE.get(action, (action,)):
                APPLICATION_CALLS[step](self, Application.objects.get(pk=application.pk), RIGHT, 0)

    @rule(which=st.integers(0, 11), choice=st.integers(0, 7))
    def advance_task(self, which, choice):
        """One of the steps the task's state allows, by the actor it expects, with good input."""
        workable = {row.source for row in TASK_TABLE if row.permission}
        tasks = list(
            ReviewTask.objects.filter(application_id__in=self.world.baseline, status__in=workable).order_by(
                "pk"
            )
        )
        if not tasks:
            return
        task = ReviewTask.objects.select_related("department").get(pk=tasks[which % len(tasks)].pk)
        allowed = [row.action for row in TASK_TABLE if row.source == task.status and row.permission]
        if allowed:
            TASK_CALLS[allowed[choice % len(allowed)]](self, task, RIGHT, 0)

    # --- what the applicant does -----------------------------------------------------------------------

    def submit(self, application, actor, variant):
        key = f"fuzz-{next(self.calls)}"
        user = self.who(actor, "applicant")
        self.attempt(
            "submit", lambda: applications.submit_application(user, application, idempotency_key=key)
        )

    def correct_materials(self, application, actor, variant):
        """Upload again every material the window found wanting (or, with variant 1, one it did not ask for)."""
        user = self.who(actor, "applicant")
        wanting = application.materials.filter(is_current=True, verdict=V.REJECTED, gap_due_date__isnull=True)
        if variant == 1:
            wanting = application.materials.filter(is_current=True)[:1]
        for material in wanting.select_related("spec"):
            self.attempt(
                "upload_material",
                lambda material=material: applications.upload_material(
                    user, application, material.spec.code, upload_for(material.spec)
                ),
            )

    def withdraw(self, application, actor, variant):
        user = self.who(actor, "applicant")
        self.attempt("withdraw", lambda: applications.withdraw_application(user, application, "不再需要"))

    def supply_gap(self, application, actor, variant):
        gap = application.materials.filter(is_current=True, spec__code=GAP).select_related("spec").first()
        if gap is not None:
            user = self.who(actor, "applicant")
            upload = upload_for(gap.spec)
            self.attempt(
                "supply_tolerated_material",
                lambda: intake.supply_tolerated_material(user, application, GAP, upload),
            )

    def rate(self, application, actor, variant):
        score = (5, 1, 0, 3)[variant]
        user = self.who(actor, "applicant")
        self.attempt("rate", lambda: ratings.rate_application(user, application, score, "评价"))

    # --- what the window does --------------------------------------------------------------------------

    def verdicts(self, application, actor, variant):
        """Variant 0: accept every pending material; 1: all but the tolerated gap; 2: reject one; 3: none."""
        pending = list(
            application.materials.filter(is_current=True, verdict=V.PENDING)
            .select_related("spec")
            .order_by("pk")
        )
        if variant == 1:
            pending = [material for material in pending if material.spec.code != GAP]
        verdicts = {material.spec.code: ("accepted", "") for material in pending}
        if variant == 2 and pending:
            verdicts[pending[0].spec.code] = ("rejected", "扫描件不清晰")
        if variant == 3:
            verdicts = {}
        if not verdicts and variant != 3:
            return
        user = self.who(actor, "clerk")
        self.attempt("record_verdicts", lambda: intake.record_verdicts(user, application, verdicts))

    def accept(self, application, actor, variant):
        user = self.who(actor, "clerk")
        self.attempt("accept", lambda: intake.accept_application(user, application))

    def accept_with_gaps(self, application, actor, variant):
        gaps = {GAP: clock.today() + datetime.timedelta(days=(10, 0, 10, -1)[variant])}
        if variant == 2:
            gaps = {"land-title": gaps[GAP]}  # not a material any item tolerates as a gap
        user = self.who(actor, "clerk")
        self.attempt("accept_with_gaps", lambda: intake.accept_with_gaps(user, application, gaps))

    def request_correction(self, application, actor, variant):
        problems = [] if variant == 1 else [{"material": "land-title", "problem": "权属证明不完整"}]
        user = self.who(actor, "clerk")
        self.attempt(
            "request_correction",
            lambda: intake.request_correction(user, application, problems, "请一次性补正"),
        )

    def refuse(self, application, actor, variant):
        reason = "" if variant == 1 else "不属于受理范围"
        user = self.who(actor, "clerk")
        self.attempt("refuse", lambda: intake.refuse_application(user, application, reason))

    def judge_gap(self, application, actor, variant):
        gap = application.materials.filter(is_current=True, spec__code=GAP).first()
        if gap is None:
            return
        user = self.who(actor, "clerk")
        if variant in (0, 3):
            self.attempt("accept_supplied_gap", lambda: intake.accept_supplied_gap(user, gap))
        else:
            note = "" if variant == 2 else "仍不完整"
            self.attempt("reject_supplied_gap", lambda: intake.reject_supplied_gap(user, gap, note))

    def deliver(self, application, actor, variant):
        method = ("electronic", "post", "window", "pigeon")[variant]
        user = self.who(actor, "clerk")
        self.attempt(
            "deliver",
            lambda: delivery.deliver_application(
                user, application, method=method, recipient="王五" if method == "window" else ""
            ),
        )

    # --- what an administrator does --------------------------------------------------------------------

    def cancel(self, application, actor, variant):
        reason = "" if variant == 1 else "重复申报"
        user = self.who(actor, "admin")
        self.attempt("cancel", lambda: applications.cancel_application(user, application, reason))

    def revoke(self, application, actor, variant):
        issued = list(Certificate.objects.filter(application=application).order_by("pk"))
        if issued:
            certificate = issued[variant % len(issued)]
            user = self.who(actor, "admin")
            self.attempt("revoke", lambda: certificates.revoke_certificate(user, certificate, "证照信息有误"))

    # --- what the departments do -----------------------------------------------------------------------

    def claim(self, task, actor, variant):
        user = self.who(actor, self.staff_of(task, "reviewer"))
        self.attempt("claim", lambda: review.claim_task(user, task))

    def approve(self, task, actor, variant):
        user = self.who(actor, self.assignee_or_reviewer(task))
        self.attempt("approve", lambda: review.approve_task(user, task, "符合要求"))

    def approve_on_pledge(self, task, actor, variant):
        user = self.who(actor, self.assignee_or_reviewer(task))
        self.attempt("approve_on_pledge", lambda: review.approve_task_on_pledge(user, task, "承诺制"))

    def reject(self, task, actor, variant):
        reasons = [] if variant == 1 else ["不符合规划条件"]
        user = self.who(actor, self.assignee_or_reviewer(task))
        self.attempt("reject", lambda: review.reject_task(user, task, reasons))

    def request_supplement(self, task, actor, variant):
        text = "" if variant == 1 else "请补充日照分析"
        user = self.who(actor, self.assignee_or_reviewer(task))
        self.attempt("request_supplement", lambda: review.request_supplement(user, task, text))

    def answer_supplement(self, task, actor, variant):
        text = "" if variant == 1 else "已补充"
        user = self.who(actor, "applicant")
        self.attempt("answer_supplement", lambda: review.answer_supplement(user, task, text))

    def opinion(self, task, actor, variant):
        text = "" if variant == 1 else "初审意见:基本符合"
        user = self.who(actor, self.assignee_or_reviewer(task))
        self.attempt("add_opinion", lambda: review.add_opinion(user, task, text))

    def reassign(self, task, actor, variant):
        to = ("reviewer2", "reviewer", "head", None)[variant]
        target = self.world.people["ecology_reviewer" if to is None else self.staff_of(task, to)]
        if variant == 0 and task.assignee_id == target.pk:
            target = self.world.people[self.staff_of(task, "reviewer")]
        user = self.who(actor, self.staff_of(task, "head"))
        self.attempt("reassign", lambda: review.reassign_task(user, task, target))

    def extend(self, task, actor, variant):
        days, reason = ((5, "需要专家论证"), (0, "需要专家论证"), (61, "需要专家论证"), (5, ""))[variant]
        user = self.who(actor, self.staff_of(task, "head"))
        self.attempt("extend", lambda: review.extend_deadline(user, task, days, reason))

    # --- invariants --------------------------------------------------------------------------------------

    def check_state(self):
        apps = {app.pk: app for app in Application.objects.filter(pk__in=self.world.baseline)}
        tasks = list(
            ReviewTask.objects.filter(application_id__in=apps)
            .select_related("item", "assignee", "application_item")
            .prefetch_related("depends_on")
            .order_by("pk")
        )
        issued = list(Certificate.objects.filter(application_id__in=apps).order_by("pk"))
        paused = set(
            TaskPause.objects.filter(task__in=tasks, ended_on__isnull=True).values_list("task_id", flat=True)
        )
        open_pauses = TaskPause.objects.filter(task__in=tasks, ended_on__isnull=True).values_list(
            "task_id", flat=True
        )
        assert len(paused) == len(open_pauses), "a task with two open pauses"
        delivered = list(
            Delivery.objects.filter(application_id__in=apps).values_list("application_id", flat=True)
        )
        rated = list(Rating.objects.filter(application_id__in=apps).values_list("application_id", flat=True))
        trails = trails_of(Application, ReviewTask, Certificate)

        possible = reachable(APPLICATION_TABLE, [A.DRAFT])
        for app in apps.values():
            assert app.status in possible
            trail = trails.get((Application, str(app.pk)), [])
            state = replay(
                APPLICATION_TABLE,
                trail,
                APPLICATION_ACTIONS,
                tally=self.tally,
                label=f"application {app.number}",
            )
            assert state == app.status, (
                f"{app.number}: the trail ends at {state}, the application is {app.status}"
            )
            mine = [task for task in tasks if task.application_id == app.pk]
            self.check_application(app, mine, trail, delivered.count(app.pk), rated.count(app.pk))

        possible = reachable(TASK_TABLE, [T.WAITING])
        by_pk = {task.pk: task for task in tasks}
        for task in tasks:
            assert task.status in possible
            state = replay(
                TASK_TABLE,
                trails.get((ReviewTask, str(task.pk)), []),
                TASK_ACTIONS,
                initial=T.WAITING,
                tally=self.tally,
                label=f"task {task.pk} ({task.item.code})",
            )
            assert state == task.status, (
                f"task {task.pk}: the trail ends at {state}, the task is {task.status}"
            )
            certificates_of_task = [certificate for certificate in issued if certificate.task_id == task.pk]
            self.check_task(task, by_pk, certificates_of_task, task.pk in paused)

        possible = reachable(CERTIFICATE_TABLE, [Certificate.Status.VALID])
        for certificate in issued:
            assert certificate.status in possible
            trail = trails.get((Certificate, str(certificate.pk)), [])
            assert trail and trail[0]["action"] == "approvals.issue_certificate", (
                f"{certificate.number}: not audited"
            )
            state = replay(
                CERTIFICATE_TABLE,
                trail,
                CERTIFICATE_ACTIONS,
                initial=Certificate.Status.VALID,
                tally=self.tally,
                label=f"certificate {certificate.number}",
            )
            assert state == certificate.status

    def check_application(self, app, tasks, trail, deliveries, ratings_given):
        split = [event for event in trail if event["action"] == "approvals.create_tasks"]
        if app.accepted_at is None:
            assert not tasks and not split, f"{app.number}: tasks before acceptance"
            assert app.status in (A.DRAFT, A.SUBMITTED, A.CORRECTION, A.REFUSED, A.WITHDRAWN, A.CANCELLED)
        else:
            # One task per item, each named by the audited split.
            assert len(split) == 1 and tasks, f"{app.number}: accepted without its split into tasks"
            assert sorted(row["task"] for row in split[0]["after"]["tasks"]) == [task.pk for task in tasks]
            assert app.status in (A.IN_REVIEW, A.CONCLUDED, A.DELIVERED, A.WITHDRAWN, A.CANCELLED)
        open_tasks = [task for task in tasks if task.status in ReviewTask.OPEN_STATUSES]
        if app.status == A.IN_REVIEW:
            assert open_tasks or review.open_gaps(app), f"{app.number}: in review with nothing left to do"
        else:
            assert not open_tasks, f"{app.number} is {app.status} with open tasks {open_tasks}"
        if app.status in (A.CONCLUDED, A.DELIVERED):
            assert app.concluded_at is not None and not review.open_gaps(app)
        if app.status in (A.REFUSED, A.WITHDRAWN, A.CANCELLED):
            assert app.closed_reason.strip()
        assert deliveries == (1 if app.status == A.DELIVERED else 0), f"{app.number}: {deliveries} deliveries"
        assert ratings_given <= 1
        if ratings_given:
            assert app.status in (A.CONCLUDED, A.DELIVERED)

    def check_task(self, task, by_pk, issued, paused):
        assert task.application_item.outcome == OUTCOME_OF[task.status], (
            f"task {task.pk} is {task.status}, its item's outcome {task.application_item.outcome}"
        )
        if task.status == T.PENDING:
            assert task.assignee_id is None
        if task.status in (T.IN_REVIEW, T.SUPPLEMENT, *ReviewTask.DECIDED_STATUSES):
            assert task.assignee is not None and task.assignee.department_id == task.department_id
        if task.status in ReviewTask.DECIDED_STATUSES:
            assert task.decided_at is not None and task.decided_by_id == task.assignee_id
        if task.status in (T.PENDING, T.IN_REVIEW, T.SUPPLEMENT, *ReviewTask.DECIDED_STATUSES):
            assert (
                task.started_on is not None
                and task.promised_deadline is not None
                or task.status == T.SUPPLEMENT
            )
        assert paused == (task.status == T.SUPPLEMENT), (
            f"task {task.pk} is {task.status}, open pause: {paused}"
        )
        prerequisites = [by_pk[p.pk] for p in task.depends_on.all()]
        if task.status in (T.PENDING, T.IN_REVIEW, T.SUPPLEMENT, *ReviewTask.DECIDED_STATUSES):
            assert all(p.status in APPROVED for p in prerequisites), f"task {task.pk} started too early"
        if task.status == T.NOT_STARTED:
            assert any(p.status in (T.REJECTED, T.NOT_STARTED) for p in prerequisites)
        if task.status == T.WAITING:
            assert prerequisites and not all(p.status in APPROVED for p in prerequisites)
            assert not any(p.status in (T.REJECTED, T.NOT_STARTED) for p in prerequisites)
        expected = 1 if task.status in APPROVED and task.item.certificate_code else 0
        assert len(issued) == expected, f"task {task.pk} ({task.status}) has {len(issued)} certificates"


APPLICATION_CALLS = {
    "submit": ApprovalMachine.submit,
    "correct_materials": ApprovalMachine.correct_materials,
    "withdraw": ApprovalMachine.withdraw,
    "supply_gap": ApprovalMachine.supply_gap,
    "rate": ApprovalMachine.rate,
    "verdicts": ApprovalMachine.verdicts,
    "verdicts_but_gap": lambda machine, application, actor, variant: machine.verdicts(application, actor, 1),
    "accept": ApprovalMachine.accept,
    "accept_with_gaps": ApprovalMachine.accept_with_gaps,
    "request_correction": ApprovalMachine.request_correction,
    "refuse": ApprovalMachine.refuse,
    "judge_gap": ApprovalMachine.judge_gap,
    "deliver": ApprovalMachine.deliver,
    "cancel": ApprovalMachine.cancel,
    "revoke": ApprovalMachine.revoke,
}
TASK_CALLS = {
    "claim": ApprovalMachine.claim,
    "approve": ApprovalMachine.approve,
    "approve_on_pledge": ApprovalMachine.approve_on_pledge,
    "reject": ApprovalMachine.reject,
    "request_supplement": ApprovalMachine.request_supplement,
    "answer_supplement": ApprovalMachine.answer_supplement,
    "opinion": ApprovalMachine.opinion,
    "reassign": ApprovalMachine.reassign,
    "extend": ApprovalMachine.extend,
}


def test_bundled_approval_under_random_actions(quick_world):
    world = make_world()
    tally = Tally()
    run_state_machine_as_test(lambda: ApprovalMachine(world, tally), settings=machine_settings(20, 30))
    print(tally.summary())
    # The main path row by row; the other actions from whichever state (rarer rows are left to the long profile).
    expected = {
        (A.DRAFT, "submit", A.SUBMITTED),
        (A.SUBMITTED, "accept", A.IN_REVIEW),
        (A.IN_REVIEW, "conclude", A.CONCLUDED),
        (A.CONCLUDED, "deliver", A.DELIVERED),
        (T.WAITING, "release", T.PENDING),
        (T.PENDING, "claim", T.IN_REVIEW),
        (T.IN_REVIEW, "approve", T.APPROVED),
        (T.IN_REVIEW, "reject", T.REJECTED),
        (T.WAITING, "skip", T.NOT_STARTED),
        (Certificate.Status.VALID, "revoke", Certificate.Status.REVOKED),
    }
    actions = {"withdraw", "cancel", "request_correction", "request_supplement", "reassign", "extend"}
    missing = tally.missing(expected, actions)
    assert not missing, f"never reached: {missing}\n{tally.summary()}"
