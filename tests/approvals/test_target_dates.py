"""Target delivery dates (定日出件) and 交地即领证: the catalog's bundle, the applicant's date and its checks, the
window's change, delivery on the day, the risk of missing it computed from stored dates with a frozen clock,
and lists of the applications at risk that read as many statements for many rows as for few.

The world is the demo catalog (tests/approvals/conftest.py), frozen on Monday 2026-06-01 10:00; 2026's
Dragon Boat Festival (Friday 19 June) is a rest day.
"""

import datetime

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from sciencecity.approvals import selectors, target_dates
from sciencecity.approvals.models import Application, Certificate, Delivery
from sciencecity.approvals.services import applications, delivery, intake
from sciencecity.approvals.services import target_dates as target_services
from sciencecity.approvals.transitions import IllegalTransition
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog import compiled
from sciencecity.catalog.models import Bundle
from sciencecity.catalog.services import import_catalog
from sciencecity.catalog.validators import CatalogImportError
from sciencecity.catalog.yaml_io import export_catalog, parse_catalog
from sciencecity.notifications.models import Notification
from tests.approvals.conftest import (
    DATA,
    START_DAY,
    START_MINIMAL,
    accept_all_materials,
    approve,
    approve_all,
    at,
    draft,
    task_of,
    upload_needed,
)
from tests.factories import staff

pytestmark = pytest.mark.django_db

A = Application.Status
BUNDLE = "land-handover-certificates"
NO = {"separate_land_approval": "no"}
YES = {"separate_land_approval": "yes"}
HANDOVER = datetime.date(2026, 6, 22)  # a Monday, three weeks ahead
EARLIEST = datetime.date(2026, 6, 12)  # 2026-06-01 + 1 (intake) + 8 (promised) working days
SATURDAY = datetime.date(2026, 6, 13)
CONTRACT, TITLE, PERMIT, APPROVAL = (
    "land-transfer-contract",
    "land-title-first-registration",
    "land-use-planning-permit",
    "construction-land-approval",
)


def handover_draft(world, answers=NO, target=HANDOVER):
    application = draft(world, BUNDLE, answers)
    if target is not None:
        application = target_services.set_target_date(world.applicant, application, target)
    return application


def handover_submitted(world, answers=NO, target=HANDOVER, key="handover-1"):
    application = handover_draft(world, answers, target)
    upload_needed(world.applicant, application)
    return applications.submit_application(world.applicant, application, idempotency_key=key)


def handover_accepted(world, answers=NO, target=HANDOVER, key="handover-1"):
    application = handover_submitted(world, answers, target, key)
    accept_all_materials(world, application)
    return intake.accept_application(world.clerk, application)


def codes(error: ValidationError, key="target_date") -> list[str]:
    return [item.code for item in error.error_dict[key]]


def risk(application, today=None) -> str:
    return target_dates.risk_of(Application.objects.get(pk=application.pk), today)


# --- the catalog --------------------------------------------------------------------------------------------


def test_the_bundle_asks_for_the_handover_date_and_survives_export_and_compilation(world):
    bundle = world.bundle(BUNDLE)
    assert bundle.asks_target_date and bundle.target_date_label == "交地日期"
    with translation.override("en"):
        assert bundle.display_target_date_label == "Land handover date"
    assert not world.bundle("start-construction").asks_target_date
    assert bundle.lead_department.code == "planning"
    # The items: three mandatory, the construction land approval where the answer asks for it; the land-use
    # planning permit is the catalog's existing item, reused.
    uses = {use.item.code: use.mandatory for use in bundle.bundle_items.select_related("item")}
    assert uses == {CONTRACT: True, TITLE: True, PERMIT: True, APPROVAL: False}
    items = {item.code: item for item in bundle.items.all()}
    assert items[PERMIT].bundles.count() == 1 and items[PERMIT].pk == world.version.items.get(code=PERMIT).pk
    assert (items[TITLE].legal_limit_days, items[TITLE].kind) == (30, "confirmation")
    assert {item.department.code for item in items.values()} == {"planning"}
    assert {item.certificate_code for item in items.values()} == {
        "land-transfer-contract",
        "land-title",
        "land-use-planning-permit",
        "construction-land-approval",
    }
    assert [item.code for item in selectors.selected_items(bundle, YES)] == [
        CONTRACT,
        TITLE,
        PERMIT,
        APPROVAL,
    ]
    # Exported and imported again: the same text, the date's names kept.
    text = export_catalog(world.version)
    assert "target_date_label: 交地日期\n    target_date_label_en: Land handover date\n" in text
    assert export_catalog(import_catalog(text)) == text
    # Compiled (a published version, once per process): the bundle's copy carries the names.
    compiled._mark_committed(world.version.pk)
    assert compiled.compiled(world.version.pk) is not None
    copy = compiled.bundle_copy(bundle.pk)
    assert (copy.target_date_label, copy.target_date_label_en) == ("交地日期", "Land handover date")


