"""Reform metrics (改革成效) on a small hand-made catalog whose figures are worked out by hand below, on the demo
catalog, and from a few hand-built applications; and the `reform_report` command.

The hand-made catalog (working days; E = enterprise data, C = certificate, both held by the platform):

    item     dept           steps (n)              promised legal  required materials
    plan     planning       受理, 审查, 决定 (3)    4        20     licence(E), site-plan, drawings
    review   housing        受理, 审查, 合格书 (3)  6        15     licence(E), drawings, contract, site-plan
    permit   housing        受理, 决定 (2)          2        7      licence(E), plan-permit(C), contract,
                                                                   site-plan, drawings   (+ defense-calc optional)
    defense  civil_defense  备案即办 (1)            1        —      licence(E), defense-calc, site-plan
    bundle "start": intake limit 1, promised limit 8; plan, review, permit mandatory, defense situational
    (question civil = yes); permit depends on plan.

Mandatory items (plan, review, permit):
- steps separately = Σ(n + 1) = 4 + 4 + 3 = 11; bundled = 1 intake + Σ review steps (2 + 2 + 1) + 1 delivery
  = 7; saved 4.
- materials separately = 3 + 4 + 5 = 12; de-duplicated {licence, site-plan, drawings, contract, plan-permit}
  = 5, of which licence and plan-permit are held: 3 to hand in; reduction (12 − 3) / 12 = 75.0%.
- time separately: plan 1 + 4 = 5, then permit 1 + 2 → 8; review 1 + 6 = 7 in parallel; longest 8.
  Bundled: 1 + max(plan 4 + permit 2, review 6) = 7; reduction 1 / 8 = 12.5%. Legal critical path
  1 + max(20 + 7, 15) = 28. The bundle promises 8.
All items (defense added):
- steps 11 + (1 + 1) = 13 against 7 + 1 = 8; saved 5.
- materials 12 + 3 = 15; de-duplicated 6 (defense-calc added), 2 held: 4; (15 − 4) / 15 = 73.3%.
- time: defense costs 1 + 1 = 2 separately and 1 bundled, off the critical path: still 8 against 7, 12.5%.

Real applications (Monday 2026-03-02 to Monday 2026-03-16: no holiday, weekends 7–8 and 14–15 March):
    app  status      submitted → concluded    task pauses        elapsed working days
    1    concluded   03-02 → 03-16            —                  10 (3,4,5,6,9,10,11,12,13,16)
    2    delivered   03-02 → 03-06            —                  4
    3    concluded   03-02 → 03-16            review 03-09–03-13 10 − 5 = 5
    4    in review   03-02 → —                —                  (not concluded)
    5    draft       —                        —                  (not counted at all)
- 4 submitted, 3 concluded; median elapsed = median(10, 4, 5) = 5.
- promised limit = intake 1 + promised 8 = 9: apps 2 and 3 within, 2 / 3 = 66.7%;
  legal limit: each app has plan, review, permit: 1 + max(20 + 7, 15) = 28; 3 / 3 = 100.0%.
Decided tasks (start → decision, working days):
- plan:   app1 03-02→03-05 = 3, app2 03-02→03-04 = 2, app3 03-02→03-06 = 4, app4 03-02→03-04 = 2:
          median 2.5, all ≤ 4: 100.0%.
- review: app1 03-02→03-16 = 10, app2 03-02→03-06 = 4, app3 03-02→03-16 paused 03-09–13 = 5:
          median 5, ≤ 6: 2 / 3 = 66.7%.
- permit: app1 03-05→03-16 = 7, app2 03-04→03-06 = 2 (rejected), app3 03-06→03-10 = 2:
          median 2, ≤ 2: 2 / 3 = 66.7%.
- defense: no task: median None, share None.
"""

import datetime
import io
import zoneinfo
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from sciencecity.approvals.models import Application, ApplicationItem, ReviewTask, TaskPause
from sciencecity.approvals.services import reform
from sciencecity.catalog.models import Bundle
from sciencecity.catalog.services import import_catalog
from tests.factories import DepartmentFactory, ProjectFactory, applicant_of

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).resolve().parents[2] / "sciencecity" / "demo" / "data"
D = datetime.date

