"""Policies through the API: writing a policy with its conditions (a wrong condition named, nothing saved;
a used code refused), the facts a condition may name, an enterprise's own verdicts and no one else's,
政策找企业 and its notices by the honouring department."""

from rest_framework.test import APIClient

from sciencecity.policies.models import Policy, PolicyNotice
from sciencecity.policies.services import matching


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_authenticate(user)
    return client


def body(zone, **changes):
    return {
        "code": "api-policy",
        "title": "科技保险保费补贴",
        "area": "finance",
        "text": "对高新技术企业的科技保险保费给予补贴。",
        "beneficiaries": "高新技术企业",
        "requirements": "高新技术企业",
        "amount": "10.00",
        "amount_text": "按保费的50%补贴",
        "valid_from": "2026-01-01",
        "department": zone["science"].pk,
        "conditions": [{"fact": "is_high_tech", "operator": "==", "value": True}],
        "publish": True,
        **changes,
    }


def test_a_policy_is_written_with_its_conditions(published, zone, django_capture_on_commit_callbacks):
    client = api(zone["head"])
    with django_capture_on_commit_callbacks(execute=False):
        bad = client.post(
            "/api/v1/policies/",
            body(zone, conditions=[{"fact": "is_high_tech", "operator": "==", "value": True}, {"fact": "x"}]),
            format="json",
        )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "conditions.2"
    assert not Policy.objects.filter(code="api-policy").exists()
    with django_capture_on_commit_callbacks(execute=False):
        made = client.post("/api/v1/policies/", body(zone), format="json")
    assert made.status_code == 201, made.json()
    data = made.json()
    assert data["conditions"][0]["text"] == "高新技术企业:是" and data["rule"] == {
        "and": [{"==": [{"var": "is_high_tech"}, True]}]
    }
    again = client.post("/api/v1/policies/", body(zone), format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["field"] == "code"
    with django_capture_on_commit_callbacks(execute=False):
        changed = client.put(
            f"/api/v1/policies/{data['id']}/", body(zone, code="ignored", title="科技保险补贴"), format="json"
        )
    assert changed.status_code == 200 and changed.json()["code"] == "api-policy"
    assert Policy.objects.get(code="api-policy").title == "科技保险补贴"
    assert (
        api(zone["stranger"]).put(f"/api/v1/policies/{data['id']}/", body(zone), format="json").status_code
        == 403
    )
    assert (
        api(zone["strong_people"]).post("/api/v1/policies/", body(zone, code="x"), format="json").status_code
        == 403
    )


def test_facts_verdicts_and_notices(published, zone):
    facts = api(zone["strong_people"]).get("/api/v1/policy-facts/").json()
    chain = next(fact for fact in facts if fact["code"] == "chain")
    assert chain["operators"] == ["==", "!=", "in"] and ["materials", "新材料"] in chain["choices"]
    own = api(zone["blank_people"]).get("/api/v1/policy-matches/").json()["results"]
    assert [row["enterprise"] for row in own] == [zone["blank"].pk]
    assert own[0]["verdict"] == "unknown" and "所属产业链" in own[0]["missing_facts"]
    weak = api(zone["reviewer"]).get("/api/v1/policy-matches/", {"enterprise": zone["weak"].pk}).json()
    assert weak["results"][0]["failed_conditions"] == ["上年研发投入强度(%) 不低于 5"]
    found = api(zone["reviewer"]).get(f"/api/v1/policies/{published.pk}/enterprises/").json()["results"]
    assert [(row["enterprise_name"], row["told"]) for row in found] == [("强研发企业", False)]
    assert (
        api(zone["strong_people"])
        .get(f"/api/v1/policies/{published.pk}/enterprises/", {"verdict": "unknown"})
        .json()["results"]
        == []
    )  # an enterprise sees no other enterprise here
    refused = api(zone["stranger"]).post(f"/api/v1/policies/{published.pk}/notify/", {}, format="json")
    assert refused.status_code == 403
    told = api(zone["reviewer"]).post(f"/api/v1/policies/{published.pk}/notify/", {}, format="json")
    assert told.json() == {"told": 1} and PolicyNotice.objects.count() == 1
    assert api(zone["reviewer"]).post(
        f"/api/v1/policies/{published.pk}/notify/", {}, format="json"
    ).json() == {"told": 0}
    assert matching.refresh()["eligible"] == 1