def test_an_english_name_without_a_chinese_one_is_refused():
    text = (DATA / "catalog.yaml").read_text(encoding="utf-8")
    text = text.replace("    target_date_label: 交地日期\n", "")
    departments = [
        row["code"] for row in yaml.safe_load((DATA / "departments.yaml").read_text(encoding="utf-8"))
    ]
    with pytest.raises(CatalogImportError) as refused:
        parse_catalog(text, department_codes=departments)
    assert any("target_date_label_en" in error for error in refused.value.errors)


def test_the_contract_and_title_are_produced_in_the_bundle_and_reused_later(world):
    application = handover_draft(world, YES)
    _items, notice, _form = applications.requirements(application)
    entries = {entry.code: entry for entry in notice}
    assert (
        entries["land-contract"].produced_by.code == CONTRACT
        and not entries["land-contract"].needs_submission
    )
    assert entries["business-licence"].held_by_platform
    to_upload = {code for code, entry in entries.items() if entry.needs_submission}
    assert to_upload == {
        "land-deal-confirmation",
        "legal-representative-id",
        "land-price-receipt",
        "cadastral-survey",
        "land-coordinates",
    }
    assert entries["land-price-receipt"].gap_tolerated  # 容缺: the receipts may follow before the handover


# --- the applicant's date -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (SATURDAY, "not_working_day"),
        (datetime.date(2026, 5, 29), "past"),
        (datetime.date(2026, 6, 11), "too_early"),
        (datetime.date(2027, 7, 1), "too_far"),
    ],
)
def test_a_date_the_bundle_cannot_keep_is_refused_with_its_reason(world, day, code):
    application = handover_draft(world, target=None)
    with pytest.raises(ValidationError) as refused:
        target_services.set_target_date(world.applicant, application, day)
    assert code in codes(refused.value)
    assert "交地日期" in " ".join(refused.value.messages)
    application.refresh_from_db()
    assert application.target_date is None


def test_the_applicant_names_the_handover_date_audited(world):
    application = handover_draft(world, target=None)
    application = target_services.set_target_date(world.applicant, application, EARLIEST)
    assert Application.objects.get(pk=application.pk).target_date == EARLIEST
    event = AuditEvent.objects.get(action="approvals.set_target_date")
    assert event.actor == world.applicant and event.after == {"target_date": "2026-06-12"}
    # Clearing it on a draft is allowed; a bundle without a target date refuses one.
    target_services.set_target_date(world.applicant, application, None)
    assert Application.objects.get(pk=application.pk).target_date is None
    other = draft(world, "start-construction", START_MINIMAL)
    with pytest.raises(ValidationError) as refused:
        target_services.set_target_date(world.applicant, other, HANDOVER)
    assert codes(refused.value) == ["not_asked"]
    # Only its enterprise's applicant changes it, and only while it may be edited.
    with pytest.raises(PermissionDenied):
        target_services.set_target_date(world.clerk, application, HANDOVER)


def test_submission_needs_a_date_the_limits_can_still_keep(world, time_machine):
    application = handover_draft(world, target=None)
    upload_needed(world.applicant, application)
    with pytest.raises(ValidationError) as refused:
        applications.submit_application(world.applicant, application, idempotency_key="k1")
    assert codes(refused.value) == ["required"]
    target_services.set_target_date(world.applicant, application, EARLIEST)
    at(time_machine, datetime.date(2026, 6, 2))  # a day later, 12 June is too early
    with pytest.raises(ValidationError) as refused:
        applications.submit_application(world.applicant, application, idempotency_key="k2")
    assert codes(refused.value) == ["too_early"]
    assert "2026-06-15" in " ".join(refused.value.messages)
    target_services.set_target_date(world.applicant, application, HANDOVER)
    submitted = applications.submit_application(world.applicant, application, idempotency_key="k3")
    assert (submitted.status, submitted.target_date) == (A.SUBMITTED, HANDOVER)
    with pytest.raises(IllegalTransition):  # submitted: no longer the applicant's to change
        target_services.set_target_date(world.applicant, submitted, datetime.date(2026, 6, 23))


