"""Fuzzing the closed loop of problems (problems.services.lifecycle, `PROBLEM_TRANSITIONS`): report, route or
dispatch, accept or return, progress, long-term plans, rectification, verification passed or failed, reopening,
rating, merging, splitting (the parent closes with its last child) and dismissal, by random people.

The world: two departments (environment, construction) with a reviewer each and a head of the first; the
dispatch centre; an inspector; a leader; a citizen with an account; an enterprise's applicant; nobody signed
in (who reports with a phone number and follows up with the problem's code). Three categories: river
pollution (routed to the environment department, verified by inspectors), site safety (routed to construction,
verified by the reporter) and "other" (not routed: the dispatch centre dispatches it, and verifies it). Each
example starts with a river problem and a site problem routed to their departments, two "other" problems
waiting for the dispatch centre (one reported by nobody signed in), a problem split in two (one child closed,
the other rectified and waiting for verification), another split (one child closed, the other with its
department) and a closed one.

Actions: report; dispatch, merge, split, dismiss; accept, return, progress, long-term plan, rectify; verify
(passed, failed); reopen, rate — by anyone signed in (`act`), by whoever holds a problem's follow-up code
(`follow_up_by_code`, as the follow-up page calls the services: no user, the code), as the next step the
problem's state allows by whom it expects (`advance`), or as the end of a split's child other than its
verification — merged, dismissed, returned (`end_a_child`).

After every step: each problem's state is one the table reaches from "reported" and agrees with its other
fields (department and due date while a department holds it, closing time exactly when done, satisfaction
only when closed, the target of a merge, the children of a split, the counts of reworks and reopenings); its
timeline (`ProblemEvent`) and its audit trail name the same steps with the same states, and the trail replays
to its state; a refused action changed nothing.
"""

import datetime
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from sciencecity.problems.models import (
    DONE_STATES,
    Problem,
    ProblemCategory,
    ProblemEvent,
    ProblemPhoto,
    RoutingRule,
)
from sciencecity.problems.services import lifecycle
from sciencecity.problems.transitions import PROBLEM_TRANSITIONS
from sciencecity.workdays import clock
from tests.factories import DepartmentFactory, EnterpriseFactory, UserFactory, staff
from tests.problems.conftest import area_points, jpeg

from .harness import (
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
    trails_by_target,
)

pytestmark = pytest.mark.django_db

S = Problem.Status
TABLE = list(PROBLEM_TRANSITIONS)
ACTIONS = {
    "problems.report": CREATE,
    **{f"problems.{row.action}": row.action for row in TABLE},
    "problems.warn": None,
    "problems.escalate": None,
    "problems.recount_due_date": None,
}
PEOPLE = (
    "citizen",
    "applicant",
    "dispatcher",
    "inspector",
    "env_reviewer",
    "env_head",
    "build_reviewer",
    "leader",
)
# Nobody signed in reports (the report page is open to all) and follows a problem up by its code (the
# follow-up page calls the services with no user and the code); every other page asks to sign in.
ANONYMOUS = "anonymous"
MAX_PROBLEMS = 14
USER_ACTIONS = sorted({row.action for row in TABLE if row.permission})
ENDINGS = {"merge", "split", "dismiss"}
CLOCKED = (S.DISPATCHED, S.RECTIFYING, S.RECTIFIED)


