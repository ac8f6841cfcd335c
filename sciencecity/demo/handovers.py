"""The demo's land handovers (交地即领证): 科学谷 was Chongqing's first project to receive every land and
planning certificate on the day its land was handed over; a few more are under way.

Played on the same timeline as the year of applications (`demo.applications.create_applications`, which takes
`scripts` and runs them beside its own), through the same services and by the same people, so that dates,
numbers and deadlines are those the platform would have stored:

- 科学谷(一期): applied for about three months before the present with its handover day (交地日期), the items
  reviewed in parallel ahead of it (the construction land approval too), concluded days early, delivered by
  the window at 09:30 on the handover day, and rated;
- a project whose review is finished and waits for its handover day (the window's delivery queue shows it);
- one in review on track, one submitted this morning;
- one at risk: the seller brought the handover forward, the window moved the date (audited, the applicant and
  the reviewer told), and the title's registration, still in review, is now due after it;
- the demo applicant's own draft for its signed project, with the handover date filled in, ready to submit.

Deterministic: one `random.Random(f"{seed}:handovers")`, projects taken in code order.
"""

import datetime
import random

from sciencecity.approvals.services import applications as app_services
from sciencecity.approvals.services import delivery, intake, ratings
from sciencecity.approvals.services import target_dates as target_services
from sciencecity.projects.models import Project
from sciencecity.workdays import clock

from . import applications as demo

BUNDLE = "land-handover-certificates"
TITLE = "land-title-first-registration"
SEED_PROJECT = "科学谷(一期)"
P = Project.Phase

GROUPS = ("西永", "大学城", "金凤", "科学城", "含谷", "白市驿")
MOVED_REASON = (
    "出让人书面通知:地块拆迁扫尾提前完成,交地日期提前至 %(date)s(渝高新规资函〔%(year)s〕%(n)s号)。"
)
HANDOVER_NOTE = "交地现场统一出件:出让合同、不动产权证书、建设用地规划许可证同步交付。"
RATING = (5, "交地当天拿到全部证照,当天就启动了开工手续,太高效了。")


def scripts(stage, seed: int) -> list:
    """The handover stories' scripts for the applications' timeline (none without the bundle)."""
    if BUNDLE not in stage.bundles:
        return []
    rng = random.Random(f"{seed}:handovers")
    days, d0 = stage.days, demo.DEMO_TODAY
    demo_enterprise = stage.cast.demo_applicant.enterprise_id
    projects = _projects(demo_enterprise)
    stories = []

    def story(index, fate, project, start, answers, **profile):
        made = demo.Story(
            index=900 + index,
            fate=fate,
            bundle_code=BUNDLE,
            project=project,
            user=stage.cast.applicant_for(project.enterprise),
            rng=random.Random(rng.getrandbits(64)),
            answers=answers,
            start=days.shift(start, 0),
            **profile,
        )
        stories.append(made)
        return made

    no, yes = {"separate_land_approval": "no"}, {"separate_land_approval": "yes"}
    plans = []
    seed_project = Project.objects.filter(name=SEED_PROJECT).first()
    if seed_project is not None:
        start = days.shift(d0, -70)
        plans.append((story(1, demo.DELIVERED, seed_project, start, yes), days.shift(start, 16), None))
    if projects:
        start = days.shift(d0, -16)
        plans.append((story(2, demo.CONCLUDED, projects.pop(0), start, no), days.shift(d0, 4), None))
    if projects:
        start = days.shift(d0, -5)
        plans.append((story(3, demo.IN_REVIEW, projects.pop(0), start, no), days.shift(d0, 12), None))
    if projects:
        start = days.shift(d0, -4)
        moved = days.shift(d0, 2)
        at_risk = story(4, demo.IN_REVIEW, projects.pop(0), start, yes, hold=TITLE)
        plans.append((at_risk, days.shift(d0, 10), moved))
    if projects:
        start = days.shift(d0, -2)
        plans.append((story(5, demo.SUBMITTED, projects.pop(0), start, no), days.shift(d0, 15), None))
    mine = Project.objects.filter(enterprise_id=demo_enterprise, phase=P.SIGNED).order_by("code").first()
    if mine is not None:
        plans.append((story(6, demo.DRAFT, mine, days.shift(d0, -1), no), days.shift(d0, 20), None))
    return [handover_script(made, stage, target, moved) for made, target, moved in plans]