# --- the window's change ---------------------------------------------------------------------------------------


def test_the_window_moves_the_date_with_a_reason_and_everyone_concerned_is_told(world):
    application = handover_accepted(world)
    reviewer = world.reviewer("planning")
    with pytest.raises(ValidationError) as refused:
        target_services.change_target_date(world.clerk, application, SATURDAY, "")
    assert set(refused.value.error_dict) == {"reason", "target_date"}
    assert codes(refused.value) == ["not_working_day"]
    with pytest.raises(ValidationError) as refused:
        target_services.change_target_date(world.clerk, application, HANDOVER, "同一天")
    assert codes(refused.value) == ["unchanged"]
    with pytest.raises(PermissionDenied):
        target_services.change_target_date(world.applicant, application, EARLIEST, "提前")
    with pytest.raises(PermissionDenied):
        target_services.change_target_date(reviewer, application, EARLIEST, "提前")
    # Earlier than the limits would allow: recorded (the handover is a fact), and the application is at risk.
    moved = datetime.date(2026, 6, 8)
    target_services.change_target_date(world.clerk, application, moved, "出让人通知交地提前")
    assert Application.objects.get(pk=application.pk).target_date == moved
    event = AuditEvent.objects.get(action="approvals.change_target_date")
    assert event.before == {"target_date": "2026-06-22"}
    assert event.after == {"target_date": "2026-06-08", "reason": "出让人通知交地提前"}
    told = Notification.objects.filter(kind="target_date_changed", application=application)
    assert set(told.values_list("recipient__username", flat=True)) >= {"applicant", reviewer.username}
    assert "2026-06-08" in told.first().title
    assert risk(application) == target_dates.Risk.LATE_DEADLINE


def test_the_date_cannot_move_once_delivered_or_closed(world, time_machine):
    application = handover_accepted(world)
    approve_all(world, application)
    at(time_machine, HANDOVER)
    delivery.deliver_application(world.clerk, Application.objects.get(pk=application.pk), method="electronic")
    with pytest.raises(IllegalTransition):
        target_services.change_target_date(world.clerk, application, datetime.date(2026, 6, 23), "改期")


# --- delivery on the day ------------------------------------------------------------------------------------


def test_every_result_is_delivered_together_on_the_handover_day_not_before(world, time_machine):
    application = handover_accepted(world, YES)
    assert [task.item.code for task in application.tasks.filter(status="pending")] == [CONTRACT]
    rounds = approve_all(world, application)
    assert rounds == [[CONTRACT], [APPROVAL, TITLE, PERMIT]]  # the contract first, the rest in parallel
    application.refresh_from_db()
    assert application.status == A.CONCLUDED
    with pytest.raises(IllegalTransition) as refused:
        delivery.deliver_application(world.clerk, application, method="window", recipient="张三")
    assert "2026-06-22" in str(refused.value) and "交地日期" in str(refused.value)
    assert not Delivery.objects.filter(application=application).exists()
    at(time_machine, HANDOVER, 9)
    delivery.deliver_application(world.clerk, application, method="window", recipient="张三")
    application.refresh_from_db()
    assert application.status == A.DELIVERED
    issued = set(
        Certificate.objects.filter(application=application).values_list("certificate_code", flat=True)
    )
    assert issued == {
        "land-transfer-contract",
        "land-title",
        "land-use-planning-permit",
        "construction-land-approval",
    }
    # The title and the contract are reused by the project's next application (免提交).
    later = draft(world, "start-construction", START_MINIMAL)
    _items, notice, _form = applications.requirements(later)
    title = next(entry for entry in notice if entry.code == "land-title")
    assert title.held_how == "certificate" and not title.needs_submission


# --- the risk, with a frozen clock -------------------------------------------------------------------------