def make_world():
    points = area_points()
    environment = DepartmentFactory(code="env", name="生态环境局")
    construction = DepartmentFactory(code="build", name="建设局")
    categories = {
        "river": ProblemCategory.objects.create(
            code="river", name="河道污染", deadline_days=5, verifier="inspector"
        ),
        "site": ProblemCategory.objects.create(
            code="site-safety",
            name="工地安全隐患",
            deadline_days=3,
            verifier="reporter",
            evidence_required=False,
        ),
        "other": ProblemCategory.objects.create(
            code="other", name="其他问题", deadline_days=10, verifier="dispatch"
        ),
    }
    RoutingRule.objects.create(category=categories["river"], area="", department=environment)
    RoutingRule.objects.create(category=categories["site"], area="", department=construction)
    enterprise = EnterpriseFactory()
    people = {
        "citizen": UserFactory(username="citizen"),
        "applicant": UserFactory(username="applicant", enterprise=enterprise, roles=["applicant"]),
        "dispatcher": staff("dispatcher", username="dispatcher"),
        "inspector": staff("inspector", username="inspector"),
        "env_reviewer": staff("department_reviewer", environment, username="env-reviewer"),
        "env_head": staff("department_head", environment, username="env-head"),
        "build_reviewer": staff("department_reviewer", construction, username="build-reviewer"),
        "leader": staff("leader", username="leader"),
        ANONYMOUS: AnonymousUser(),
    }
    world = SimpleNamespace(
        point=points[sorted(points)[0]],
        departments={"env": environment, "build": construction},
        categories=categories,
        people=people,
    )
    world.baseline = [
        report_problem(world, people["citizen"], "river").pk,
        report_problem(world, people["citizen"], "site").pk,
        report_problem(world, people["citizen"], "other").pk,
        report_problem(world, people[ANONYMOUS], "other").pk,
    ]
    # Two split already, each with one child closed: a parent closes with the last of its children, be it
    # verified (the first split's other child is rectified) or merged or dismissed (the second's is with its
    # department, which may return it to the dispatch centre).
    for last_child in ("rectified", "dispatched"):
        parent = report_problem(world, people["citizen"], "other")
        parts = [lifecycle.Part("清理垃圾", environment), lifecycle.Part("整治工地", construction)]
        first, second = lifecycle.split_problem(people["dispatcher"], parent, parts, "分别办理")
        rectified(first, people["env_reviewer"])
        lifecycle.verify_problem(people["dispatcher"], first, True, "已核查")
        if last_child == "rectified":
            rectified(second, people["build_reviewer"])
        world.baseline += [parent.pk, first.pk, second.pk]
    # One closed, verified by its reporter: to be rated, or reopened.
    closed = report_problem(world, people["citizen"], "site")
    rectified(closed, people["build_reviewer"])
    lifecycle.verify_problem(people["citizen"], closed, True, "满意")
    world.baseline.append(closed.pk)
    return world


def rectified(problem, reviewer):
    lifecycle.accept_problem(reviewer, problem, "已签收")
    lifecycle.rectify_problem(reviewer, problem, "已整改", [jpeg()])


def report_problem(world, user, category):
    latitude, longitude = world.point
    data = lifecycle.Report(
        category=world.categories[category],
        title="河面漂浮垃圾",
        description="桥下河面大量漂浮垃圾,有异味。",
        source="citizen",
        latitude=latitude,
        longitude=longitude,
        reporter_phone="" if getattr(user, "is_authenticated", False) else "13800000000",
    )
    return lifecycle.report_problem(user, data)


