"""The demo's 三评合一 and 一业一证: the zone's merged environmental review used by a few start-construction
applications, and enterprises that opened a laboratory, a pharmacy or a restaurant through one application and
received one industry licence (行业综合许可证).

Played on the same timeline as the year of applications (`demo.applications.create_applications`, which takes
`scripts` and runs them beside its own), through the same services and by the same people, so that dates,
numbers, deadlines and certificates are those the platform would have stored:

- 三评合一: two start-construction applications of manufacturing projects whose environmental impact report
  also covered the soil and water conservation plan and the river outfall (answer 三评合一), reviewed once by
  the ecology bureau, delivered and rated; a third in review, its merged task held by the ecology reviewer.
  Their projects are ones the year's stories do not apply for (the year's plan is replayed to know which);
- 一业一证: a biomedical company's research laboratory (BSL-2, precursor chemicals), a pharmacy beside a
  hospital (or in a biomedical park; medical devices and food too), a staff canteen in a talent apartment
  building or an innovation centre (its own sewer connection): each delivered with its industry licence
  listing the permits; and a restaurant in a mall or hotel in review (any completed building where the demo
  has none of those). The tasks are decided by the departments' reviewers as in the year's
  stories (`demo.applications.task_script`), and the window's unified delivery issues the licence.

Deterministic: one `random.Random(f"{seed}:reforms")`, projects taken in code order.
"""

import datetime
import random

from sciencecity.approvals.services import applications as app_services
from sciencecity.approvals.services import intake
from sciencecity.projects.models import Project

from . import applications as demo

MERGED_ANSWER = {"eia_category": "three_in_one"}  # the answer that selects the merged review (三评合一)
LAB, PHARMACY, RESTAURANT = "open-laboratory", "open-pharmacy", "open-restaurant"
P = Project.Phase
FIRST_INDEX = 800  # story numbers of this module (the year's run from 1, the handovers' from 900)

MERGED_RATING = (5, "环评、水保、排污口一本报告、一次审批,比原来分三次办省了一个多月。")
LICENCE_RATINGS = {
    LAB: (5, "排污登记、病原微生物实验室备案、易制毒化学品备案一次办完,拿到一张综合许可证就能开展实验。"),
    PHARMACY: (5, "药品经营许可和医疗器械、食品备案一次申请,一张行业综合许可证全部载明,开业很顺利。"),
    RESTAURANT: (4, "食品经营许可和消防检查一起办,一张证就能开业;排水许可现场核查多跑了一次。"),
}
RESEARCH_FIELDS = {
    "27": "创新药物筛选与药效评价",
    "73": "检验检测与中试放大研究",
    "39": "半导体材料与器件表征",
}