def test_risk_from_stored_dates_as_the_days_pass(world, time_machine):
    """One application through its life: on track, due soon, on track once concluded, passed."""
    application = handover_accepted(world)
    assert application.promised_deadline == datetime.date(2026, 6, 11)
    assert risk(application) == ""
    approve(world, application, CONTRACT)  # releases the title and the permit, due 5 working days later
    assert task_of(application, TITLE).promised_deadline == datetime.date(2026, 6, 8)
    # 17 June: the handover (22 June) is within 3 working days (18, 22, 23) and review is not finished.
    at(time_machine, datetime.date(2026, 6, 17))
    assert target_dates.horizon() == datetime.date(2026, 6, 23)
    assert risk(application) == target_dates.Risk.DUE_SOON
    approve_all(world, application)
    assert risk(application) == ""  # concluded, waiting for its day
    at(time_machine, datetime.date(2026, 6, 23))
    assert risk(application) == target_dates.Risk.PASSED
    delivery.deliver_application(world.clerk, Application.objects.get(pk=application.pk), method="electronic")
    assert risk(application) == ""
    assert not target_dates.with_target(Application.objects.all()).exists()


def test_a_task_due_after_the_date_puts_it_at_risk_and_the_lists_agree(world, settings):
    settings.TARGET_DATE_RISK_WORKING_DAYS = 0
    on_track = handover_accepted(world, key="h1")
    late = handover_accepted(world, target=datetime.date(2026, 6, 15), key="h2")
    approve(world, late, CONTRACT)
    # The application's promised deadline (11 June) is before 15 June; the title task's (8 June) too: on track,
    # until the window moves the handover before the title's deadline.
    assert risk(late) == ""
    target_services.change_target_date(world.clerk, late, datetime.date(2026, 6, 5), "提前交地")
    assert risk(late) == target_dates.Risk.LATE_DEADLINE
    # A task's own deadline alone: the application's is not after the date, the task's is.
    Application.objects.filter(pk=late.pk).update(promised_deadline=datetime.date(2026, 6, 5))
    assert risk(late) == target_dates.Risk.LATE_DEADLINE
    drafted = handover_draft(world)  # a draft: its date is the applicant's plan, not at risk
    listed = target_dates.at_risk(Application.objects.all())
    assert list(listed.values_list("pk", flat=True)) == [late.pk]
    annotated = dict(target_dates.annotate_risk(Application.objects.all()).values_list("pk", "target_risk"))
    assert annotated == {on_track.pk: "", late.pk: "late_deadline", drafted.pk: ""}
    (row,) = target_dates.risk_by_bundle(Application.objects.all())
    assert (row["code"], row["total"], row["at_risk"], row["reasons"]) == (
        BUNDLE,
        2,
        1,
        {"late_deadline": 1},
    )
    assert row["label"] == "交地日期"


def test_the_at_risk_list_starts_from_the_target_date_index(world):
    """The filter is on the partial index's rows: the query names the indexed condition."""
    sql = str(target_dates.at_risk(Application.objects.all(), START_DAY).query)
    assert '"target_date" IS NOT NULL' in sql and '"status" IN' in sql
    index = next(i for i in Application._meta.indexes if i.name == "application_target_idx")
    assert index.fields == ["target_date", "id"]


# --- lists of applications at risk: statements do not grow with the rows ---------------------------------------


def test_the_at_risk_lists_send_as_many_statements_for_3n_rows_as_for_n(world, client):
    from tests.test_query_counts import api_rows, assert_flat, clone, context_rows, measure

    leader = staff("leader", username="leader")
    application = handover_accepted(world)
    approve(world, application, CONTRACT)
    target_services.change_target_date(world.clerk, application, datetime.date(2026, 6, 5), "提前交地")
    pages = {
        "window: handovers at risk": (world.clerk, "/window/targets/?risk=at_risk", context_rows("rows")),
        "window: all handovers": (world.clerk, "/window/targets/", context_rows("rows")),
        "leaders: applications at risk": (
            leader,
            "/leaders/applications/?at_risk=on",
            context_rows("applications"),
        ),
        "leaders: overview": (leader, "/leaders/", lambda response: response.context["targets_at_risk"]),
        "API: applications at risk": (leader, "/api/v1/applications/?at_risk=true", api_rows),
    }
    application = Application.objects.get(pk=application.pk)
    clone(application, 1)
    small = {name: measure(client, user, path, rows) for name, (user, path, rows) in pages.items()}
    clone(application, 4)
    large = {name: measure(client, user, path, rows) for name, (user, path, rows) in pages.items()}
    for name in pages:
        assert_flat(name, small[name], large[name])
    assert large["window: handovers at risk"][1] == 6


def test_bundle_has_no_target_date_unless_the_catalog_says(world):
    assert set(Bundle.objects.exclude(target_date_label="").values_list("code", flat=True)) == {BUNDLE}