class ProblemMachine(ServiceMachine):
    watched = (Problem, ProblemEvent, ProblemPhoto)

    def __init__(self, world, tally):
        super().__init__(world, tally)
        self.problems = list(world.baseline)

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def handler(self, problem):
        """The reviewer of the department that holds the problem."""
        department = problem.department.code if problem.department_id else "env"
        return f"{department}_reviewer"

    def verifier(self, problem):
        verifier = lifecycle.verifier_of(problem)
        if verifier == ProblemCategory.Verifier.REPORTER:
            return "citizen"
        return "inspector" if verifier == ProblemCategory.Verifier.INSPECTOR else "dispatcher"

    def problem(self, target, *actions) -> Problem | None:
        rows = list(Problem.objects.filter(pk__in=self.problems).order_by("pk").values_list("pk", "status"))
        ready = [pk for pk, status in rows if status in sources(TABLE, *actions)]
        pk = pick([pk for pk, _status in rows], ready, target)
        return Problem.objects.select_related("category", "department").get(pk=pk)

    # --- the rules ----------------------------------------------------------------------------------------

    @rule(actor=actors(*PEOPLE, ANONYMOUS), category=st.sampled_from(["river", "site", "other"]))
    def report(self, actor, category):
        if len(self.problems) < MAX_PROBLEMS:
            made = self.attempt(
                "report", lambda: report_problem(self.world, self.who(actor, "citizen"), category)
            )
            if made is not None:
                self.problems.append(made.pk)

    @rule(which=TARGET, action=st.sampled_from(USER_ACTIONS), actor=actors(*PEOPLE), variant=VARIANT)
    def act(self, which, action, actor, variant):
        """Any action by anyone signed in (nobody signed in follows up in `follow_up_by_code`)."""
        problem = self.problem(which, action)
        CALLS[action](self, problem, actor, variant)

    @rule(which=st.integers(0, 2 * MAX_PROBLEMS), choice=st.integers(0, 7))
    def advance(self, which, choice):
        """One of the steps the problem's state allows, by whom it expects, with good input."""
        workable = {row.source for row in TABLE if row.permission}
        rows = Problem.objects.filter(pk__in=self.problems, status__in=workable).order_by("pk")
        pks = list(rows.values_list("pk", flat=True))
        if not pks:
            return
        problem = Problem.objects.select_related("category", "department").get(pk=pks[which % len(pks)])
        allowed = [row.action for row in TABLE if row.source == problem.status and row.permission]
        if choice < 6:  # mostly onward: merging, splitting and dismissing end a problem
            allowed = [action for action in allowed if action not in ENDINGS]
        if "rectify" in allowed and choice < 4:  # and out of a rectification's progress reports
            allowed = ["rectify"]
        if allowed:
            CALLS[allowed[choice % len(allowed)]](self, problem, RIGHT, 0)

    # --- the dispatch centre -----------------------------------------------------------------------------

    def dispatch(self, problem, actor, variant):
        department = (self.world.departments["env"], self.world.departments["build"], None, None)[variant]
        user = self.who(actor, "dispatcher")
        self.attempt("dispatch", lambda: lifecycle.dispatch_problem(user, problem, department, "请办理"))

    def merge(self, problem, actor, variant):
        others = [pk for pk in self.problems if pk != problem.pk]
        into = problem if variant == 1 else Problem.objects.get(pk=others[variant % len(others)])
        user = self.who(actor, "dispatcher")
        self.attempt("merge", lambda: lifecycle.merge_problem(user, problem, into, "重复报告"))

    def split(self, problem, actor, variant):
        departments = self.world.departments
        parts = [
            lifecycle.Part("清理垃圾", departments["env"]),
            lifecycle.Part("整治工地", departments["build"]),
        ]
        if variant == 1:
            parts = parts[:1]
        user = self.who(actor, "dispatcher")
        children = self.attempt("split", lambda: lifecycle.split_problem(user, problem, parts, "分别办理"))
        self.problems += [child.pk for child in children or ()]

    def dismiss(self, problem, actor, variant):
        reason = "" if variant == 1 else "不属于平台受理范围"
        user = self.who(actor, "dispatcher")
        self.attempt("dismiss", lambda: lifecycle.dismiss_problem(user, problem, reason))

    # --- the department -------------------------------------------------------------------------------

    def accept(self, problem, actor, variant):
        user = self.who(actor, self.handler(problem))
        self.attempt("accept", lambda: lifecycle.accept_problem(user, problem, "已签收"))

    def return_(self, problem, actor, variant):
        reason = "" if variant == 1 else "不属于本部门职责"
        user = self.who(actor, self.handler(problem))
        self.attempt("return", lambda: lifecycle.return_problem(user, problem, reason))

    def progress(self, problem, actor, variant):
        note = "" if variant == 1 else "已打捞一半"
        user = self.who(actor, self.handler(problem))
        self.attempt("progress", lambda: lifecycle.report_progress(user, problem, note))

    def plan_long_term(self, problem, actor, variant):
        due = clock.today() + datetime.timedelta(days=(90, -1, 90, 0)[variant])
        plan = "" if variant == 2 else "分期建设截污管网"
        user = self.who(actor, self.handler(problem))
        self.attempt("plan_long_term", lambda: lifecycle.plan_long_term(user, problem, plan, due))

    def rectify(self, problem, actor, variant):
        """With a photo of the evidence (variant 0 and 1), without (2, refused where the category asks for one)."""
        note = "" if variant == 1 else "已清理完毕"
        photos = [jpeg()] if variant in (0, 1) else []
        user = self.who(actor, self.handler(problem))
        self.attempt("rectify", lambda: lifecycle.rectify_problem(user, problem, note, photos))

    # --- verification, reopening, rating -------------------------------------------------------------

    def verify(self, problem, actor, variant, passed):
        note = "" if variant == 1 else "现场核查"
        user = self.who(actor, self.verifier(problem))
        self.attempt(
            "pass" if passed else "fail", lambda: lifecycle.verify_problem(user, problem, passed, note)
        )

    @rule(which=st.integers(0, 7), action=st.sampled_from(["merge", "dismiss", "return"]), variant=VARIANT)
    def end_a_child(self, which, action, variant):
        """A child of a split ended by its own steps rather than by a verification: merged into another problem
        or dismissed by the dispatch centre (returned first by its department, for a dismissal). The last open
        child's end must close the parent, whichever way it ends."""
        children = list(
            Problem.objects.filter(pk__in=self.problems, parent__isnull=False)
            .exclude(status__in=DONE_STATES)
            .select_related("category", "department")
            .order_by("pk")
        )
        if children:
            CALLS[action](self, children[which % len(children)], RIGHT, variant)

    @rule(which=TARGET, action=st.sampled_from(["reopen", "rate"]), variant=VARIANT)
    def follow_up_by_code(self, which, action, variant):
        problem = self.problem(which, action)
        CALLS[action](self, problem, ANONYMOUS, variant)

    def follow_up(self, problem, actor, variant):
        """(user, code) of a follow-up: the reporter by their account; nobody signed in (user None, as the
        follow-up page calls it) by the problem's code (a wrong one with variant 1, none with variant 3)."""
        if actor == RIGHT:
            actor = "citizen" if problem.reporter_id else ANONYMOUS
        if actor != ANONYMOUS:
            return self.world.people[actor], problem.follow_up_code if variant == 2 else ""
        return None, ("WRONG-CODE" if variant == 1 else "" if variant == 3 else problem.follow_up_code)

    def reopen(self, problem, actor, variant):
        user, code = self.follow_up(problem, actor, variant)
        reason = "" if variant == 3 else "问题又出现了"
        self.attempt("reopen", lambda: lifecycle.reopen_problem(user, problem, reason, code=code))

    def rate(self, problem, actor, variant):
        user, code = self.follow_up(problem, actor, variant)
        satisfaction = 0 if variant == 3 else 4
        self.attempt("rate", lambda: lifecycle.rate_problem(user, problem, satisfaction, code=code))

    # --- invariants ----------------------------------------------------------------------------------

    def check_state(self):
        problems = {p.pk: p for p in Problem.objects.filter(pk__in=self.problems).select_related("category")}
        problems.update({p.pk: p for p in Problem.objects.filter(parent_id__in=problems)})
        trails = trails_by_target(Problem)
        timelines = {}
        for event in ProblemEvent.objects.filter(problem_id__in=problems).order_by("pk"):
            timelines.setdefault(event.problem_id, []).append(
                (event.action, event.status_before, event.status_after)
            )
        possible = reachable(TABLE, [S.REPORTED])
        for problem in problems.values():
            assert problem.status in possible
            trail = trails.get(str(problem.pk), [])
            state = replay(TABLE, trail, ACTIONS, tally=self.tally, label=f"problem {problem.number}")
            assert state == problem.status, (
                f"{problem.number}: the trail ends at {state}, it is {problem.status}"
            )
            audited = [
                (
                    event["action"].removeprefix("problems."),
                    event["before"]["status"],
                    event["after"]["status"],
                )
                for event in trail
                if ACTIONS[event["action"]] is not None
            ]
            assert audited == timelines.get(problem.pk, []), (
                f"{problem.number}: timeline and audit trail differ"
            )
            steps = [action for action, _before, _after in audited]
            assert problem.rework_count == steps.count("fail")
            assert problem.reopen_count == steps.count("reopen")
            self.check_fields(problem, problems)

    def check_fields(self, problem, problems):
        if problem.status in CLOCKED:
            assert problem.department_id is not None and problem.due_date is not None
        if problem.status == S.REPORTED:
            assert problem.department_id is None
        assert (problem.closed_at is not None) == (problem.status in DONE_STATES), (
            f"{problem.number} is {problem.status}, closed at {problem.closed_at}"
        )
        if problem.satisfaction is not None:
            assert problem.status == S.CLOSED
        if problem.long_term:
            assert problem.status in (S.RECTIFYING, S.RECTIFIED, S.CLOSED)
        if problem.status == S.MERGED:
            assert problem.merged_into_id not in (None, problem.pk)
        else:
            assert problem.merged_into_id is None
        children = [child for child in problems.values() if child.parent_id == problem.pk]
        if problem.status == S.SPLIT:
            assert len(children) >= 2
            assert any(child.status not in DONE_STATES for child in children), (
                f"{problem.number}: split, every child done, yet not closed"
            )
        elif children:
            assert problem.status == S.CLOSED, f"{problem.number} has children but is {problem.status}"
        if problem.parent_id is not None:
            assert problems[problem.parent_id].status in (S.SPLIT, S.CLOSED)