def scripts(stage, seed: int) -> list:
    """The scripts of this module's stories, for the applications' timeline (none without the bundles)."""
    rng = random.Random(f"{seed}:reforms")
    d0, days = demo.DEMO_TODAY, stage.days
    last_evening = datetime.datetime.combine(days.shift(d0, -1), datetime.time(17, 30), tzinfo=demo.ZONE)
    made = []

    def story(fate, bundle, project, start, answers, **profile):
        finished = fate in demo.FINISHED
        one = demo.Story(
            index=FIRST_INDEX + len(made) + 1,
            fate=fate,
            bundle_code=bundle,
            project=project,
            user=stage.cast.applicant_for(project.enterprise),
            rng=random.Random(rng.getrandbits(64)),
            answers=answers,
            start=days.shift(start, 0),
            finish_by=last_evening if finished else None,
            **profile,
        )
        made.append(one)
        return one

    result = []
    if demo.START in stage.bundles and _offers_merged_review(stage.bundles[demo.START]):
        free = _free_projects(stage, seed)
        for fate, start, phases, profile in (
            (demo.DELIVERED, demo.story_day(5, 11), (P.UNDER_CONSTRUCTION,), {"rating": MERGED_RATING}),
            (demo.DELIVERED, demo.story_day(8, 24), (P.STARTED, P.UNDER_CONSTRUCTION), {}),
            (demo.IN_REVIEW, days.shift(d0, -7), (P.APPROVAL, P.LAND_SUPPLIED), {"hold": "eia-three-in-one"}),
        ):
            project = _take(free, phases)
            if project is None:
                continue
            answers = demo.start_answers(random.Random(rng.getrandbits(64)), project, dict(MERGED_ANSWER))
            one = story(fate, demo.START, project, start, answers, **profile)
            if fate == demo.IN_REVIEW:
                minute = one.rng.randint(9 * 60, 11 * 60 - 1)
                one.submit_at = datetime.datetime.combine(
                    days.shift(start, 1), datetime.time(minute // 60, minute % 60), tzinfo=demo.ZONE
                )
            result.append(demo.application_script(one, stage))

    plans = []
    taken: list = []
    lab = _lab_project()
    if LAB in stage.bundles and lab is not None:
        taken.append(lab)
        answers = {"uses_radiation": "no", "biosafety_level": "bsl2", "uses_precursors": "yes"}
        plans.append((story(demo.DELIVERED, LAB, lab, demo.story_day(6, 22), answers), _lab_form))
    pharmacy = _premises(("医院",), taken, industry="27")
    if PHARMACY in stage.bundles and pharmacy is not None:
        answers = {"sells_devices": "yes", "sells_food": "yes"}
        plans.append(
            (story(demo.DELIVERED, PHARMACY, pharmacy, demo.story_day(9, 7), answers), _pharmacy_form)
        )
    canteen = _premises(("人才公寓", "人才社区", "科创中心"), taken)
    if RESTAURANT in stage.bundles and canteen is not None:
        answers = {"own_sewer_connection": "yes"}
        plans.append(
            (story(demo.DELIVERED, RESTAURANT, canteen, demo.story_day(10, 13), answers), _restaurant_form)
        )
    restaurant = _premises(("商业综合体", "酒店", "商务楼宇"), taken)
    if RESTAURANT in stage.bundles and restaurant is not None:
        answers = {"own_sewer_connection": "no"}
        plans.append(
            (story(demo.IN_REVIEW, RESTAURANT, restaurant, days.shift(d0, -3), answers), _restaurant_form)
        )
    for one, form in plans:
        if one.fate == demo.DELIVERED:
            one.rating = LICENCE_RATINGS[one.bundle_code]
        result.append(licence_script(one, stage, form(one)))
    return result


def _offers_merged_review(bundle) -> bool:
    return bundle.items.filter(code="eia-three-in-one").exists()


def _free_projects(stage, seed: int) -> list:
    """The projects the year's stories do not apply for (their plan replayed: it is deterministic and writes
    nothing new), in code order."""
    planned = demo.plan_stories(random.Random(f"{seed}:applications"), stage.cast, stage.days, stage.bundles)
    used = {one.project.pk for one in planned}
    return [
        project
        for project in Project.objects.select_related("enterprise").order_by("code")
        if project.pk not in used
        and project.investment_type == Project.InvestmentType.ENTERPRISE
        and project.code.split("-")[2] in demo.MANUFACTURING
        and float(project.land_area or 0) >= 5000
    ]


def _take(projects: list, phases) -> Project | None:
    for index, project in enumerate(projects):
        if project.phase in phases:
            return projects.pop(index)
    return None


def _lab_project() -> Project | None:
    """A biomedical (or testing) company's research building, completed or in use."""
    for industry in ("27", "73"):
        for project in (
            Project.objects.filter(
                phase__in=(P.COMPLETED, P.IN_OPERATION), investment_type=Project.InvestmentType.ENTERPRISE
            )
            .select_related("enterprise")
            .order_by("code")
        ):
            if project.code.split("-")[2] == industry:
                return project
    return None


def _premises(words, taken: list, *, industry: str = "") -> Project | None:
    """The completed or operating project a business opens in: the first whose name says what it is (a
    hospital, a talent apartment, a mall), else one of `industry`, else the first of the rest; never one of
    `taken`, to which the one chosen is added."""
    candidates = [
        project
        for project in Project.objects.filter(phase__in=(P.COMPLETED, P.IN_OPERATION))
        .select_related("enterprise")
        .order_by("code")
        if project not in taken
    ]
    chosen = (
        next((project for project in candidates if any(word in project.name for word in words)), None)
        or next(
            (project for project in candidates if industry and project.code.split("-")[2] == industry), None
        )
        or next(iter(candidates), None)
    )
    if chosen is not None:
        taken.append(chosen)
    return chosen


def _place(project: Project) -> str:
    """The project's name without its "项目" and phase: the building the business opens in."""
    name = project.name
    for suffix in ("(一期)", "(二期)", "(三期)", "(四期)", "(扩建)"):
        name = name.removesuffix(suffix)
    return name.removesuffix("项目").removesuffix("建设").removesuffix("新建工程")


def _lab_form(story) -> dict:
    rng, project = story.rng, story.project
    return {
        "lab_name": f"{_place(project)}中心实验室",
        "lab_area": f"{rng.randint(600, 2400)}.00",
        "research_field": RESEARCH_FIELDS.get(project.code.split("-")[2], "新材料研发与检测"),
        "hazardous_waste_tonnes": f"{rng.uniform(0.8, 6.0):.2f}",
        "pathogens": "大肠埃希菌(非致病株)、金黄色葡萄球菌、乙型肝炎病毒重组表达载体(均属第三、四类病原微生物)",
        "precursors": f"丙酮 {rng.randint(200, 600)} 升/年;盐酸 {rng.randint(100, 300)} 升/年;硫酸 {rng.randint(50, 200)} 升/年",
    }


def _pharmacy_form(story) -> dict:
    rng = story.rng
    return {
        "shop_name": f"{_place(story.project)}便民大药房",
        "business_area": f"{rng.randint(120, 260)}.00",
        "drug_scope": "prescription",
        "pharmacist_name": demo_person(rng),
        "device_categories": "6820 普通诊察器械、6840 体外诊断试剂、6864 医用卫生材料及敷料",
    }


def _restaurant_form(story) -> dict:
    rng, project = story.rng, story.project
    canteen = story.answers.get("own_sewer_connection") == "yes"  # the canteen of the building's own users
    return {
        "shop_name": f"{_place(project)}{'职工食堂' if canteen else '中餐厅'}",
        "business_area": f"{rng.randint(300, 900)}.00",
        "catering_type": "canteen" if canteen else "hot_food",
        "seats": rng.randint(120, 360),
        "daily_discharge": f"{rng.randint(15, 60)}",
    }


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("丽", "静", "敏", "婷", "洁", "强", "军", "磊", "芳", "红梅", "晓燕", "建华", "雪梅", "志刚")


def demo_person(rng) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def licence_script(story, stage, form: dict):
    """One business opened through 一业一证: start, answer, fill the form (the shop's own fields; the rest is
    prefilled from the enterprise and the premises) and hand the materials in, submit the next morning; the
    window accepts; the tasks are played by the applications' task scripts, and a delivered story's unified
    delivery (which issues the industry licence) and rating by its delivery script."""
    user, days = story.user, stage.days
    yield story.moment(story.start)
    application = app_services.start_application(
        user, story.project, stage.bundles[story.bundle_code], idempotency_key=f"licence-{story.index}"
    )
    story.application = application
    application = app_services.save_answers(user, application, story.answers)
    app_services.save_form(user, application, form)
    stage.prepare(story, application)
    yield story.moment(days.shift(story.start, 1), 9, 11)
    application = stage.submit(story, application)
    yield stage.later(story, 0, 1, hours=(9, 11))
    stage.accept_materials(application)
    story.application = intake.accept_application(stage.cast.clerk, application)
    demo.follow(story, stage)
