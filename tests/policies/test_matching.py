"""Policies as data: conditions checked against the facts of the enterprise file and stored as JSONLogic
(evaluated by datalogic-py); each enterprise's verdict — eligible, not eligible (which condition), unknown (which
fact its file lacks) — stored, refreshed when a policy is saved or an enterprise's file changes; bad conditions
name the row and save nothing. The suite's day is 2026-11-24."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tasks_db.models import DBTaskResult

from sciencecity.audit.models import AuditEvent
from sciencecity.enterprises import profile
from sciencecity.enterprises.facts import facts_for
from sciencecity.enterprises.models import Enterprise
from sciencecity.policies.models import Policy, PolicyMatch
from sciencecity.policies.services import matching, policies
from tests.factories import UserFactory

from .conftest import RD_SUBSIDY, rd_policy


def test_the_facts_come_from_the_file(zone):
    enterprises = list(Enterprise.objects.filter(pk__in=[zone["strong"].pk, zone["blank"].pk]))
    facts = facts_for(enterprises, datetime.date(2026, 11, 24))
    strong = facts[zone["strong"].pk]
    assert (
        strong["rd_intensity"] == 8.0 and strong["rd_staff_share"] == 40.0 and strong["chain"] == "materials"
    )
    assert facts[zone["blank"].pk]["rd_intensity"] is None and facts[zone["blank"].pk]["chain"] is None


def test_each_enterprise_gets_its_verdict_with_its_reasons(zone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        policy = rd_policy(zone)
    assert policy.rule == {
        "and": [
            {"==": [{"var": "is_high_tech"}, True]},
            {">=": [{"var": "rd_intensity"}, 5.0]},
            {"in": [{"var": "chain"}, ["information", "materials"]]},
        ]
    }
    counts = matching.refresh()
    assert counts["enterprises"] == 3 and counts["policies"] == 1
    verdicts = {match.enterprise_id: match for match in PolicyMatch.objects.all()}
    assert verdicts[zone["strong"].pk].verdict == "eligible"
    assert verdicts[zone["weak"].pk].verdict == "ineligible" and verdicts[zone["weak"].pk].failed == [1]
    blank = verdicts[zone["blank"].pk]
    assert blank.verdict == "unknown" and blank.missing == ["chain", "rd_intensity"]
    assert matching.refresh() == counts and PolicyMatch.objects.count() == 3  # idempotent
    assert AuditEvent.objects.filter(action="policies.save_policy").count() == 1


def test_any_mode_and_an_unpublished_policy(zone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        policy = rd_policy(zone, mode="any")
    matching.refresh()
    assert set(PolicyMatch.objects.values_list("verdict", flat=True)) == {"eligible"}  # all are high-tech
    with django_capture_on_commit_callbacks(execute=False):
        policies.save_policy(zone["admin"], policy.code, conditions=RD_SUBSIDY, publish=False)
    assert not PolicyMatch.objects.exists()
    assert not Policy.objects.for_user(UserFactory(enterprise=zone["strong"], roles=["applicant"])).exists()


def test_a_changed_file_refreshes_its_verdicts(zone, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        rd_policy(zone)
    matching.refresh()
    with django_capture_on_commit_callbacks(execute=True):
        profile.set_year(None, zone["weak"], 2025, revenue="1000", rd_spending="100")
    # The policy's own refresh is queued too (with the data, by its write); the file's is one for that enterprise.
    jobs = DBTaskResult.objects.filter(task_path=matching.refresh_matches.module_path)
    (job,) = [job for job in jobs if job.args_kwargs["args"] == [None, [zone["weak"].pk]]]
    matching.refresh_matches.call(*job.args_kwargs["args"])  # what the worker runs
    assert PolicyMatch.objects.get(enterprise=zone["weak"]).verdict == "eligible"


def test_bad_conditions_name_their_row_and_save_nothing(zone):
    with pytest.raises(ValidationError) as error:
        rd_policy(
            zone,
            conditions=[
                {"fact": "height", "operator": ">=", "value": 1},
                {"fact": "is_high_tech", "operator": ">=", "value": True},
                {"fact": "employees", "operator": ">=", "value": "many"},
                {"fact": "size", "operator": "==", "value": "giant"},
                {"fact": "chain", "operator": "in", "value": [["x"]]},
                {"fact": "qualifications", "operator": "contains", "value": {"a": 1}},
                "not a row",
            ],
        )
    assert set(error.value.message_dict) == {f"conditions.{n}" for n in range(1, 8)}
    assert "未知的条件项" in error.value.message_dict["conditions.1"][0]
    with pytest.raises(ValidationError) as error:
        rd_policy(zone, title="", valid_until=datetime.date(2025, 1, 1))
    assert {"title", "valid_until"} <= set(error.value.message_dict) or "title" in error.value.message_dict
    with pytest.raises(ValidationError):
        policies.save_policy(zone["admin"], "Bad Code!", conditions=[])
    with pytest.raises(PermissionDenied):
        policies.save_policy(UserFactory(roles=["applicant"]), "x", conditions=[])
    assert not Policy.objects.exists()