SMALL_CATALOG = dedent(
    """
    format: 1
    version:
      label: 改革成效测试目录
      valid_from: 2026-01-01
    materials:
      - {code: licence, name: 营业执照, source: enterprise, source_field: credit_code}
      - {code: plan-permit, name: 建设工程规划许可证, source: certificate, certificate_code: plan-permit}
      - {code: site-plan, name: 总平面图}
      - {code: drawings, name: 施工图}
      - {code: contract, name: 施工合同}
      - {code: defense-calc, name: 人防面积测算表}
    items:
      - code: plan
        name: 规划许可
        department: planning
        stage: engineering_permit
        legal_limit_days: 20
        promised_limit_days: 4
        certificate: {code: plan-permit, name: 建设工程规划许可证}
        steps: [{name: 受理, limit_days: 1}, {name: 审查, limit_days: 2}, {name: 决定, limit_days: 1}]
        materials: [licence, site-plan, drawings]
      - code: review
        name: 施工图审查
        department: housing
        stage: construction_permit
        legal_limit_days: 15
        promised_limit_days: 6
        steps: [{name: 受理, limit_days: 1}, {name: 审查, limit_days: 4}, {name: 出具合格书, limit_days: 1}]
        materials: [licence, drawings, contract, site-plan]
      - code: permit
        name: 施工许可
        department: housing
        stage: construction_permit
        legal_limit_days: 7
        promised_limit_days: 2
        steps: [{name: 受理, limit_days: 1}, {name: 决定, limit_days: 1}]
        materials: [licence, plan-permit, contract, site-plan, drawings, {material: defense-calc, required: false}]
      - code: defense
        name: 人防备案
        department: civil_defense
        stage: engineering_permit
        promised_limit_days: 1
        steps: [{name: 备案即办, limit_days: 1}]
        materials: [licence, defense-calc, site-plan]
    bundles:
      - code: start
        name: 开工一件事
        lead_department: housing
        promised_limit_days: 8
        intake_limit_days: 1
        items: [plan, review, permit, {item: defense, mandatory: false}]
        questions:
          - {code: civil, text: 是否新建民用建筑, kind: yes_no}
        rules:
          - when: {civil: [yes]}
            select: [defense]
        dependencies:
          permit: [plan]
    """
)


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def bundle():
    for code in ("planning", "housing", "civil_defense"):
        DepartmentFactory(code=code)
    version = import_catalog(SMALL_CATALOG, publish=True)
    return Bundle.objects.select_related("lead_department").get(version=version, code="start")


@pytest.fixture
def demo_version():
    rows = yaml.safe_load((DATA / "departments.yaml").read_text(encoding="utf-8"))
    for row in rows:
        DepartmentFactory(**row)
    return import_catalog((DATA / "catalog.yaml").read_bytes(), publish=True)


def by_key(scenarios):
    return {scenario.key: scenario for scenario in scenarios}


# --- the catalog comparison -------------------------------------------------------------------------------


def test_mandatory_items_compared_by_hand(bundle):
    scenario = by_key(reform.catalog_scenarios(bundle))["mandatory"]
    assert [item.code for item in scenario.items] == ["plan", "review", "permit"]
    assert scenario.separately == reform.Way(steps=11, materials=12, days=8)
    assert scenario.bundled == reform.Way(steps=7, materials=3, days=7)
    assert scenario.steps_saved == 4
    assert scenario.materials_reduction_pct == Decimal("75.0")
    assert scenario.time_reduction_pct == Decimal("12.5")
    assert (scenario.distinct_materials, scenario.held_materials) == (5, 2)
    assert scenario.bundle_promised_days == 8
    assert scenario.legal_days == 28


