"""The policies' pages: an enterprise sees the policies it may enjoy and what to complete for the others, and
its verdict changes once its file is completed; the honouring department finds the enterprises that qualify
(政策找企业), filters them and tells each once; its head writes a policy with its conditions as rows (a wrong
row named on its row, nothing saved); another department's people may not. In Chinese and in English."""

import datetime

from django.urls import reverse

from sciencecity.enterprises import profile
from sciencecity.notifications.models import Notification
from sciencecity.policies.models import Policy, PolicyMatch, PolicyNotice

from .conftest import run_refreshes


def test_an_enterprise_sees_what_it_may_enjoy_and_completes_its_file(
    published, zone, client, django_capture_on_commit_callbacks
):
    client.force_login(zone["blank_people"])
    page = client.get(reverse("policies:list")).content.decode()
    assert "我可享受的政策" in page and "研发投入补助" in page
    assert "请补全:" in page and "所属产业链" in page and "上年研发投入强度" in page
    detail = client.get(reverse("policies:detail", args=[published.code])).content.decode()
    assert "资料不全" in detail and "政策找企业" not in detail
    with django_capture_on_commit_callbacks(execute=True):
        profile.update_profile(
            zone["blank_people"], zone["blank"], chain="information", employees=40, rd_staff=12
        )
        profile.set_year(zone["blank_people"], zone["blank"], 2025, revenue="2000", rd_spending="160")
    run_refreshes()
    assert PolicyMatch.objects.get(enterprise=zone["blank"]).verdict == "eligible"
    page = client.get(reverse("policies:list")).content.decode()
    assert page.index('id="eligible"') < page.index("研发投入补助") < page.index('id="incomplete"')
    file_page = client.get(reverse("enterprises:file", args=[zone["blank"].pk])).content.decode()
    assert "可享受的惠企政策" in file_page and "研发投入补助" in file_page
    # The same page in English.
    english = client.get(reverse("policies:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Policies I may enjoy" in english


def test_the_department_finds_the_enterprises_and_tells_each_once(published, zone, client):
    client.force_login(zone["reviewer"])
    page = client.get(reverse("policies:detail", args=[published.code])).content.decode()
    assert "政策找企业" in page and "强研发企业" in page and "弱研发企业" not in page
    incomplete = client.get(reverse("policies:detail", args=[published.code]), {"verdict": "unknown"})
    assert "资料不全企业" in incomplete.content.decode()
    notify = reverse("policies:notify", args=[published.code])
    assert (
        client.post(notify, {"scope": "chosen"}).status_code == 302
    )  # nothing ticked: a message, nothing sent
    assert not PolicyNotice.objects.exists()
    client.post(notify, {"scope": "chosen", "enterprise": [str(zone["strong"].pk), str(zone["weak"].pk)]})
    (notice,) = PolicyNotice.objects.all()  # the ineligible one is not told
    assert notice.enterprise == zone["strong"] and notice.sent_by == zone["reviewer"]
    told = Notification.objects.get(recipient=zone["strong_people"])
    assert "研发投入补助" in told.title and "eligible" in told.title_en.lower()
    client.post(notify, {"scope": "all"})
    assert PolicyNotice.objects.count() == 1 and Notification.objects.count() == 1  # never twice
    listed = client.get(reverse("policies:detail", args=[published.code]), {"told": "yes"}).content.decode()
    assert "强研发企业" in listed and "已推送" in listed
    inbox = client.get(reverse("policies:list")).content.decode()
    assert "研发投入补助" in inbox
    # Another department's head reads the list but may not tell anyone, nor edit the policy.
    client.force_login(zone["stranger"])
    page = client.get(reverse("policies:detail", args=[published.code])).content.decode()
    assert "强研发企业" in page and "推送给所选企业" not in page
    client.post(notify, {"scope": "all"})
    assert PolicyNotice.objects.count() == 1
    assert client.get(reverse("policies:edit", args=[published.code])).status_code == 403


def condition_rows(*rows, extra=3):
    data = {
        "conditions-TOTAL_FORMS": str(len(rows) + extra),
        "conditions-INITIAL_FORMS": "0",
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "20",
    }
    for number, (fact, operator, value) in enumerate(rows):
        data |= {
            f"conditions-{number}-fact": fact,
            f"conditions-{number}-operator": operator,
            f"conditions-{number}-value": value,
        }
    return data


def policy_form(zone, **changes):
    return {
        "code": "talent-housing",
        "title": "青年人才租房补贴",
        "area": "talent",
        "text": "对初创企业的青年人才给予租房补贴。",
        "beneficiaries": "成立5年以内的小微企业",
        "requirements": "成立不超过5年;小型或微型企业",
        "amount": "10",
        "amount_text": "每年最高10万元",
        "budget": "500",
        "valid_from": "2026-01-01",
        "valid_until": "",
        "department": str(zone["science"].pk),
        "time_limit_days": "15",
        "mode": "all",
        "publish": "on",
        **changes,
    }


def test_the_head_writes_a_policy_with_its_conditions_as_rows(published, zone, client):
    client.force_login(zone["head"])
    form = client.get(reverse("policies:new")).content.decode()
    assert "可用的条件项" in form and "rd_intensity" in form
    bad = client.post(
        reverse("policies:new"),
        policy_form(zone) | condition_rows(("age_years", "<=", "五年"), ("size", "in", "小型, 巨型")),
    )
    text = bad.content.decode()
    assert bad.status_code == 400 and "值应为数字" in text and "值应为可选项的列表" in text
    assert not Policy.objects.filter(code="talent-housing").exists()
    good = client.post(
        reverse("policies:new"),
        policy_form(zone)
        | condition_rows(("age_years", "<=", "5"), ("size", "in", "小型、微型"), ("", "", "")),
    )
    assert good.status_code == 302
    made = Policy.objects.get(code="talent-housing")
    assert [(c.fact, c.operator, c.value) for c in made.conditions.all()] == [
        ("age_years", "<=", 5.0),
        ("size", "in", ["small", "micro"]),
    ]
    assert made.is_published and made.valid_from == datetime.date(2026, 1, 1)
    edit = client.get(reverse("policies:edit", args=[made.code])).content.decode()
    assert 'value="small, micro"' in edit and 'value="5"' in edit
    # A head keeps only his own department's policies.
    client.force_login(zone["stranger"])
    refused = client.post(reverse("policies:new"), policy_form(zone, code="not-mine") | condition_rows())
    assert refused.status_code == 400 and not Policy.objects.filter(code="not-mine").exists()
    own = policy_form(zone, code="eco-policy", department=str(zone["stranger"].department_id))
    assert client.post(reverse("policies:new"), own | condition_rows()).status_code == 302
    client.force_login(zone["strong_people"])
    assert client.get(reverse("policies:new")).status_code == 403


def test_officers_list_the_policies_with_their_counts(published, zone, client):
    client.force_login(zone["reviewer"])
    page = client.get(reverse("policies:list")).content.decode()
    assert "研发投入补助" in page and "新建政策" not in page
    published.refresh_from_db()
    assert (published.eligible_count, published.unknown_count) == (1, 1)
    client.force_login(zone["head"])
    assert "新建政策" in client.get(reverse("policies:list")).content.decode()
    english = client.get(reverse("policies:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    detail = client.get(reverse("policies:detail", args=[published.code]), HTTP_ACCEPT_LANGUAGE="en")
    assert "Find the enterprises" in detail.content.decode() and "Eligible enterprises" in english
