"""Fuzzing the invest-first fund (fund.services.investments): investments (`INVESTMENTS`) and their tranches
(`TRANCHES`) — application, due diligence, the committee's votes and decision, the agreement, milestones met
and tranches disbursed, conversion, repayment, write-off — by random people.

The world: a tech enterprise and its applicant, an ordinary enterprise and its applicant, the fund's task force
(a reviewer given `fund.manage_fund`), an administrator (who manages the fund too), four leaders (the
committee) and a reviewer who holds none of the fund's permissions. Six investments start each example: two applied
for, one in due diligence, one before the committee, two invested with their first tranche disbursed.

After every step: each investment and tranche is in a state its table reaches; the investment's trail
(`fund.apply`, then `fund.<action>` with the states before and after; votes change nothing) replays to its
state, and the tranche events it carries (`fund.meet_milestone`, `fund.disburse`, each naming its tranche)
replay each tranche to its state; tranches exist exactly once the agreement is signed and add up to its
amount; approval had a quorum voting more for than against; the money at the end agrees with what was
disbursed (converted, or repaid plus written off); a refused action changed nothing.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from sciencecity.fund.models import Investment, Tranche, Vote
from sciencecity.fund.services import investments as fund
from sciencecity.workdays import clock
from tests.factories import EnterpriseFactory, UserFactory, applicant_of, staff

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

S = Investment.Status
T = Tranche.Status
TABLE = list(fund.INVESTMENTS)
TRANCHE_TABLE = list(fund.TRANCHES)
ACTIONS = {"fund.apply": CREATE, "fund.vote": None, **{f"fund.{row.action}": row.action for row in TABLE}}
TRANCHE_ACTIONS = {"fund.meet_milestone": "meet", "fund.disburse": "disburse"}
PEOPLE = (
    "founder",
    "other_founder",
    "manager",
    "admin",
    "member1",
    "member2",
    "member3",
    "member4",
    "bystander",
)
MEMBERS = ("member1", "member2", "member3", "member4")
USER_ACTIONS = sorted({row.action for row in TABLE})
ENDINGS = {
    "withdraw",
    "reject",
}  # the ends of an investment that never was; conversion and the others end one
ENDED = (S.CONVERTED, S.REPAID, S.WRITTEN_OFF)
MAX_INVESTMENTS = 8


def make_world():
    startup = EnterpriseFactory(name="重庆量子芯科技有限公司", is_tech_based=True)
    plain = EnterpriseFactory(name="重庆普通贸易有限公司")
    manager = staff("department_reviewer", username="fund-manager")
    manager.user_permissions.add(Permission.objects.get(codename="manage_fund"))
    people = {
        "founder": applicant_of(startup),
        "other_founder": applicant_of(plain),
        "manager": type(manager).objects.get(pk=manager.pk),
        "admin": staff("administrator"),
        **{name: UserFactory(roles=["leader"]) for name in MEMBERS},
        "bystander": staff("department_reviewer", username="bystander"),
    }
    world = SimpleNamespace(enterprises={"startup": startup, "plain": plain}, people=people)
    manager = people["manager"]
    applied = apply_for(people["founder"], startup)
    in_diligence = fund.start_diligence(manager, apply_for(people["founder"], startup))
    before_committee = fund.to_committee(
        manager, fund.start_diligence(manager, apply_for(people["founder"], startup)), "技术领先"
    )
    invested = [signed(world, people, startup) for _ in range(2)]
    also_applied = apply_for(people["founder"], startup)
    world.baseline = [
        applied.pk,
        also_applied.pk,
        in_diligence.pk,
        before_committee.pk,
        *(i.pk for i in invested),
    ]
    return world


def signed(world, people, startup):
    """An investment through the committee and signed, its first tranche disbursed."""
    manager = people["manager"]
    investment = fund.to_committee(
        manager, fund.start_diligence(manager, apply_for(people["founder"], startup)), "团队完整"
    )
    for member in MEMBERS[:3]:
        fund.vote(people[member], investment, "for")
    investment = fund.sign(
        manager,
        fund.approve(manager, investment, "同意"),
        amount="100",
        signed_on=clock.today() - datetime.timedelta(days=60),
        trigger="next_round",
        discount="20",
        repayment_date=clock.today() + datetime.timedelta(days=3 * 365),
        tranches=[{"amount": "60", "milestone": "中试线建成"}, {"amount": "40", "milestone": "首批流片成功"}],
    )
    first = investment.tranches.get(number=1)
    fund.disburse(manager, fund.meet_milestone(manager, first, "已验收"), "ZF-0001")
    return investment


def apply_for(user, enterprise, requested="100"):
    return fund.apply(
        user, enterprise, title="量子点传感芯片中试", summary="建设中试线,完成流片。", requested=requested
    )


class FundMachine(ServiceMachine):
    watched = (Investment, Tranche, Vote)

    def __init__(self, world, tally):
        super().__init__(world, tally)
        self.investments = list(world.baseline)

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def investment(self, target, *actions) -> Investment:
        rows = list(
            Investment.objects.filter(pk__in=self.investments).order_by("pk").values_list("pk", "status")
        )
        ready = [pk for pk, status in rows if status in sources(TABLE, *actions)]
        return Investment.objects.get(pk=pick([pk for pk, _status in rows], ready, target))

    def tranche(self, target, action) -> Tranche | None:
        tranches = list(Tranche.objects.filter(investment_id__in=self.investments).order_by("pk"))
        ready = [
            tranche
            for tranche in tranches
            if tranche.status in sources(TRANCHE_TABLE, action)
            and Investment.objects.filter(pk=tranche.investment_id, status=S.INVESTED).exists()
        ]
        return pick(tranches, ready, target)

    # --- the rules ----------------------------------------------------------------------------------------

    @rule(
        actor=actors(*PEOPLE),
        enterprise=st.sampled_from(["startup", "plain"]),
        requested=st.sampled_from(["100", "0", "abc"]),
    )
    def apply(self, actor, enterprise, requested):
        if len(self.investments) < MAX_INVESTMENTS:
            user = self.who(actor, "founder")
            made = self.attempt(
                "apply", lambda: apply_for(user, self.world.enterprises[enterprise], requested)
            )
            if made is not None:
                self.investments.append(made.pk)

    @rule(which=TARGET, action=st.sampled_from(USER_ACTIONS), actor=actors(*PEOPLE), variant=VARIANT)
    def act(self, which, action, actor, variant):
        CALLS[action](self, self.investment(which, action), actor, variant)

    @rule(
        which=TARGET,
        actor=actors(*PEOPLE),
        choice=st.sampled_from(["for", "for", "against", "abstain", "maybe"]),
    )
    def vote(self, which, actor, choice):
        investment = self.investment(which, "approve")
        user = self.who(actor, MEMBERS[next(self.calls) % len(MEMBERS)])
        self.attempt("vote", lambda: fund.vote(user, investment, choice, "意见"))

    @rule(which=TARGET, action=st.sampled_from(["meet", "disburse"]), actor=actors(*PEOPLE), variant=VARIANT)
    def tranche_act(self, which, action, actor, variant):
        tranche = self.tranche(which, action)
        if tranche is None:
            return
        user = self.who(actor, "manager")
        text = "" if variant == 1 else "已通过验收"
        call = fund.meet_milestone if action == "meet" else fund.disburse
        self.attempt(action, lambda: call(user, tranche, text))

    @rule(which=st.integers(0, MAX_INVESTMENTS - 1), choice=st.integers(0, 7))
    def advance(self, which, choice):
        """One of the steps the investment's state allows, by whom it expects, with good input (a quorum's
        votes before the approval; a tranche's next step while invested)."""
        investment = Investment.objects.get(pk=self.investments[which % len(self.investments)])
        allowed = [row.action for row in TABLE if row.source == investment.status]
        if investment.status == S.INVESTED and choice < 4:
            # Half of the time a tranche's next step while there is one; else one of the three ends, evenly.
            allowed = ["tranche"] if investment.tranches.exclude(status=T.DISBURSED).exists() else allowed
        if choice < 5:  # mostly onward: an ending (withdrawal, refusal) three times in eight
            allowed = [action for action in allowed if action not in ENDINGS]
        if not allowed:
            return
        action = allowed[choice % len(allowed)]
        if action == "tranche":
            tranche = investment.tranches.exclude(status=T.DISBURSED).order_by("number").first()
            next_step = "meet" if tranche.status == T.PLANNED else "disburse"
            self.tranche_act((True, 0), next_step, RIGHT, 0)
            return
        if action == "approve":
            for member in MEMBERS[:3]:
                self.attempt(
                    "vote", lambda member=member: fund.vote(self.world.people[member], investment, "for")
                )
        CALLS[action](self, Investment.objects.get(pk=investment.pk), RIGHT, 0)

    # --- the actions -------------------------------------------------------------------------------------

    def start_diligence(self, investment, actor, variant):
        user = self.who(actor, "manager")
        self.attempt("start_diligence", lambda: fund.start_diligence(user, investment))

    def withdraw(self, investment, actor, variant):
        user = self.who(actor, "founder")
        self.attempt("withdraw", lambda: fund.withdraw(user, investment))

    def reject(self, investment, actor, variant):
        reason = "" if variant == 1 else "技术路线不成熟"
        user = self.who(actor, "manager")
        self.attempt("reject", lambda: fund.reject(user, investment, reason))

    def to_committee(self, investment, actor, variant):
        report = "" if variant == 1 else "尽调报告:技术领先,团队完整。"
        user = self.who(actor, "manager")
        self.attempt("to_committee", lambda: fund.to_committee(user, investment, report))

    def approve(self, investment, actor, variant):
        user = self.who(actor, "manager")
        self.attempt("approve", lambda: fund.approve(user, investment, "同意投资"))

    def sign(self, investment, actor, variant):
        today = clock.today()
        tranches = [
            {"amount": "60", "milestone": "中试线建成"},
            {"amount": "40" if variant != 1 else "30", "milestone": "首批流片成功"},
        ]
        signed_on = (
            today + datetime.timedelta(days=1) if variant == 2 else today - datetime.timedelta(days=30)
        )
        user = self.who(actor, "manager")
        self.attempt(
            "sign",
            lambda: fund.sign(
                user,
                investment,
                amount="100",
                signed_on=signed_on,
                trigger="next_round",
                discount=None if variant == 3 else "20",
                repayment_date=today + datetime.timedelta(days=3 * 365),
                tranches=tranches,
            ),
        )

    def convert(self, investment, actor, variant):
        percent = ("4.5", "0", "4.5", "120")[variant]
        user = self.who(actor, "manager")
        self.attempt(
            "convert", lambda: fund.convert(user, investment, equity_percent=percent, note="A轮触发")
        )

    def repay(self, investment, actor, variant):
        amount = ("10", "100000", "abc", "1")[variant]
        user = self.who(actor, "manager")
        self.attempt("repay", lambda: fund.repay(user, investment, amount=amount, note="到期回收"))

    def write_off(self, investment, actor, variant):
        reason = "" if variant == 1 else "企业破产清算"
        user = self.who(actor, "manager")
        self.attempt("write_off", lambda: fund.write_off(user, investment, reason))

    # --- invariants ----------------------------------------------------------------------------------

    def check_state(self):
        investments = list(Investment.objects.filter(pk__in=self.investments).order_by("pk"))
        trails = trails_by_target(Investment)
        possible = reachable(TABLE, [S.APPLIED])
        possible_tranche = reachable(TRANCHE_TABLE, [T.PLANNED])
        for investment in investments:
            assert investment.status in possible
            trail = trails.get(str(investment.pk), [])
            own = [event for event in trail if event["action"] not in TRANCHE_ACTIONS]
            state = replay(TABLE, own, ACTIONS, tally=self.tally, label=f"investment {investment.number}")
            assert state == investment.status, (
                f"{investment.number}: trail {state}, stored {investment.status}"
            )
            tranches = list(investment.tranches.order_by("number"))
            signed = investment.status in (S.INVESTED, *ENDED)
            assert bool(tranches) == signed, (
                f"{investment.number} is {investment.status} with {len(tranches)} tranches"
            )
            if signed:
                assert sum(tranche.amount for tranche in tranches) == investment.amount
            for tranche in tranches:
                assert tranche.status in possible_tranche
                events = [
                    e
                    for e in trail
                    if e["action"] in TRANCHE_ACTIONS and e["after"]["number"] == tranche.number
                ]
                state = replay(
                    TRANCHE_TABLE,
                    events,
                    TRANCHE_ACTIONS,
                    initial=T.PLANNED,
                    tally=self.tally,
                    label=f"{investment.number} tranche {tranche.number}",
                )
                assert state == tranche.status
                assert (tranche.met_at is not None) == (tranche.status != T.PLANNED)
                assert (tranche.disbursed_at is not None) == (tranche.status == T.DISBURSED)
            if investment.status in (S.APPROVED, S.INVESTED, *ENDED):
                counts = fund.tally(investment)
                assert sum(counts.values()) >= fund.QUORUM and counts["for"] > counts["against"]
            disbursed = sum((t.amount for t in tranches if t.status == T.DISBURSED), Decimal(0))
            if investment.status == S.CONVERTED:
                assert investment.converted == disbursed > 0
            elif investment.status == S.REPAID:
                assert investment.repaid + investment.written_off == disbursed
            elif investment.status == S.WRITTEN_OFF:
                assert investment.written_off == disbursed
            else:
                assert investment.converted == investment.repaid == investment.written_off == 0
            if investment.status not in (S.COMMITTEE, S.APPROVED, S.INVESTED, *ENDED):
                assert not investment.votes.exists() or investment.status == S.REJECTED


CALLS = {
    "start_diligence": FundMachine.start_diligence,
    "withdraw": FundMachine.withdraw,
    "reject": FundMachine.reject,
    "to_committee": FundMachine.to_committee,
    "approve": FundMachine.approve,
    "sign": FundMachine.sign,
    "convert": FundMachine.convert,
    "repay": FundMachine.repay,
    "write_off": FundMachine.write_off,
}
assert set(CALLS) == set(USER_ACTIONS), "every action of the table has its call"


def test_the_fund_under_random_actions(quick_world):
    world = make_world()
    tally = Tally()
    run_state_machine_as_test(lambda: FundMachine(world, tally), settings=machine_settings(40, 30))
    print(tally.summary())
    # The main path row by row; the ends from whichever state (rarer rows are left to the long profile).
    ends = {"withdraw", "reject", "convert", "repay", "write_off"}
    expected = {
        (row.source, row.action, row.target) for row in TABLE + TRANCHE_TABLE if row.action not in ends
    }
    missing = tally.missing(expected, ends)
    assert not missing, f"never reached: {missing}\n{tally.summary()}"
