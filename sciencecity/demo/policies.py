"""The demo's enterprise policies (惠企政策): the 40 "金凤凰" measures of `data/policies.yaml`, ten in each of
the four areas, published a little over a year ago by the departments that honour them (科技创新局, 经济和信息化局,
人力资源和社会保障局, 金融服务局, with a head and a reviewer each), and one draft; every enterprise's verdicts
computed once from the files (`matching.refresh`), and the 政策找企业 notices the departments have sent for a
few measures. Through the policies' services, on the day each thing happened."""

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.accounts.models import User
from sciencecity.accounts.roles import ROLES
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.policies.models import Claim, Policy, PolicyMatch, PolicyNotice
from sciencecity.policies.services import claims, matching, notices, policies
from sciencecity.policies.services.materials import material_rules
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import add_working_days

from . import applications as demo_applications
from .problems import _create_departments
from .projects import _moment
from .samples import SAMPLES

DATA = Path(__file__).parent / "data" / "policies.yaml"
PUBLISHED_DAYS_AGO = 400
VALID_YEARS = 3
TOLD = ("jfh-innovation-02", "jfh-finance-05", "jfh-talent-03", "jfh-industry-05")  # notices already sent
TOLD_DAYS_AGO = (45, 30, 20, 10)  # when each was sent: the first long enough ago for claims to be overdue
ON_THE_DESK = 0.1  # of the submitted claims, those the department has not taken up yet (overdue, if old)
KEEPERS = ("science", "economy", "human_resources", "finance")
BUDGET_CLAIMS = 150  # each measure's budget pays this many claims at its full amount


@dataclass
class PoliciesSummary:
    policies: int = 0
    drafts: int = 0
    eligible: int = 0
    unknown: int = 0
    notices: int = 0
    claims: int = 0
    paid: int = 0
    accounts: list = field(default_factory=list)  # (username, role, department name)


def _people(rng, departments, password_hash, person_name) -> list[tuple[str, str, str]]:
    """A head (who keeps the policies) and a reviewer of each honouring department, where there is none; the
    accounts made, to be printed."""
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    printed = []
    for code in KEEPERS:
        for role, prefix in (("department_head", "head"), ("department_reviewer", "reviewer")):
            username = f"{prefix}-{code.replace('_', '-')}"
            if not User.objects.filter(username=username).exists():
                user = User(username=username, display_name=person_name(rng), department=departments[code])
                user.password = password_hash
                user.full_clean(exclude=["password"])
                user.save()
                user.groups.add(groups[role])
                printed.append((username, role, departments[code].name))
                record(
                    None,
                    "demo.create_user",
                    user,
                    after={
                        **snapshot(user, fields=["username", "display_name", "department"]),
                        "groups": [role],
                    },
                )

    return printed


def _save(row, departments, data, today, *, publish: bool):
    fields = {
        "title": row["title"],
        "area": row["area"],
        "text": _text(row),
        "beneficiaries": row["beneficiaries"],
        "requirements": row["requirements"],
        "amount": Decimal(str(row["amount"])) if row.get("amount") is not None else None,
        "amount_text": row["amount_text"],
        "budget": Decimal(str(row["amount"] * BUDGET_CLAIMS)) if row.get("amount") is not None else None,
        "valid_from": today - datetime.timedelta(days=PUBLISHED_DAYS_AGO),
        "valid_until": datetime.date(today.year + VALID_YEARS - 1, 12, 31),
        "department": departments[row["dept"]],
        "time_limit_days": 15 if row["area"] in ("talent", "finance") else 20,
        "address": data["address"],
        "phone": data["phones"][row["dept"]],
        "mode": row.get("mode", "all"),
        "automatic": bool(row.get("automatic")),
        "materials": [] if row.get("automatic") else data["materials"][row["area"]],
    }
    conditions = [{"fact": fact, "operator": op, "value": value} for fact, op, value in row["conditions"]]
    return policies.save_policy(None, row["code"], conditions=conditions, publish=publish, **fields)


def _text(row) -> str:
    return (
        f"为加快建设具有全国影响力的科技创新中心核心区,落实“金凤凰”政策,对{row['beneficiaries']}给予支持。"
        f"申报条件:{row['requirements']}。支持标准:{row['amount_text']}。"
        "同一企业同一年度同一事项不重复享受;企业应对申报材料的真实性负责,弄虚作假的,收回资金并纳入信用记录。"
    )