def test_all_items_compared_by_hand(bundle):
    scenario = by_key(reform.catalog_scenarios(bundle))["all"]
    assert [item.code for item in scenario.items] == ["plan", "review", "permit", "defense"]
    assert scenario.separately == reform.Way(steps=13, materials=15, days=8)
    assert scenario.bundled == reform.Way(steps=8, materials=4, days=7)
    assert scenario.steps_saved == 5
    assert scenario.materials_reduction_pct == Decimal("73.3")
    assert scenario.time_reduction_pct == Decimal("12.5")
    assert (scenario.distinct_materials, scenario.held_materials) == (6, 2)


def test_answers_select_the_items_compared(bundle):
    (yes,) = reform.catalog_scenarios(bundle, {"civil": "yes"})
    (no,) = reform.catalog_scenarios(bundle, {"civil": "no"})
    assert yes.key == no.key == "answers"
    assert (yes.separately, yes.bundled) == (reform.Way(13, 15, 8), reform.Way(8, 4, 7))
    assert (no.separately, no.bundled) == (reform.Way(11, 12, 8), reform.Way(7, 3, 7))
    with pytest.raises(ValidationError):
        reform.catalog_scenarios(bundle, {"civil": "maybe"})


def test_step_rule_per_item(bundle):
    items = {item.code: item for item in reform.bundle_facts(bundle).items}
    # Multi-step: own intake is the first step; separately n + 1 (delivery), bundled n − 1.
    assert (items["plan"].separate_steps, items["plan"].review_steps) == (4, 2)
    assert (items["permit"].separate_steps, items["permit"].review_steps) == (3, 1)
    # On the spot: the one step stays when bundled; separately it adds a delivery.
    assert (items["defense"].separate_steps, items["defense"].review_steps) == (2, 1)
    # Optional materials are not counted.
    assert len(items["permit"].required_materials) == 5


def test_longest_path_and_percentages_edge_cases():
    item = reform.ItemFacts(1, "a", "a", True, 0, 3, None, ())
    other = reform.ItemFacts(2, "b", "b", True, 0, 4, 9, ())
    assert reform.longest_path([], {}, lambda i: 1) == 0
    assert reform.longest_path([item, other], {2: frozenset({1})}, lambda i: i.promised_days) == 7
    # A prerequisite outside the set is ignored.
    assert reform.longest_path([other], {2: frozenset({1})}, lambda i: i.promised_days) == 4
    with pytest.raises(ValueError):
        reform.longest_path([item, other], {1: frozenset({2}), 2: frozenset({1})}, lambda i: 1)
    assert (item.separate_steps, item.review_steps) == (2, 1)  # no steps: one on-the-spot step
    assert reform.reduction_pct(0, 0) is None
    assert reform.reduction_pct(8, 10) == Decimal("-25.0")
    assert reform.reduction_pct(3, 2) == Decimal("33.3")
    assert reform.reduction_pct(8, 7) == Decimal("12.5")
    assert reform.share_pct(1, 0) is None


def test_demo_catalog_report_runs_for_both_bundles(demo_version):
    # The construction bundles (the catalog holds others: 交地即领证, the 一业一证 bundles).
    bundles = list(
        demo_version.bundles.filter(code__in=["joint-acceptance", "start-construction"]).order_by("code")
    )
    assert [bundle.code for bundle in bundles] == ["joint-acceptance", "start-construction"]
    for bundle in bundles:
        report = reform.reform_report(bundle)
        assert {scenario.key for scenario in report.scenarios} == {"mandatory", "all"}
        for scenario in report.scenarios:
            assert scenario.separately.steps > scenario.bundled.steps > 0
            assert scenario.separately.materials > scenario.bundled.materials > 0
            assert scenario.separately.days >= scenario.bundled.days > 0
        assert report.actuals.applications == 0
        assert report.actuals.median_elapsed_days is None
        assert report.actuals.within_promised_pct is None
    # 开工一件事, mandatory items: planning permit (3 steps, 2 days) → drawing review (3, 7) → construction
    # permit (3, 5), all serial. Steps 3 × 4 = 12 against 1 + 3 × 2 + 1 = 8; time 3 + 8 + 6 = 17 against
    # 1 + 2 + 7 + 5 = 15.
    start = by_key(reform.catalog_scenarios(bundles[1]))["mandatory"]
    assert (start.separately.steps, start.bundled.steps) == (12, 8)
    assert (start.separately.days, start.bundled.days) == (17, 15)


