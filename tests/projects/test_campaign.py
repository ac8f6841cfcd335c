"""The "三比一争" campaign: rounds cut from the period, scoring rules as data, each measure read from the
inspections, reports, plans and warnings of the round, the ranking with its pioneers and bottom places,
publication that tells them and never changes after, and who sees which ranking. The suite's day is
2026-11-24: the October round has ended, the November round has not."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.projects import notices
from sciencecity.projects.models import (
    Campaign,
    CampaignRound,
    Inspection,
    InvestmentPlan,
    Level,
    MonthlyReport,
    Project,
    RoundScore,
)
from sciencecity.projects.services import campaign, escort
from sciencecity.workflow.transitions import IllegalTransition
from tests.factories import ProjectFactory, UserFactory

from .conftest import plan_year
from .test_api import client_of


def make_campaign(site, **changes):
    fields = {
        "name": "2026年“三比一争”劳动竞赛",
        "round_length": "month",
        "starts_on": datetime.date(2026, 10, 1),
        "ends_on": datetime.date(2026, 11, 30),
        "pioneer_places": 1,
        "bottom_places": 1,
    }
    return campaign.create_campaign(site.lead, **{**fields, **changes})


def inspect(site, project, kind, score, day=datetime.date(2026, 10, 15)):
    return Inspection.objects.create(
        project=project,
        kind=kind,
        score=score,
        inspected_on=day,
        inspector=site.inspector,
        summary="现场检查",
    )


def report(project, month, investment, *, late=False):
    return MonthlyReport.objects.create(
        project=project,
        month=month,
        investment=Decimal(investment),
        progress_percent=50,
        progress_text="主体施工",
        is_late=late,
    )


@pytest.fixture
def field(team):
    """Three key projects under construction: the first inspected well and on schedule, the second
    inspected worse and reporting late, the third with nothing on record (and red)."""
    site = team
    best, middle = (
        site.project,
        ProjectFactory(
            enterprise=site.other, name="超瞬态实验装置", is_key=True, phase=Project.Phase.UNDER_CONSTRUCTION
        ),
    )
    worst = ProjectFactory(name="科学城隧道", is_key=True, phase=Project.Phase.UNDER_CONSTRUCTION)
    Project.objects.filter(pk=worst.pk).update(warning_level=Level.RED)
    ProjectFactory(name="未开工项目", is_key=True, phase=Project.Phase.SIGNED)  # not compared
    plan_year(site, planned="12000")
    for month in range(1, 11):
        report(best, datetime.date(2026, month, 1), "1000")
    report(middle, datetime.date(2026, 10, 1), "10", late=True)
    inspect(site, best, "quality", 95)
    inspect(site, best, "safety", 85)
    inspect(site, best, "safety", 95, day=datetime.date(2026, 10, 30))
    inspect(site, middle, "quality", 70)
    inspect(site, middle, "quality", 99, day=datetime.date(2026, 9, 30))  # September: not this round
    site.best, site.middle, site.worst = best, middle, worst
    return site


def test_a_campaign_is_cut_into_rounds_with_the_default_rules(site):
    monthly = make_campaign(site, starts_on=datetime.date(2026, 9, 15), ends_on=datetime.date(2026, 12, 31))
    assert [(r.starts_on.isoformat(), r.ends_on.isoformat()) for r in monthly.rounds.all()] == [
        ("2026-09-15", "2026-09-30"),
        ("2026-10-01", "2026-10-31"),
        ("2026-11-01", "2026-11-30"),
        ("2026-12-01", "2026-12-31"),
    ]
    hundred = make_campaign(site, round_length="hundred_days", ends_on=datetime.date(2027, 3, 31))
    assert [(r.starts_on.isoformat(), r.ends_on.isoformat()) for r in hundred.rounds.all()] == [
        ("2026-10-01", "2027-01-08"),
        ("2027-01-09", "2027-03-31"),
    ]
    assert {rule.measure: rule.weight for rule in monthly.rules.all()} == {
        measure: weight for measure, (weight, _missing) in campaign.DEFAULT_RULES.items()
    }
    assert AuditEvent.objects.filter(action="projects.create_campaign").count() == 2


def test_bad_campaigns_are_refused_and_save_nothing(site):
    with pytest.raises(PermissionDenied):
        campaign.create_campaign(
            site.specialist,
            name="x",
            round_length="month",
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2026, 2, 1),
        )
    with pytest.raises(ValidationError) as error:
        make_campaign(
            site,
            name=" ",
            round_length="weekly",
            ends_on=datetime.date(2026, 9, 1),
            task_force="不存在的专班",
            pioneer_places=0,
            bottom_places=101,
        )
    assert set(error.value.message_dict) == {
        "name",
        "round_length",
        "ends_on",
        "task_force",
        "pioneer_places",
        "bottom_places",
    }
    with pytest.raises(ValidationError) as error:
        make_campaign(site, ends_on=datetime.date(2029, 1, 1))
    assert "ends_on" in error.value.message_dict
    assert not Campaign.objects.exists() and not CampaignRound.objects.exists()


def test_a_round_is_scored_from_its_own_inspections_reports_plans_and_warnings(field):
    october = make_campaign(field).rounds.get(number=1)
    campaign.score_round(field.lead, october)
    october.refresh_from_db()
    assert october.status == "scored" and october.participants == 3
    scores = {score.project_id: score for score in RoundScore.objects.filter(round=october)}
    best = scores[field.best.pk]
    # Quality 95; safety the mean of 85 and 95; progress: 10,000 of 12,000 by October = on schedule (100),
    # October's report on time (100), green (100).
    assert best.details["quality_inspection"] == {"score": "95.00", "measured": True}
    assert (best.quality, best.safety, best.progress) == (
        Decimal("95.00"),
        Decimal("90.00"),
        Decimal("100.00"),
    )
    assert best.total == Decimal("95.50")  # (30×95 + 30×90 + 25×100 + 10×100 + 5×100) / 100
    middle = scores[field.middle.pk]
    # Quality 70 (September's 99 is another round's), no safety inspection (60), no plan (60), late (50).
    assert middle.details["safety_inspection"] == {"score": "60.00", "measured": False}
    assert middle.details["report_timeliness"]["score"] == "50.00"
    assert middle.quality == Decimal("70.00") and middle.safety == Decimal("60.00")
    worst = scores[field.worst.pk]
    assert worst.details["warning_level"]["score"] == "20.00"
    assert worst.details["report_timeliness"]["score"] == "0.00"  # October's report missing
    assert [(s.project_id, s.rank, s.distinction) for s in RoundScore.objects.filter(round=october)] == [
        (field.best.pk, 1, "pioneer"),
        (field.middle.pk, 2, ""),
        (field.worst.pk, 3, "bottom"),
    ]
    assert AuditEvent.objects.filter(action="projects.score_round", after__participants=3).exists()


def test_a_round_is_scored_only_after_it_ends_and_only_by_organizers(field):
    rounds = make_campaign(field).rounds.all()
    with pytest.raises(ValidationError, match="结束后才能评分"):
        campaign.score_round(field.lead, rounds[1])
    with pytest.raises(PermissionDenied):
        campaign.score_round(field.specialist, rounds[0])
    assert not RoundScore.objects.exists()
    assert notices.daily_duty()["rounds_scored"] == 1  # by the morning scan, once
    assert campaign.score_due_rounds() == 0
    assert CampaignRound.objects.get(number=1).status == "scored"
    assert CampaignRound.objects.get(number=2).status == "open"


def test_changed_rules_count_at_the_next_scoring_and_a_published_round_never_changes(field):
    october = make_campaign(field).rounds.get(number=1)
    campaign.score_round(field.lead, october)
    campaign.set_rules(
        field.lead,
        october.campaign,
        {"quality_inspection": {"weight": 0}, "safety_inspection": {"weight": "0"}},
    )
    campaign.score_round(field.lead, october)  # scored again, by the new rules: progress alone
    assert RoundScore.objects.get(round=october, project=field.best).total == Decimal("100.00")
    assert RoundScore.objects.get(round=october, project=field.best).quality is None
    campaign.publish_round(field.lead, october)
    campaign.set_rules(field.lead, october.campaign, {"quality_inspection": {"weight": 50}})
    with pytest.raises(IllegalTransition):
        campaign.score_round(field.lead, october)
    october.refresh_from_db()
    assert october.status == "published" and october.published_by == field.lead
    assert {rule["measure"]: rule["weight"] for rule in october.rules}["quality_inspection"] == "0.00"
    with pytest.raises(IllegalTransition):
        campaign.publish_round(field.lead, october)


def test_bad_rules_are_refused_and_change_nothing(field):
    made = make_campaign(field)
    with pytest.raises(ValidationError) as error:
        campaign.set_rules(
            field.lead,
            made,
            {"speed": {"weight": 1}, "quality_inspection": {"weight": -1, "missing_score": "x"}},
        )
    assert set(error.value.message_dict) == {
        "speed",
        "quality_inspection.weight",
        "quality_inspection.missing_score",
    }
    with pytest.raises(ValidationError, match="权重应大于 0"):
        campaign.set_rules(field.lead, made, {measure: {"weight": 0} for measure in campaign.DEFAULT_RULES})
    with pytest.raises(PermissionDenied):
        campaign.set_rules(field.supervisor, made, {"quality_inspection": {"weight": 1}})
    assert made.rules.get(measure="quality_inspection").weight == Decimal(30)


def test_publishing_tells_the_pioneers_and_the_bottom_places(field):
    october = make_campaign(field).rounds.get(number=1)
    campaign.score_round(field.lead, october)
    campaign.publish_round(field.lead, october)
    pioneer = Notification.objects.get(recipient=field.applicant, kind="project_campaign_result")
    assert "红旗" in pioneer.title and field.best.name in pioneer.body
    lead = Notification.objects.filter(recipient=field.lead, kind="project_campaign_result")
    assert lead.count() == 1  # the lead escorts the pioneer only
    assert not Notification.objects.filter(recipient=field.stranger).exists()  # the middle place: nothing


def test_equal_projects_share_a_place(field):
    october = make_campaign(field, pioneer_places=2, bottom_places=0).rounds.get(number=1)
    MonthlyReport.objects.all().delete()
    Inspection.objects.all().delete()
    InvestmentPlan.objects.all().delete()
    Project.objects.update(warning_level=Level.GREEN)
    campaign.score_round(field.lead, october)
    assert set(RoundScore.objects.values_list("rank", "distinction")) == {(1, "pioneer")}


def test_who_sees_which_ranking(field):
    october = make_campaign(field).rounds.get(number=1)
    campaign.score_round(field.lead, october)
    assert not RoundScore.objects.for_user(field.specialist).exists()  # scored, not published
    assert RoundScore.objects.for_user(field.supervisor).count() == 3
    assert not CampaignRound.objects.for_user(field.applicant).exists()
    campaign.publish_round(field.lead, october)
    assert RoundScore.objects.for_user(field.specialist).count() == 3
    # The other enterprise sees the pioneer and its own project's place, not the bottom place.
    assert set(RoundScore.objects.for_user(field.stranger).values_list("project_id", flat=True)) == {
        field.best.pk,
        field.middle.pk,
    }
    assert not RoundScore.objects.for_user(UserFactory(roles=["applicant"])).exclude(distinction="pioneer")
    assert escort.role_of(field.lead, field.best) == "lead"


# --- pages ------------------------------------------------------------------------------------------------------


def test_an_organizer_starts_scores_and_publishes_a_campaign_on_its_pages(field, client):
    client.force_login(field.lead)
    url = reverse("projects:campaigns")
    bad = client.post(
        url,
        {
            "name": "百日攻坚",
            "round_length": "month",
            "starts_on": "2026-10-01",
            "ends_on": "2026-09-01",
            "pioneer_places": "3",
            "bottom_places": "3",
        },
    )
    assert bad.status_code == 400 and "结束日期不能早于开始日期" in bad.content.decode()
    assert not Campaign.objects.exists()
    made = client.post(
        url,
        {
            "name": "百日攻坚",
            "round_length": "month",
            "starts_on": "2026-10-01",
            "ends_on": "2026-11-30",
            "task_force": "",
            "pioneer_places": "1",
            "bottom_places": "1",
        },
    )
    created = Campaign.objects.get()
    assert made.status_code == 302 and made.url == reverse("projects:campaign", args=[created.pk])
    page = client.get(made.url).content.decode()
    assert "百日攻坚" in page and "第1轮" in page and "质量检查得分" in page
    rules = client.post(
        reverse("projects:campaign_rules", args=[created.pk]),
        {
            f"{m}-{f}": "-5" if m == "warning_level" and f == "weight" else "10"
            for m in campaign.DEFAULT_RULES
            for f in ("weight", "missing")
        },
    )
    assert rules.status_code == 400 and created.rules.get(measure="warning_level").weight == 5
    round_url = reverse("projects:round", args=[created.pk, 1])
    november = client.get(reverse("projects:round", args=[created.pk, 2])).content.decode()
    assert "次日早晨自动评分排名" in november and "评分排名</button>" not in november
    early = client.post(reverse("projects:round_score", args=[created.pk, 2]), follow=True)
    assert "结束后才能评分" in early.content.decode()
    client.post(reverse("projects:round_score", args=[created.pk, 1]))
    ranking = client.get(round_url).content.decode()
    assert "科学谷一期" in ranking and "红旗" in ranking and "公布结果" in ranking
    unconfirmed = client.post(reverse("projects:round_publish", args=[created.pk, 1]), follow=True)
    assert "请先勾选确认" in unconfirmed.content.decode()
    assert CampaignRound.objects.get(number=1).status == "scored"
    client.post(reverse("projects:round_publish", args=[created.pk, 1]), {"confirm": "yes"})
    assert CampaignRound.objects.get(number=1).status == "published"
    assert "重新评分" not in client.get(round_url).content.decode()
    pioneers = client.get(round_url, {"distinction": "pioneer"}).content.decode()
    assert "科学谷一期" in pioneers and "科学城隧道" not in pioneers
    history = client.get(made.url).content.decode()
    assert "历轮红旗与约谈" in history and "科学城隧道" in history


def test_others_read_only_what_is_published_and_may_not_act(field, client):
    october = make_campaign(field).rounds.get(number=1)
    campaign.score_round(field.lead, october)
    url = reverse("projects:round", args=[october.campaign_id, 1])
    client.force_login(field.specialist)
    assert client.get(url).status_code == 404  # scored, not published
    rules = client.get(reverse("projects:campaign", args=[october.campaign_id])).content.decode()
    assert "质量检查得分" in rules and "30.00" in rules and "保存评分规则" not in rules
    assert client.post(reverse("projects:campaigns"), {"name": "x"}).status_code == 302
    assert not Campaign.objects.exclude(pk=october.campaign_id).exists()
    campaign.publish_round(field.lead, october)
    page = client.get(url).content.decode()
    assert "科学城隧道" in page and "公布结果" not in page and "重新评分" not in page
    client.post(reverse("projects:round_score", args=[october.campaign_id, 1]))
    assert CampaignRound.objects.get(pk=october.pk).status == "published"
    client.force_login(field.stranger)  # the middle project's enterprise: its place and the pioneer
    page = client.get(url).content.decode()
    assert "其他项目的名次不公开" in page and 'class=" own"' in page
    assert "超瞬态实验装置" in page and "科学谷一期" in page and "科学城隧道" not in page
    assert client.get(reverse("projects:round", args=[october.campaign_id, 99999])).status_code == 404


def test_the_campaign_pages_speak_english(field, client):
    october = make_campaign(field).rounds.get(number=1)
    campaign.score_round(field.lead, october)
    client.force_login(field.lead)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("projects:round", args=[october.campaign_id, 1]), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Ranking of round 1" in text and "Pioneer" in text and "Publish the results" in text


# --- the API ----------------------------------------------------------------------------------------------------


def test_a_campaign_through_the_api(field):
    lead = client_of(field.lead)
    bad = lead.post(
        "/api/v1/campaigns/",
        {"name": "x", "round_length": "month", "starts_on": "2026-10-01", "ends_on": "2026-09-30"},
        format="json",
    )
    assert bad.status_code == 400 and "ends_on" in str(bad.json())
    made = lead.post(
        "/api/v1/campaigns/",
        {
            "name": "2026年“三比一争”",
            "round_length": "month",
            "starts_on": "2026-10-01",
            "ends_on": "2026-11-30",
            "pioneer_places": 1,
            "bottom_places": 1,
        },
        format="json",
    )
    assert made.status_code == 201 and len(made.json()["rules"]) == 5
    pk = made.json()["id"]
    rules = lead.put(
        f"/api/v1/campaigns/{pk}/rules/",
        {"rules": [{"measure": "warning_level", "weight": "150"}, {"measure": "nope", "weight": "1"}]},
        format="json",
    )
    assert rules.status_code == 400
    rules = lead.put(
        f"/api/v1/campaigns/{pk}/rules/",
        {"rules": [{"measure": "warning_level", "weight": "10"}]},
        format="json",
    )
    assert rules.status_code == 200 and {"measure": "warning_level", "dimension": "progress"}.items() <= (
        next(rule for rule in rules.json() if rule["measure"] == "warning_level").items()
    )
    rounds = lead.get(f"/api/v1/campaigns/{pk}/rounds/").json()
    assert [r["status"] for r in rounds] == ["open", "open"]
    early = lead.post(f"/api/v1/campaign-rounds/{rounds[1]['id']}/score/")
    assert early.status_code == 400 and "结束后才能评分" in str(early.json())
    scored = lead.post(f"/api/v1/campaign-rounds/{rounds[0]['id']}/score/")
    assert scored.status_code == 200 and scored.json()["participants"] == 3
    assert (
        client_of(field.specialist).get(f"/api/v1/campaign-rounds/{rounds[0]['id']}/ranking/").status_code
        == 404
    )
    assert lead.post(f"/api/v1/campaign-rounds/{rounds[0]['id']}/publish/").json()["status"] == "published"
    again = lead.post(f"/api/v1/campaign-rounds/{rounds[0]['id']}/score/")
    assert again.status_code == 409
    ranking = client_of(field.specialist).get(f"/api/v1/campaign-rounds/{rounds[0]['id']}/ranking/").json()
    assert [(row["rank"], row["project_name"], row["distinction"]) for row in ranking["results"]] == [
        (1, "科学谷一期", "pioneer"),
        (2, "超瞬态实验装置", ""),
        (3, "科学城隧道", "bottom"),
    ]
    pioneers = client_of(field.stranger).get(
        f"/api/v1/campaign-rounds/{rounds[0]['id']}/ranking/", {"distinction": "pioneer"}
    )
    assert [row["project_name"] for row in pioneers.json()["results"]] == ["科学谷一期"]
    wrong = client_of(field.stranger).get(
        f"/api/v1/campaign-rounds/{rounds[0]['id']}/ranking/", {"distinction": "x"}
    )
    assert wrong.status_code == 400


def test_the_project_page_shows_its_places(field, client):
    october = make_campaign(field).rounds.get(number=1)
    campaign.publish_round(field.lead, campaign.score_round(field.lead, october))
    client.force_login(field.applicant)
    page = client.get(reverse("approvals:portal_project", args=[field.best.pk])).content.decode()
    assert "“三比一争”名次" in page and "第 1 名(共 3 个),95.50 分" in page and "红旗" in page


def test_list_counts_stop_at_the_cap_and_task_forces_come_from_the_index(field, monkeypatch):
    from sciencecity.projects import selectors
    from sciencecity.workflow import paging

    Project.objects.filter(pk=field.best.pk).update(task_force="科学谷专班")
    Project.objects.filter(pk=field.middle.pk).update(task_force="大科学装置专班")
    assert selectors.task_forces() == sorted(["科学谷专班", "大科学装置专班"])
    key = selectors.key_projects(field.lead)
    assert selectors.level_counts(key) == {"red": 1, "yellow": 0, "green": 3}  # one not started
    assert paging.capped_count(key, cap=1) == 2 and paging.shown_count(4, cap=1) == "1+"
    assert paging.shown_count(1, cap=1) == 1


def test_the_key_projects_list_reads_reddest_first(field, client):
    Project.objects.filter(pk=field.best.pk).update(warning_level=Level.YELLOW)
    client.force_login(field.lead)
    page = client.get(reverse("projects:key_projects")).content.decode()
    red, yellow = page.index(field.worst.name), page.index(field.best.name)
    green = page.index(field.middle.name)
    assert red < yellow < green
    assert list(
        Project.objects.filter(is_key=True).order_by("warning_order").values_list("warning_order", flat=True)
    )[:2] == [0, 1]