def create_policies(seed: int, steps, password_hash, person_name) -> PoliciesSummary:
    rng = random.Random(f"{seed}:policies")
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    today = clock.today()
    summary = PoliciesSummary()
    departments = _create_departments(data["departments"])
    summary.accounts = _people(rng, departments, password_hash, person_name)
    steps.start(_("惠企政策"), len(data["measures"]) + 1)
    published = today - datetime.timedelta(days=PUBLISHED_DAYS_AGO)
    with clock.frozen_at(_moment(published - datetime.timedelta(days=10), 9)):
        for row in data["measures"]:
            _save(row, departments, data, today, publish=True)
            summary.policies += 1
            steps.advance()
    with clock.frozen_at(_moment(today - datetime.timedelta(days=12), 16)):
        _save(data["draft"], departments, data, today, publish=False)
        summary.drafts += 1
        steps.advance()
    with clock.frozen_at(_moment(today - datetime.timedelta(days=1), 2)):
        matching.refresh(today=today)  # the night's refresh, as the background task would run it
    for offset, code in enumerate(TOLD):
        policy = Policy.objects.get(code=code)
        officer = User.objects.get(username=f"head-{policy.department.code.replace('_', '-')}")
        with clock.frozen_at(_moment(today - datetime.timedelta(days=TOLD_DAYS_AGO[offset]), 10)):
            notices.notify_enterprises(officer, policy)
    summary.claims = _play_claims(rng, today)
    demo_applications.read_what_came_before(demo_applications.NOW - demo_applications.READ_BEFORE)
    summary.eligible = PolicyMatch.objects.filter(verdict=PolicyMatch.Verdict.ELIGIBLE).count()
    summary.unknown = PolicyMatch.objects.filter(verdict=PolicyMatch.Verdict.UNKNOWN).count()
    summary.notices = PolicyNotice.objects.count()
    summary.paid = Claim.objects.filter(status=Claim.Status.PAID).count()
    return summary


# --- redemption --------------------------------------------------------------------------------------------

APPLY_SHARE = 0.4  # of the enterprises told of a measure that is applied for, those who apply
CONFIRM_SHARE = 0.75  # of the claims filled in without application, those confirmed


def _play_claims(rng, today) -> int:
    """The enterprises told of a measure claim it: those paid without application confirm the claim the
    platform filled in (not all, and not the demo applicant's enterprise, whose claim waits for `applicant`),
    the others apply with their materials; the paying department decides each within its time limit or a
    little later, approves against the budget (refusing once it is spent), returns a few for correction,
    refuses some with a reason, and records the payments of most of what it approved. Every step on its day."""
    waiting = User.objects.filter(username="applicant").values_list("enterprise_id", flat=True).first()
    played = 0
    for code in TOLD:
        policy = Policy.objects.get(code=code)
        reviewer = User.objects.get(username=f"reviewer-{policy.department.code.replace('_', '-')}")
        told = PolicyNotice.objects.filter(policy=policy).order_by("enterprise_id")
        for notice in told:
            sent = notice.sent_at.astimezone(demo_applications.ZONE).date()
            day = sent + datetime.timedelta(days=rng.randint(1, 6))
            if day >= today:
                continue
            claim = Claim.objects.filter(policy=policy, enterprise_id=notice.enterprise_id).first()
            with clock.frozen_at(_moment(day, rng.randint(9, 17))):
                if claim is not None:  # filled in by the platform when it was told
                    if notice.enterprise_id == waiting:
                        continue
                    if rng.random() > CONFIRM_SHARE:
                        if rng.random() < 0.2:  # not for us this year: the enterprise says so
                            claims.withdraw(None, claim)
                        continue
                    claim = claims.confirm(None, claim)
                else:
                    if rng.random() > APPLY_SHARE:
                        continue
                    claim = _apply(rng, policy, notice.enterprise)
                    if claim is None:
                        continue
            played += 1
            _decide(rng, reviewer, claim, today)
    return played


def _apply(rng, policy, enterprise):
    try:
        claim = claims.start_claim(None, policy, enterprise, note="按政策要求提交材料,请审核。")
    except ValidationError:  # no longer eligible by its file
        return None
    for rule in material_rules(policy):
        kind = rule.formats[0] if rule.formats else "pdf"
        upload = SimpleUploadedFile(f"{rule.name}.{kind}", SAMPLES[kind])
        claims.attach_material(None, claim, rule.code, upload)
    if rng.random() < 0.08:
        return None  # still being filled in
    return claims.submit(None, claim)


def _decide(rng, reviewer, claim, today) -> None:
    if rng.random() < ON_THE_DESK:
        return  # still waiting on a reviewer's desk: past its time limit if submitted long enough ago
    start = timezone.localdate(claim.submitted_at)
    day = add_working_days(start, rng.randint(2, claim.policy.time_limit_days + 3))
    if day >= today:
        return  # still waiting (some past their time limit: overdue)
    with clock.frozen_at(_moment(day, rng.randint(9, 17))):
        chance = rng.random()
        if chance < 0.06:
            claims.return_claim(reviewer, claim, "申请表未加盖公章,请补正后重新提交。")
            return
        if chance < 0.12:
            claims.refuse(reviewer, claim, "经核查,企业上年度研发投入未达到申报条件。")
            return
        try:
            claim = claims.approve(reviewer, claim)
        except ValidationError:
            claims.refuse(reviewer, claim, "本年度政策预算已用完,请关注下一年度申报。")
            return
    paid_on = add_working_days(day, rng.randint(3, 10))
    if paid_on < today and rng.random() < 0.8:
        with clock.frozen_at(_moment(paid_on, 15)):
            claims.pay(reviewer, claim, f"GK{paid_on:%Y%m%d}{claim.pk:05d}")