def _projects(demo_enterprise) -> list:
    """Signed projects of other enterprises than the demo applicant's, whose land is to be handed over."""
    return list(
        Project.objects.filter(phase=P.SIGNED, is_key=False)
        .exclude(enterprise_id=demo_enterprise)
        .exclude(land_area=None)
        .select_related("enterprise")
        .order_by("code")[:4]
    )


def land_form(story) -> dict:
    """The land's own fields of the merged form (the rest is prefilled from the enterprise and the project)."""
    rng, project = story.rng, story.project
    area = float(project.land_area or rng.randint(20_000, 120_000))
    group = rng.choice(GROUPS)
    letter = rng.choice("ABCDEGHJKL")
    research = any(word in project.name for word in ("研发", "实验", "研究", "科创", "科学"))
    return {
        "parcel_number": f"{group}组团{letter}分区{letter}{rng.randint(10, 79)}-{rng.randint(1, 9)}/0{rng.randint(1, 6)}号宗地",
        "land_area": f"{area:.2f}",
        "land_use": "research" if research else "industrial",
        "land_term": 50,
        "land_price": f"{area * rng.uniform(380, 620) / 10_000:.2f}",
        "plot_ratio": f"{rng.uniform(1.2, 3.0):.1f}",
        "deal_date": clock.today() - datetime.timedelta(days=rng.randint(8, 20)),
    }


def handover_script(story, stage, target: datetime.date, moved: datetime.date | None):
    """One handover: start, answer, name the handover day, fill the form and hand the materials in, submit;
    the window accepts; the tasks are played by the applications' task scripts; the window moves the date if
    the seller moved it; on the handover day the window delivers everything."""
    user, days = story.user, stage.days
    yield story.moment(story.start)
    application = app_services.start_application(
        user, story.project, stage.bundles[BUNDLE], idempotency_key=f"handover-{story.index}"
    )
    story.application = application
    application = app_services.save_answers(user, application, story.answers)
    application = target_services.set_target_date(user, application, target)
    app_services.save_form(user, application, land_form(story))
    stage.prepare(story, application)
    if story.fate == demo.DRAFT:
        return
    yield story.moment(days.shift(story.start, 1), 9, 11)
    application = stage.submit(story, application)
    if story.fate == demo.SUBMITTED:
        return
    yield stage.later(story, 0, 1, hours=(9, 11))
    stage.accept_materials(application)
    story.application = intake.accept_application(stage.cast.clerk, application)
    # The review: each task released is played by the applications' task script (claimed, decided in time);
    # the delivery is this script's, on the handover day (not the applications' delivery script).
    delivered = story.fate == demo.DELIVERED
    if delivered:
        story.fate = demo.CONCLUDED
    demo.follow(story, stage)
    if moved is not None:
        yield story.moment(demo.DEMO_TODAY, 9, 10)
        reason = MOVED_REASON % {
            "date": moved.isoformat(),
            "year": moved.year,
            "n": story.rng.randint(60, 180),
        }
        target_services.change_target_date(stage.cast.clerk, story.application, moved, reason)
    if not delivered:
        return
    # The handover day: the window hands over every certificate at 09:30, on the site of the handover.
    yield datetime.datetime.combine(target, datetime.time(9, 30), tzinfo=demo.ZONE)
    delivery.deliver_application(
        stage.cast.clerk,
        story.application,
        method="window",
        recipient=user.display_name,
        note=HANDOVER_NOTE,
    )
    yield story.moment(target, 14, 17)
    ratings.rate_application(user, story.application, *RATING)
