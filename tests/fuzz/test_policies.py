"""Fuzzing redemption of policies (policies.services.claims, `TRANSITIONS`): claims started, completed with
materials, confirmed or submitted, withdrawn, returned, approved against the budget, refused and paid, by random
people.

The world: a science bureau with a reviewer and a head, the head of another department, an administrator and a
leader; three enterprises — one whose file makes it eligible (its claims are filled in by the platform and only
confirmed, 免申即享), one whose file makes it ineligible, one whose file is blank (it applies with a material,
快申快享) — each with an applicant; one published policy paying 50 (万元) per claim with a budget of 120, so
that the third approval would overrun it. Claims are for this year or the last.

After every step: each claim is in a state the table reaches from where it started (offered or draft), its
trail (`policies.start_claim`, then `policies.<action>_claim` with the states before and after) replays to it,
and it agrees with its fields (due date while submitted, amount approved within the amount asked, payment
reference once paid, reason once refused); the policy's committed and paid sums are those of its approved and
paid claims and never exceed its budget; an enterprise has at most one live claim per period; a refused action
changed nothing.
"""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

from sciencecity.enterprises import profile
from sciencecity.policies.models import Claim, ClaimMaterial, Policy, PolicyMatch
from sciencecity.policies.services import claims, matching, policies
from sciencecity.workdays import clock
from tests.factories import DepartmentFactory, EnterpriseFactory, applicant_of, staff
from tests.policies.conftest import RD_SUBSIDY

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