# --- real applications ------------------------------------------------------------------------------------


def make_application(bundle, project, applicant, number, status, submitted=None, concluded=None):
    return Application.objects.create(
        number=number,
        enterprise=project.enterprise,
        project=project,
        bundle=bundle,
        applicant=applicant,
        status=status,
        submitted_at=at(submitted) if submitted else None,
        accepted_at=at(submitted, 15) if submitted else None,
        concluded_at=at(concluded, 16) if concluded else None,
    )


def make_task(application, item, status, started=None, decided=None):
    application_item = ApplicationItem.objects.create(application=application, item=item)
    return ReviewTask.objects.create(
        application=application,
        application_item=application_item,
        item=item,
        department=item.department,
        status=status,
        started_on=started,
        decided_at=at(decided, 16) if decided else None,
    )


@pytest.fixture
def applications(bundle):
    project = ProjectFactory()
    applicant = applicant_of(project.enterprise)
    items = {item.code: item for item in bundle.items.all()}
    A, T = Application.Status, ReviewTask.Status
    ok = T.APPROVED

    one = make_application(bundle, project, applicant, "T-1", A.CONCLUDED, D(2026, 3, 2), D(2026, 3, 16))
    make_task(one, items["plan"], ok, D(2026, 3, 2), D(2026, 3, 5))
    make_task(one, items["review"], ok, D(2026, 3, 2), D(2026, 3, 16))
    make_task(one, items["permit"], ok, D(2026, 3, 5), D(2026, 3, 16))

    two = make_application(bundle, project, applicant, "T-2", A.DELIVERED, D(2026, 3, 2), D(2026, 3, 6))
    make_task(two, items["plan"], T.APPROVED_ON_PLEDGE, D(2026, 3, 2), D(2026, 3, 4))
    make_task(two, items["review"], ok, D(2026, 3, 2), D(2026, 3, 6))
    make_task(two, items["permit"], T.REJECTED, D(2026, 3, 4), D(2026, 3, 6))

    three = make_application(bundle, project, applicant, "T-3", A.CONCLUDED, D(2026, 3, 2), D(2026, 3, 16))
    make_task(three, items["plan"], ok, D(2026, 3, 2), D(2026, 3, 6))
    paused = make_task(three, items["review"], ok, D(2026, 3, 2), D(2026, 3, 16))
    TaskPause.objects.create(
        task=paused, reason="补充材料", started_on=D(2026, 3, 9), ended_on=D(2026, 3, 13)
    )
    make_task(three, items["permit"], ok, D(2026, 3, 6), D(2026, 3, 10))

    four = make_application(bundle, project, applicant, "T-4", A.IN_REVIEW, D(2026, 3, 2))
    make_task(four, items["plan"], ok, D(2026, 3, 2), D(2026, 3, 4))
    make_task(four, items["review"], T.IN_REVIEW, D(2026, 3, 4))

    make_application(bundle, project, applicant, "T-5", A.DRAFT)
    return [one, two, three, four]


def test_real_applications_by_hand(bundle, applications):
    actuals = reform.actual_figures(bundle)
    assert (actuals.applications, actuals.concluded) == (4, 3)
    assert actuals.median_elapsed_days == 5
    assert actuals.promised_limit_days == 9
    assert actuals.median_legal_limit_days == 28
    assert actuals.within_promised_pct == Decimal("66.7")
    assert actuals.within_legal_pct == Decimal("100.0")
    items = {item.code: item for item in actuals.items}
    assert (items["plan"].decided, items["plan"].median_days, items["plan"].within_promised_pct) == (
        4,
        2.5,
        Decimal("100.0"),
    )
    assert (items["review"].decided, items["review"].median_days, items["review"].within_promised_pct) == (
        3,
        5,
        Decimal("66.7"),
    )
    assert (items["permit"].decided, items["permit"].median_days, items["permit"].within_promised_pct) == (
        3,
        2,
        Decimal("66.7"),
    )
    assert (items["defense"].decided, items["defense"].median_days, items["defense"].within_promised_pct) == (
        0,
        None,
        None,
    )
    assert (items["review"].promised_days, items["review"].legal_days) == (6, 15)


