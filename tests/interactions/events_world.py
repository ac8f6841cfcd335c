"""A small zone for the service events' tests, on Tuesday 2026-11-24 (the suite's day): the science bureau that
organises, the planning bureau that handles land demands, a category routed there and one nobody routes, two
enterprises taking part and one that does not, with their people, an escort specialist of another bureau,
leaders, a supervisor, the dispatch centre and a window clerk (who holds no event permission)."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from sciencecity.interactions.service_events import services
from sciencecity.problems.models import ProblemCategory, RoutingRule
from tests.factories import DepartmentFactory, EnterpriseFactory, applicant_of, staff

TODAY = datetime.date(2026, 11, 24)


def moment(day: datetime.date, hour: int = 14) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


PAST = moment(datetime.date(2026, 11, 20))  # last Friday afternoon
AHEAD = moment(datetime.date(2026, 12, 2), 9)  # next Wednesday morning


@pytest.fixture
def events(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.INTERACTION_RECORD_WORKING_DAYS = 3
    science = DepartmentFactory(code="science", name="科学城科技创新局", name_en="Science Bureau")
    development = DepartmentFactory(
        code="development", name="科学城发展和改革局", name_en="Development Bureau"
    )
    planning = DepartmentFactory(code="planning", name="科学城规划和自然资源局", name_en="Planning Bureau")
    land = ProblemCategory.objects.create(
        code="demand-land",
        name="企业诉求·用地",
        name_en="Enterprise demand — land",
        deadline_days=10,
        verifier="reporter",
        evidence_required=False,
    )
    RoutingRule.objects.create(category=land, area="", department=planning)
    unrouted = ProblemCategory.objects.create(
        code="demand-other", name="企业诉求·其他", name_en="Enterprise demand — other", verifier="dispatch"
    )
    chip = EnterpriseFactory(name="重庆芯片科技有限公司")
    materials = EnterpriseFactory(name="重庆新材料科技有限公司")
    outsider = EnterpriseFactory(name="重庆未参会科技有限公司")
    world = SimpleNamespace(
        science=science,
        development=development,
        planning=planning,
        land=land,
        unrouted=unrouted,
        chip=chip,
        materials=materials,
        outsider=outsider,
        organiser=staff("department_head", science, username="sci-head", display_name="周科长"),
        colleague=staff("department_reviewer", science, username="sci-reviewer", display_name="吴科员"),
        escort=staff("project_specialist", development, username="escort", display_name="刘陪跑"),
        official=staff("department_reviewer", development, username="dev-reviewer", display_name="郑科员"),
        planner=staff("department_reviewer", planning, username="planner", display_name="冯规划"),
        leader=staff("leader", username="leader"),
        supervisor=staff("supervisor", username="supervisor"),
        dispatcher=staff("dispatcher", username="dispatcher"),
        clerk=staff("window_clerk", username="clerk"),
        chip_user=applicant_of(chip, username="chip-user", display_name="李娜"),
        materials_user=applicant_of(materials, username="materials-user"),
        outsider_user=applicant_of(outsider, username="outsider-user"),
    )
    return world


def held_event(world, **changes):
    """Last Friday's dialogue of the science bureau, with both enterprises, an expert and the escort."""
    fields = {
        "kind": "dialogue",
        "title": "集成电路专场交流对话会",
        "starts_at": PAST,
        "place": "科学会堂",
        "description": "集成电路专场",
        **changes,
    }
    event = services.record_event(world.organiser, **fields)
    services.add_participant(
        world.organiser, event, role="enterprise", enterprise=world.chip, representatives="李娜(总经理)"
    )
    services.add_participant(
        world.organiser, event, role="enterprise", enterprise=world.materials, representatives="王强(副总)"
    )
    services.add_participant(
        world.organiser, event, role="expert", name="陈教授", institution="重庆大学", title="教授"
    )
    services.add_participant(world.organiser, event, role="escort", person=world.escort)
    event.refresh_from_db()
    return event


def demand(world, event, user=None, enterprise=None, category=None, title="扩产用地需求"):
    return services.raise_demand(
        user or world.escort,
        event,
        enterprise=enterprise or world.chip,
        category=category or world.land,
        title=title,
        description="拟扩大产能,需新增工业用地约30亩。",
    )