CALLS = {
    "dispatch": ProblemMachine.dispatch,
    "merge": ProblemMachine.merge,
    "split": ProblemMachine.split,
    "dismiss": ProblemMachine.dismiss,
    "accept": ProblemMachine.accept,
    "return": ProblemMachine.return_,
    "progress": ProblemMachine.progress,
    "plan_long_term": ProblemMachine.plan_long_term,
    "rectify": ProblemMachine.rectify,
    "pass": lambda machine, problem, actor, variant: machine.verify(problem, actor, variant, True),
    "fail": lambda machine, problem, actor, variant: machine.verify(problem, actor, variant, False),
    "reopen": ProblemMachine.reopen,
    "rate": ProblemMachine.rate,
}
assert set(CALLS) == set(USER_ACTIONS), "every action a user may take has its call"


def test_the_problem_loop_under_random_actions(quick_world):
    world = make_world()
    tally = Tally()
    run_state_machine_as_test(lambda: ProblemMachine(world, tally), settings=machine_settings(20, 40))
    print(tally.summary())
    expected = {
        (S.REPORTED, "route", S.DISPATCHED),
        (S.REPORTED, "dispatch", S.DISPATCHED),
        (S.DISPATCHED, "accept", S.RECTIFYING),
        (S.DISPATCHED, "return", S.RETURNED),
        (S.RECTIFYING, "rectify", S.RECTIFIED),
        (S.RECTIFIED, "pass", S.CLOSED),
        (S.RECTIFIED, "fail", S.RECTIFYING),
        (S.CLOSED, "reopen", S.RECTIFYING),
        (S.CLOSED, "rate", S.CLOSED),
        (S.SPLIT, "close_split", S.CLOSED),
    }
    missing = tally.missing(expected, {"merge", "split", "dismiss", "plan_long_term"})
    assert not missing, f"never reached: {missing}\n{tally.summary()}"