def test_no_applications_no_figures(bundle):
    actuals = reform.actual_figures(bundle)
    assert (actuals.applications, actuals.concluded) == (0, 0)
    assert actuals.median_elapsed_days is None
    assert actuals.median_legal_limit_days is None
    assert actuals.within_promised_pct is actuals.within_legal_pct is None
    assert all(item.decided == 0 and item.median_days is None for item in actuals.items)


def test_working_day_counter_matches_the_calendar_with_pauses():
    from sciencecity.workdays.calendar import working_days_between

    spans = [
        (D(2026, 9, 28), D(2026, 10, 12), [(D(2026, 10, 8), D(2026, 10, 9))]),  # National Day, 调休 Sat 10th
        (D(2026, 3, 2), D(2026, 3, 16), [(D(2026, 3, 9), D(2026, 3, 10)), (D(2026, 3, 10), D(2026, 3, 11))]),
        (D(2026, 3, 2), D(2026, 3, 6), [(D(2026, 3, 5), None)]),  # open pause: until the end
        (D(2026, 3, 2), D(2026, 3, 2), []),
    ]
    needed = [day for a, b, pauses in spans for day in reform.WorkingDayCounter.needed(a, b, pauses)]
    counter = reform.WorkingDayCounter(needed)
    for a, b, pauses in spans:
        closed = [(start, end or b) for start, end in pauses]
        assert counter.between(a, b, pauses) == working_days_between(a, b, closed), (a, b)


# --- the command ---------------------------------------------------------------------------------------


def run_report(*args) -> str:
    out = io.StringIO()
    call_command("reform_report", *args, stdout=out)
    return out.getvalue()


def test_command_prints_the_figures_and_the_seed_references(bundle, applications, time_machine):
    time_machine.move_to(at(D(2026, 3, 20)), tick=False)
    output = run_report("start")
    assert "开工一件事" in output
    for figure in ("11", "7", "−4", "12", "3", "−75.0%", "8", "−12.5%", "13", "−5", "15", "−73.3%"):
        assert figure in output, figure
    for reference in ("−14", "−25%", "−70%"):
        assert reference in output, reference
    # Real applications: 4 submitted, 3 concluded, median 5 against 9 and 28, shares, per item.
    assert "已提交 4 件,已办结 3 件" in output
    for figure in ("66.7%", "100.0%", "2.5", "28"):
        assert figure in output, figure
    assert "计算规则" in output


def test_command_with_answers_and_version(bundle):
    output = run_report("start", "--version", str(bundle.version.number), "--answers", '{"civil": "no"}')
    assert "按情形回答选定的事项(3 项)" in output
    assert "−75.0%" in output
    assert "尚无已办结的办件" in output


def test_command_for_every_bundle_of_the_version_in_force(demo_version, time_machine):
    time_machine.move_to(at(D(2026, 3, 20)), tick=False)
    output = run_report()
    assert "开工一件事" in output and "联合验收一件事" in output
    assert output.count("−14") >= 4  # each scenario of each bundle prints the references


def test_unknown_bundle_lists_the_valid_codes(demo_version, time_machine):
    time_machine.move_to(at(D(2026, 3, 20)), tick=False)
    with pytest.raises(CommandError) as raised:
        run_report("no-such-bundle")
    message = str(raised.value)
    assert "no-such-bundle" in message
    assert "joint-acceptance" in message and "start-construction" in message


def test_unknown_version_and_bad_answers(bundle):
    with pytest.raises(CommandError):
        run_report("--version", "999")
    with pytest.raises(CommandError):
        run_report("--answers", '{"civil": "yes"}')
    with pytest.raises(CommandError):
        run_report("start", "--version", str(bundle.version.number), "--answers", "{not json")
    with pytest.raises(CommandError):
        run_report("start", "--version", str(bundle.version.number), "--answers", '{"civil": "maybe"}')