S = Claim.Status
TABLE = list(claims.TRANSITIONS)
ACTIONS = {
    "policies.start_claim": CREATE,
    "policies.attach_claim_material": None,
    **{f"policies.{row.action}_claim": row.action for row in TABLE},
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PEOPLE = ("strong_people", "weak_people", "blank_people", "reviewer", "head", "stranger", "admin", "leader")
ENTERPRISES = ("strong", "weak", "blank")
USER_ACTIONS = sorted({row.action for row in TABLE})
ENDINGS = {"withdraw", "refuse"}
MAX_CLAIMS = 6


def make_world():
    science = DepartmentFactory(code="science", name="科技局")
    strong = EnterpriseFactory(name="强研发企业", is_high_tech=True)
    profile.update_profile(None, strong, chain="materials", employees=100, rd_staff=40)
    profile.set_year(None, strong, clock.today().year - 1, revenue="5000", rd_spending="400")
    weak = EnterpriseFactory(name="弱研发企业", is_high_tech=True)
    profile.update_profile(None, weak, chain="information", employees=50, rd_staff=5)
    profile.set_year(None, weak, clock.today().year - 1, revenue="5000", rd_spending="100")
    blank = EnterpriseFactory(name="资料不全企业", is_high_tech=True)
    admin = staff("administrator")
    policy = policies.save_policy(
        admin,
        "rd-subsidy",
        conditions=RD_SUBSIDY,
        publish=True,
        title="研发投入补助",
        area="innovation",
        text="对研发投入强度达到 5% 的高新技术企业给予补助。",
        beneficiaries="高新技术企业",
        requirements="研发投入强度不低于 5%",
        amount=Decimal("50"),
        budget=Decimal("120"),
        valid_from=datetime.date(clock.today().year - 1, 1, 1),
        department=science,
        automatic=True,
        materials=[{"code": "audit", "name": "研发费用专项审计报告", "formats": ["pdf"], "max_size_mb": 5}],
    )
    matching.refresh()
    people = {
        "strong_people": applicant_of(strong),
        "weak_people": applicant_of(weak),
        "blank_people": applicant_of(blank),
        "reviewer": staff("department_reviewer", science),
        "head": staff("department_head", science),
        "stranger": staff("department_head", DepartmentFactory(code="ecology", name="生态环境局")),
        "admin": admin,
        "leader": staff("leader"),
    }
    world = SimpleNamespace(
        policy=policy, enterprises={"strong": strong, "weak": weak, "blank": blank}, people=people
    )
    world.baseline = [
        claims.start_claim(people["strong_people"], policy, strong).pk,
        claims.start_claim(people["blank_people"], policy, blank).pk,
        claims.start_claim(people["strong_people"], policy, strong, period=clock.today().year - 1).pk,
    ]
    return world


class ClaimMachine(ServiceMachine):
    watched = (Claim, ClaimMaterial, Policy, PolicyMatch)

    def __init__(self, world, tally):
        super().__init__(world, tally)
        self.claims = list(world.baseline)

    def who(self, name, right):
        return self.world.people[right if name == RIGHT else name]

    def own(self, claim):
        """The claim's enterprise's applicant."""
        for code, enterprise in self.world.enterprises.items():
            if enterprise.pk == claim.enterprise_id:
                return f"{code}_people"
        raise AssertionError(claim)

    def claim(self, target, *actions) -> Claim:
        rows = list(Claim.objects.filter(pk__in=self.claims).order_by("pk").values_list("pk", "status"))
        ready = [pk for pk, status in rows if status in sources(TABLE, *actions)]
        return Claim.objects.get(pk=pick([pk for pk, _status in rows], ready, target))

    # --- the rules ----------------------------------------------------------------------------------------

    @rule(
        enterprise=st.sampled_from(ENTERPRISES),
        actor=actors(*PEOPLE),
        years_ago=st.sampled_from([0, 1, 2]),
        amount=st.sampled_from([None, "30", "0"]),
    )
    def start(self, enterprise, actor, years_ago, amount):
        if len(self.claims) >= MAX_CLAIMS:
            return
        user = self.who(actor, f"{enterprise}_people")
        period = clock.today().year - years_ago
        made = self.attempt(
            "start",
            lambda: claims.start_claim(
                user, self.world.policy, self.world.enterprises[enterprise], period=period, amount=amount
            ),
        )
        if made is not None:
            self.claims.append(made.pk)

    @rule(which=TARGET, actor=actors(*PEOPLE), variant=VARIANT)
    def attach(self, which, actor, variant):
        claim = self.claim(which, "submit")
        code = "other" if variant == 1 else "audit"
        content = b"not a pdf" if variant == 2 else PDF
        user = self.who(actor, self.own(claim))
        self.attempt(
            "attach_material",
            lambda: claims.attach_material(user, claim, code, SimpleUploadedFile("审计.pdf", content)),
        )

    @rule(which=TARGET, action=st.sampled_from(USER_ACTIONS), actor=actors(*PEOPLE), variant=VARIANT)
    def act(self, which, action, actor, variant):
        claim = self.claim(which, action)
        CALLS[action](self, claim, actor, variant)

    @rule(which=st.integers(0, MAX_CLAIMS - 1), choice=st.integers(0, 7))
    def advance(self, which, choice):
        """One of the steps the claim's state allows, by whom it expects, with good input."""
        claim = Claim.objects.get(pk=self.claims[which % len(self.claims)])
        allowed = [row.action for row in TABLE if row.source == claim.status]
        if choice < 5:  # mostly onward: an ending (withdrawal, refusal) three times in eight
            allowed = [action for action in allowed if action not in ENDINGS]
        if allowed:
            action = allowed[choice % len(allowed)]
            if action == "submit":
                self.attach((False, self.claims.index(claim.pk)), RIGHT, 0)
            CALLS[action](self, Claim.objects.get(pk=claim.pk), RIGHT, 0)

    # --- the enterprise ---------------------------------------------------------------------------------

    def confirm(self, claim, actor, variant):
        user = self.who(actor, self.own(claim))
        self.attempt("confirm", lambda: claims.confirm(user, claim))

    def submit(self, claim, actor, variant):
        amount = (None, "40", "-5", "500")[variant]
        user = self.who(actor, self.own(claim))
        self.attempt("submit", lambda: claims.submit(user, claim, amount=amount))

    def withdraw(self, claim, actor, variant):
        user = self.who(actor, self.own(claim))
        self.attempt("withdraw", lambda: claims.withdraw(user, claim))

    # --- the paying department --------------------------------------------------------------------------

    def return_(self, claim, actor, variant):
        reason = "" if variant == 1 else "审计报告缺少签章"
        user = self.who(actor, "reviewer")
        self.attempt("return", lambda: claims.return_claim(user, claim, reason))

    def approve(self, claim, actor, variant):
        amount = (None, "20", "999", "0")[variant]
        user = self.who(actor, "reviewer")
        self.attempt("approve", lambda: claims.approve(user, claim, amount=amount, reason="核准"))

    def refuse(self, claim, actor, variant):
        reason = "" if variant == 1 else "不符合条件"
        user = self.who(actor, "reviewer")
        self.attempt("refuse", lambda: claims.refuse(user, claim, reason))

    def pay(self, claim, actor, variant):
        reference = "" if variant == 1 else "ZF-2026-0001"
        user = self.who(actor, "head")
        self.attempt("pay", lambda: claims.pay(user, claim, reference))

    # --- invariants ----------------------------------------------------------------------------------

    def check_state(self):
        trails = trails_by_target(Claim)
        all_claims = list(Claim.objects.filter(policy=self.world.policy).order_by("pk"))
        assert sorted(claim.pk for claim in all_claims) == sorted(self.claims)
        possible = reachable(TABLE, [S.OFFERED, S.DRAFT])
        live = {}
        for claim in all_claims:
            assert claim.status in possible
            trail = trails.get(str(claim.pk), [])
            state = replay(TABLE, trail, ACTIONS, tally=self.tally, label=f"claim {claim.number}")
            assert state == claim.status, (
                f"{claim.number}: the trail ends at {state}, the claim is {claim.status}"
            )
            first = trail[0]["after"]
            assert (
                (first["status"] == S.OFFERED)
                == (claim.route == Claim.Route.AUTOMATIC)
                == (first["route"] == Claim.Route.AUTOMATIC)
            )
            if claim.status not in Claim.ENDED:
                key = (claim.enterprise_id, claim.period)
                assert key not in live, f"two live claims of one enterprise for {claim.period}"
                live[key] = claim
            if claim.status == S.SUBMITTED:
                assert claim.submitted_at is not None and claim.due_on is not None
            if claim.status in (S.OFFERED, S.DRAFT):
                assert claim.due_on is None and claim.approved_amount is None
            if claim.status in (S.APPROVED, S.PAID):
                assert claim.approved_amount is not None and 0 < claim.approved_amount <= claim.amount
                assert claim.decided_by_id is not None
            else:
                assert claim.approved_amount is None
            assert (claim.status == S.PAID) == bool(claim.payment_reference) == (claim.paid_at is not None)
            if claim.status in (S.REFUSED,):
                assert claim.reason.strip()
        policy = Policy.objects.get(pk=self.world.policy.pk)
        approved = [claim.approved_amount for claim in all_claims if claim.status in (S.APPROVED, S.PAID)]
        paid = [claim.approved_amount for claim in all_claims if claim.status == S.PAID]
        assert policy.committed == sum(approved, Decimal(0)), (
            f"committed {policy.committed}, approved {approved}"
        )
        assert policy.paid == sum(paid, Decimal(0)), f"paid {policy.paid}, claims paid {paid}"
        assert policy.committed <= policy.budget


CALLS = {
    "confirm": ClaimMachine.confirm,
    "submit": ClaimMachine.submit,
    "withdraw": ClaimMachine.withdraw,
    "return": ClaimMachine.return_,
    "approve": ClaimMachine.approve,
    "refuse": ClaimMachine.refuse,
    "pay": ClaimMachine.pay,
}
assert set(CALLS) == set(USER_ACTIONS), "every action of the table has its call"


def test_policy_claims_under_random_actions(quick_world):
    world = make_world()
    tally = Tally()
    run_state_machine_as_test(lambda: ClaimMachine(world, tally), settings=machine_settings(30, 30))
    print(tally.summary())
    # The main path row by row; the ends from whichever state (rarer rows are left to the long profile).
    expected = {(row.source, row.action, row.target) for row in TABLE if row.action not in ENDINGS}
    missing = tally.missing(expected, ENDINGS)
    assert not missing, f"never reached: {missing}\n{tally.summary()}"
