"""Fixtures of the devolved powers: a few powers of the demo departments, and a small world of applications
of 开工一件事 whose planning tasks were started and decided on known days (the approvals' fixtures:
`tests/approvals/conftest.py`, time frozen on Monday 2026-06-01)."""

import datetime

import pytest

from sciencecity.approvals.models import TaskPause
from sciencecity.approvals.services import review
from sciencecity.catalog.powers import services
from tests.approvals.conftest import (  # noqa: F401 - fixtures used by the tests of this package
    START_DAY,
    START_MINIMAL,
    accepted,
    approval_roles,
    at,
    fast_passwords,
    frozen_day,
    isolated_media,
    task_of,
    world,
)

EPP = "engineering-planning-permit"
DECISION = {"decision_number": "渝府发〔2021〕5号", "decision_title": "关于下放市级行政权力的决定"}
DEVOLVED_ON = datetime.date(2021, 3, 26)


def make_power(department, code, name, *, kind="license", items=(), position=0, **extra):
    return services.save_power(
        None,
        item_codes=list(items),
        code=code,
        position=position,
        name=name,
        kind=kind,
        law=extra.pop("law", "中华人民共和国城乡规划法"),
        article=extra.pop("article", "第四十条"),
        original_authority=extra.pop("original_authority", "重庆市规划和自然资源局"),
        devolved_on=extra.pop("devolved_on", DEVOLVED_ON),
        department=department,
        **DECISION,
        **extra,
    )


@pytest.fixture
def powers(world):  # noqa: F811 - the approvals' fixture
    """Four powers: the planning permit (implemented by engineering-planning-permit), the construction permit
    (its task waits for prerequisites: never started), the EIA approval (not applied for), a penalty."""
    d = world.departments
    return {
        "epp": make_power(d["planning"], "XK-001", "建设工程规划许可证核发", items=[EPP], position=1),
        "permit": make_power(
            d["housing"],
            "XK-002",
            "建筑工程施工许可证核发",
            items=["construction-permit"],
            position=2,
            law="中华人民共和国建筑法",
            article="第七条",
            original_authority="重庆市住房和城乡建设委员会",
        ),
        "eia": make_power(
            d["ecology"],
            "XK-003",
            "建设项目环境影响报告书审批",
            items=["eia-approval"],
            position=3,
            law="中华人民共和国环境影响评价法",
            article="第二十二条",
            original_authority="重庆市生态环境局",
        ),
        "penalty": make_power(
            d["planning"],
            "CF-001",
            "对未取得建设工程规划许可证进行建设的行政处罚",
            kind="penalty",
            position=4,
            article="第六十四条",
        ),
    }


@pytest.fixture
def usage_world(world, powers, time_machine):  # noqa: F811
    """Three applications accepted on 2026-06-01, each with its planning task started that day: A's decided
    on Thursday 06-04 (3 working days), B's paused for a supplement from Wednesday 06-03 to Friday 06-05 and
    decided on Wednesday 06-10 (7 working days less the 3 paused), C's still pending. The clock ends on
    06-10."""
    a = accepted(world, "start-construction", START_MINIMAL, key="usage-a")
    b = accepted(world, "start-construction", START_MINIMAL, key="usage-b")
    c = accepted(world, "start-construction", START_MINIMAL, key="usage-c")
    reviewer = world.reviewer("planning")
    for application in (a, b):
        review.claim_task(reviewer, task_of(application, EPP))
    at(time_machine, datetime.date(2026, 6, 3))
    review.request_supplement(reviewer, task_of(b, EPP), "请补充总平面图电子版")
    at(time_machine, datetime.date(2026, 6, 4))
    review.approve_task(reviewer, task_of(a, EPP), "符合要求")
    at(time_machine, datetime.date(2026, 6, 5))
    review.answer_supplement(world.applicant, task_of(b, EPP), "已补充")
    at(time_machine, datetime.date(2026, 6, 10))
    review.approve_task(reviewer, task_of(b, EPP), "符合要求")
    world.applications = {"a": a, "b": b, "c": c}
    world.powers = powers
    world.pause = TaskPause.objects.get(task=task_of(b, EPP))
    return world
