"""The applicant's side: the situation guide, the complete notice, the merged form, uploads checked by content,
pledges, submission with its completeness check and idempotency key, withdrawal, cancellation and scope."""

import datetime
import hashlib
from pathlib import Path
from textwrap import dedent

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from sciencecity.approvals import selectors, transitions
from sciencecity.approvals.files import check_upload, sanitized_name
from sciencecity.approvals.models import (
    Application,
    ApplicationItem,
    ReviewTask,
    SubmittedMaterial,
    TaskPause,
)
from sciencecity.approvals.services import applications, review
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.models import Bundle, MaterialSpec
from sciencecity.catalog.services import import_catalog
from sciencecity.notifications.models import Notification
from sciencecity.workflow.errors import NotFound
from tests.approvals.conftest import (
    SAMPLES,
    START_ALL,
    START_MINIMAL,
    accepted,
    claim,
    draft,
    submitted,
    upload,
    upload_needed,
)
from tests.factories import EnterpriseFactory, ProjectFactory, applicant_of

pytestmark = pytest.mark.django_db

MINIMAL_ITEMS = ["engineering-planning-permit", "construction-drawing-review", "construction-permit"]


def codes(items):
    return [item.code for item in items]


def error_codes(excinfo) -> dict[str, list[str]]:
    return {key: [error.code for error in errors] for key, errors in excinfo.value.error_dict.items()}


def actions_on(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(obj.pk), target_type__model=obj._meta.model_name)
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- the situation guide -------------------------------------------------------------------------------


class TestSelectedItems:
    def test_no_situation_selects_the_mandatory_items_only(self, world):
        assert (
            codes(selectors.selected_items(world.bundle("start-construction"), START_MINIMAL))
            == MINIMAL_ITEMS
        )

    def test_every_situation_selects_every_item_in_bundle_order(self, world):
        bundle = world.bundle("start-construction")
        # Every item but the merged review (三评合一), the other answer of the EIA question.
        assert codes(selectors.selected_items(bundle, START_ALL)) == [
            use.item.code
            for use in bundle.bundle_items.order_by("position")
            if use.item.code != "eia-three-in-one"
        ]

    @pytest.mark.parametrize(
        ("site_works", "expected"),
        [
            (["waste"], ["construction-waste-disposal"]),
            ("waste", ["construction-waste-disposal"]),  # one value alone counts as a list of one
            (["sewage", "earthwork"], ["sewage-discharge-permit", "soil-water-conservation"]),
            (["none"], []),
        ],
    )
    def test_a_multiple_choice_answer_holds_when_any_chosen_value_is_accepted(
        self, world, site_works, expected
    ):
        answers = {**START_MINIMAL, "site_works": site_works}
        selected = codes(selectors.selected_items(world.bundle("start-construction"), answers))
        assert [code for code in selected if code not in MINIMAL_ITEMS] == expected

    @pytest.mark.parametrize(
        ("category", "selected"), [("report", True), ("table", True), ("registration", False)]
    )
    def test_a_single_choice_rule_lists_its_accepted_values(self, world, category, selected):
        answers = {**START_MINIMAL, "eia_category": category}
        assert (
            "eia-approval" in codes(selectors.selected_items(world.bundle("start-construction"), answers))
        ) is (selected)

    def test_booleans_are_accepted_for_yes_no_questions(self, world):
        answers = {**START_MINIMAL, "new_civil_building": True}
        assert "civil-defense-basement-approval" in codes(
            selectors.selected_items(world.bundle("start-construction"), answers)
        )

    def test_every_problem_is_listed_at_once(self, world):
        answers = {
            "land_with_scheme": "maybe",
            "site_works": ["waste", "lava"],
            "colour": "blue",
            "eia_category": "report",
        }
        with pytest.raises(ValidationError) as excinfo:
            selectors.selected_items(world.bundle("start-construction"), answers)
        assert error_codes(excinfo) == {
            "land_with_scheme": ["invalid_choice"],
            "site_works": ["invalid_choice"],
            "colour": ["unknown_question"],
            "new_civil_building": ["missing_answer"],
            "special_construction": ["missing_answer"],
            "security_sites": ["missing_answer"],
            "occupy_road": ["missing_answer"],
            "need_agency": ["missing_answer"],
        }
        assert "lava" in str(excinfo.value)

    def test_a_draft_may_leave_questions_unanswered(self, world):
        assert codes(selectors.selected_items(world.bundle("start-construction"), {}, complete=False)) == (
            MINIMAL_ITEMS
        )

    def test_reads_a_fixed_number_of_queries(self, world, django_assert_max_num_queries):
        bundle = world.bundle("start-construction")
        with django_assert_max_num_queries(4):
            selectors.selected_items(bundle, START_ALL)


# --- the complete notice -------------------------------------------------------------------------------


def notice_of(world, bundle_code, answers):
    bundle = world.bundle(bundle_code)
    items = selectors.selected_items(bundle, answers)
    return {
        entry.code: entry
        for entry in selectors.material_notice(bundle, items, world.enterprise, world.project)
    }


class TestMaterialNotice:
    def test_materials_are_listed_once_with_every_item_that_needs_them(self, world):
        notice = notice_of(world, "start-construction", START_MINIMAL)
        assert codes(notice["business-licence"].items) == MINIMAL_ITEMS
        assert codes(notice["land-title"].items) == ["engineering-planning-permit", "construction-permit"]
        assert len(notice) == len(set(notice))

    def test_enterprise_and_project_data_are_held_by_the_platform(self, world):
        notice = notice_of(world, "start-construction", START_MINIMAL)
        licence, code = notice["business-licence"], notice["project-code"]
        assert (licence.held_how, licence.held_value) == ("enterprise", world.enterprise.credit_code)
        assert (code.held_how, code.held_value) == ("project", world.project.code)
        assert licence.held_by_platform and not licence.needs_submission

    def test_a_certificate_an_item_of_the_same_application_issues_is_not_asked_for(self, world):
        notice = notice_of(world, "start-construction", START_MINIMAL)
        permit = notice["engineering-planning-permit"]
        assert permit.produced_by.code == "engineering-planning-permit"
        assert codes(permit.items) == ["construction-drawing-review", "construction-permit"]
        assert notice["drawing-review-certificate"].produced_by.code == "construction-drawing-review"
        assert not permit.needs_submission and not permit.held_by_platform
        # An earlier certificate nobody here issues must be handed in.
        assert notice["land-use-planning-permit"].produced_by is None
        assert notice["land-use-planning-permit"].needs_submission

    def test_required_gap_and_pledge_flags(self, world):
        notice = notice_of(world, "start-construction", START_MINIMAL)
        assert notice["quality-safety-measures"].gap_tolerated
        assert notice["funding-pledge"].pledge_allowed
        assert not notice["land-title"].gap_tolerated and not notice["land-title"].pledge_allowed
        assert not notice["scheme-review-opinion"].required  # optional for the planning permit

    def test_flags_need_every_requiring_item(self, world):
        """A material that one item tolerates as a gap but another requires strictly is no gap; a material
        required by one item and optional for another is required."""
        version = import_catalog(SMALL_CATALOG, publish=True, valid_from=datetime.date(2026, 1, 1))
        bundle = Bundle.objects.get(version=version, code="small")
        items = selectors.selected_items(bundle, {})
        notice = {
            e.code: e for e in selectors.material_notice(bundle, items, world.enterprise, world.project)
        }
        assert (
            notice["plan"].required and not notice["plan"].gap_tolerated and not notice["plan"].pledge_allowed
        )
        assert notice["pledgeable"].pledge_allowed and notice["pledgeable"].gap_tolerated
        assert notice["optional"].required and codes(notice["optional"].items) == ["a", "b"]

    def test_reads_two_queries_whatever_the_number_of_items(self, world, django_assert_max_num_queries):
        bundle = world.bundle("start-construction")
        for answers in (START_MINIMAL, START_ALL):
            items = selectors.selected_items(bundle, answers)
            with django_assert_max_num_queries(2):
                notice = selectors.material_notice(bundle, items, world.enterprise, world.project)
                [entry.items for entry in notice]


SMALL_CATALOG = dedent(
    """\
    format: 1
    version: {label: 小目录}
    materials:
      - {code: plan, name: 方案, formats: [pdf]}
      - {code: pledgeable, name: 可承诺材料, formats: [pdf]}
      - {code: optional, name: 可选材料, formats: [pdf]}
    items:
      - code: a
        name: 事项甲
        department: housing
        stage: construction_permit
        promised_limit_days: 3
        pledge_allowed: true
        materials:
          - {material: plan, gap_tolerated: true, pledge_allowed: true}
          - {material: pledgeable, gap_tolerated: true, pledge_allowed: true}
          - {material: optional, required: false}
      - code: b
        name: 事项乙
        department: planning
        stage: construction_permit
        promised_limit_days: 3
        materials:
          - plan
          - {material: optional, required: true}
    bundles:
      - code: small
        name: 小一件事
        lead_department: housing
        promised_limit_days: 5
        items: [a, b]
    """
)


# --- the merged form -----------------------------------------------------------------------------------


class TestMergedForm:
    def test_fields_of_the_selected_items_prefilled_from_the_registries(self, world):
        bundle = world.bundle("start-construction")
        items = selectors.selected_items(bundle, START_MINIMAL)
        form = {e.code: e for e in selectors.merged_form(bundle, items, world.enterprise, world.project)}
        assert "civil_defense_area" not in form  # only the civil-defence item uses it
        assert form["project_name"].value == world.project.name and form["project_name"].prefilled
        assert form["builder_name"].value == world.enterprise.name
        assert form["credit_code"].value == world.enterprise.credit_code
        assert form["total_investment"].value == "50000"
        assert form["contractor_name"].value is None and form["contractor_name"].required
        assert codes(form["total_investment"].items) == ["construction-permit"]

    def test_saved_values_override_prefills(self, world):
        bundle = world.bundle("start-construction")
        items = selectors.selected_items(bundle, START_MINIMAL)
        form = {
            e.code: e
            for e in selectors.merged_form(
                bundle, items, world.enterprise, world.project, saved={"project_name": "芯片研发中心二期"}
            )
        }
        assert form["project_name"].value == "芯片研发中心二期" and not form["project_name"].prefilled

    def test_reads_two_queries(self, world, django_assert_max_num_queries):
        bundle = world.bundle("start-construction")
        items = selectors.selected_items(bundle, START_ALL)
        with django_assert_max_num_queries(2):
            selectors.merged_form(bundle, items, world.enterprise, world.project)


class TestDependencyGraph:
    def test_restricted_to_the_selected_items_and_grouped_in_waves(self, world):
        bundle = world.bundle("start-construction")
        items = selectors.selected_items(bundle, START_MINIMAL)
        by_code = {item.code: item.pk for item in items}
        graph = selectors.dependency_graph(bundle, items)
        # special-fire-design-review is a prerequisite of the construction permit, but not selected here.
        assert graph[by_code["construction-permit"]] == {
            by_code["engineering-planning-permit"],
            by_code["construction-drawing-review"],
        }
        assert selectors.dependency_waves(graph) == [
            [by_code["engineering-planning-permit"]],
            [by_code["construction-drawing-review"]],
            [by_code["construction-permit"]],
        ]
        assert selectors.dependents_of(graph)[by_code["construction-drawing-review"]] == {
            by_code["construction-permit"]
        }


# --- starting -------------------------------------------------------------------------------------------


class TestStart:
    def test_an_applicant_starts_a_draft_with_a_placeholder_number(self, world):
        application = applications.start_application(
            world.applicant, world.project, world.bundle("start-construction")
        )
        assert application.status == Application.Status.DRAFT
        assert application.number.startswith("CG")
        assert (application.enterprise, application.applicant) == (world.enterprise, world.applicant)
        assert actions_on(application) == ["approvals.start_application"]

    def test_the_same_key_returns_the_same_draft(self, world):
        bundle = world.bundle("start-construction")
        first = applications.start_application(world.applicant, world.project, bundle, idempotency_key="k1")
        again = applications.start_application(world.applicant, world.project, bundle, idempotency_key="k1")
        assert again.pk == first.pk
        assert Application.objects.count() == 1
        with pytest.raises(ValidationError) as excinfo:
            applications.start_application(
                world.applicant, world.project, world.bundle("joint-acceptance"), idempotency_key="k1"
            )
        assert excinfo.value.code == "idempotency_key_reused"

    def test_another_enterprises_project_looks_like_it_does_not_exist(self, world):
        other = applicant_of(EnterpriseFactory())
        with pytest.raises(Http404):
            applications.start_application(other, world.project, world.bundle("start-construction"))

    def test_civil_servants_do_not_apply(self, world):
        with pytest.raises(PermissionDenied):
            applications.start_application(world.clerk, world.project, world.bundle("start-construction"))

    def test_a_bundle_of_a_version_not_in_force_is_refused(self, world):
        text = (Path(__file__).resolve().parents[2] / "sciencecity/demo/data/catalog.yaml").read_text()
        future = import_catalog(text, publish=True, valid_from=datetime.date(2026, 9, 1))
        bundle = Bundle.objects.get(version=future, code="start-construction")
        with pytest.raises(ValidationError) as excinfo:
            applications.start_application(world.applicant, world.project, bundle)
        assert excinfo.value.code == "bundle_not_in_force"

    def test_a_draft_version_is_not_visible(self, world):
        text = (Path(__file__).resolve().parents[2] / "sciencecity/demo/data/catalog.yaml").read_text()
        bundle = Bundle.objects.get(version=import_catalog(text), code="start-construction")
        with pytest.raises(NotFound):
            applications.start_application(world.applicant, world.project, bundle)


# --- answers and form -----------------------------------------------------------------------------------


class TestDraftEditing:
    def test_answers_are_validated_and_normalized_and_may_be_partial(self, world):
        application = draft(world, "start-construction", {})
        application = applications.save_answers(world.applicant, application, {"new_civil_building": True})
        assert application.answers == {"new_civil_building": "yes"}
        with pytest.raises(ValidationError) as excinfo:
            applications.save_answers(world.applicant, application, {"occupy_road": "perhaps"})
        assert error_codes(excinfo) == {"occupy_road": ["invalid_choice"]}
        assert actions_on(application).count("approvals.save_answers") == 1

    def test_form_values_are_checked_by_kind_with_an_error_per_field(self, world):
        application = draft(world, "start-construction", START_ALL)
        with pytest.raises(ValidationError) as excinfo:
            applications.save_form(
                world.applicant,
                application,
                {
                    "road_occupation_days": "three",
                    "contract_price": "a lot",
                    "planned_start": "2026-13-01",
                    "building_use": "castle",
                    "project_name": "  ",
                    "civil_defense_area": "-5",
                    "shoe_size": 42,
                },
            )
        assert error_codes(excinfo) == {
            "road_occupation_days": ["invalid"],
            "contract_price": ["invalid"],
            "planned_start": ["invalid"],
            "building_use": ["invalid_choice"],
            "project_name": ["required"],
            "civil_defense_area": ["negative"],
            "shoe_size": ["unknown_field"],
        }

    def test_valid_values_are_stored_normalized(self, world):
        application = draft(world, "start-construction", START_ALL)
        application = applications.save_form(
            world.applicant,
            application,
            {
                "road_occupation_days": "12",
                "contract_price": "1,234.50",
                "planned_start": datetime.date(2026, 7, 1),
                "building_use": "public",
                "civil_defense_area": "",
            },
        )
        assert application.form_data["road_occupation_days"] == 12
        assert application.form_data["contract_price"] == "1234.50"
        assert application.form_data["planned_start"] == "2026-07-01"
        assert application.form_data["building_use"] == "public"
        assert "civil_defense_area" not in application.form_data

    def test_nothing_changes_once_submitted(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        with pytest.raises(transitions.IllegalTransition):
            applications.save_answers(world.applicant, application, START_ALL)
        with pytest.raises(transitions.IllegalTransition):
            applications.save_form(world.applicant, application, {"project_name": "新名称"})
        with pytest.raises(transitions.IllegalTransition):
            applications.upload_material(world.applicant, application, "land-title", upload("x.pdf"))


# --- files -------------------------------------------------------------------------------------------------


def spec(world, code) -> MaterialSpec:
    return MaterialSpec.objects.get(version=world.version, code=code)


class TestFileChecks:
    @pytest.mark.parametrize(
        ("material", "name", "kind"),
        [
            ("land-title", "产权证.pdf", "pdf"),
            ("land-title", "产权证.JPEG", "jpg"),
            ("land-title", "产权证.ofd", "ofd"),
            ("legal-representative-id", "身份证.png", "png"),
            ("design-scheme", "方案.dwg", "dwg"),
            ("land-coordinates", "坐标.xlsx", "xlsx"),
            ("quality-safety-measures", "措施.docx", "docx"),
            ("construction-drawings", "图纸.zip", "zip"),
        ],
    )
    def test_accepted_by_content(self, world, material, name, kind):
        checked = check_upload(spec(world, material), upload(name, kind))
        assert checked.extension == kind

    def test_too_large(self, world):
        five_mb = 5 * 1024 * 1024
        big = upload("身份证.pdf", content=SAMPLES["pdf"] + b"0" * (five_mb - len(SAMPLES["pdf"]) + 1))
        with pytest.raises(ValidationError) as excinfo:
            check_upload(spec(world, "legal-representative-id"), big)
        assert excinfo.value.code == "file_too_large"
        exactly = upload("身份证.pdf", content=SAMPLES["pdf"] + b"0" * (five_mb - len(SAMPLES["pdf"])))
        assert check_upload(spec(world, "legal-representative-id"), exactly).size == five_mb

    @pytest.mark.parametrize(
        ("material", "name", "content"),
        [
            (
                "land-title",
                "setup.pdf",
                b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64,
            ),  # a renamed .exe
            ("land-title", "notes.pdf", "这不是 PDF".encode()),
            ("land-title", "empty.pdf", b""),
            ("eia-document", "photo.pdf", SAMPLES["png"]),  # a picture where only PDF is accepted
            ("quality-safety-measures", "措施.docx", SAMPLES["zip"]),  # a zip that is no Word document
            ("land-title", "broken.ofd", b"PK\x03\x04 not really a zip"),
        ],
    )
    def test_refused_by_content_whatever_the_name(self, world, material, name, content):
        with pytest.raises(ValidationError) as excinfo:
            check_upload(spec(world, material), upload(name, content=content))
        assert excinfo.value.code == "unsupported_file_type"

    def test_the_content_decides_the_stored_extension(self, world):
        # A PNG named .pdf is a PNG; the identity document accepts PNG, so it is stored as one.
        checked = check_upload(
            spec(world, "legal-representative-id"), upload("身份证.pdf", content=SAMPLES["png"])
        )
        assert (checked.extension, checked.content_type) == ("png", "image/png")

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("../../etc/passwd.pdf", "passwd.pdf"),
            ("C:\\Users\\张三\\营业 执照.PDF", "营业_执照.pdf"),
            (".htaccess", "htaccess.pdf"),
            ("...", "material.pdf"),
            ("@@@.pdf", "material.pdf"),
            ("", "material.pdf"),
        ],
    )
    def test_names_are_sanitized(self, name, expected):
        assert sanitized_name(name, "pdf") == expected


class TestUpload:
    def test_stored_through_the_storage_with_its_digest(self, world, settings):
        application = draft(world, "start-construction", START_MINIMAL)
        material = applications.upload_material(
            world.applicant, application, "land-title", upload("../不动产权证.pdf", "pdf")
        )
        assert material.file.name.startswith("materials/2026/06/")
        assert material.file.name.endswith("不动产权证.pdf")
        assert (Path(settings.MEDIA_ROOT) / material.file.name).read_bytes() == SAMPLES["pdf"]
        assert material.sha256 == hashlib.sha256(SAMPLES["pdf"]).hexdigest()
        assert (material.size, material.content_type, material.original_name) == (
            len(SAMPLES["pdf"]),
            "application/pdf",
            "不动产权证.pdf",
        )
        assert actions_on(material) == ["approvals.upload_material"]

    def test_a_new_upload_replaces_the_current_one_and_keeps_history(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        first = applications.upload_material(world.applicant, application, "land-title", upload("a.pdf"))
        second = applications.upload_material(world.applicant, application, "land-title", upload("b.jpg"))
        first.refresh_from_db()
        assert not first.is_current and second.is_current
        assert SubmittedMaterial.objects.filter(application=application, spec__code="land-title").count() == 2

    def test_a_material_of_no_item_of_the_bundle_is_refused(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        with pytest.raises(ValidationError) as excinfo:
            applications.upload_material(world.applicant, application, "archives-list", upload("a.pdf"))
        assert error_codes(excinfo) == {"material": ["unknown_material"]}

    def test_a_bad_file_is_refused_and_nothing_is_recorded(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        with pytest.raises(ValidationError):
            applications.upload_material(
                world.applicant, application, "land-title", upload("x.pdf", content=b"MZ")
            )
        assert not application.materials.exists()


class TestPledge:
    def test_a_material_every_requiring_item_accepts_a_pledge_for(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        material = applications.pledge_material(world.applicant, application, "funding-pledge")
        assert material.source == SubmittedMaterial.Source.PLEDGE and material.is_current

    def test_other_materials_are_refused(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        with pytest.raises(ValidationError) as excinfo:
            applications.pledge_material(world.applicant, application, "land-title")
        assert error_codes(excinfo) == {"material": ["pledge_not_allowed"]}


# --- submission --------------------------------------------------------------------------------------------


class TestSubmit:
    def test_every_missing_answer_field_and_material_is_listed(self, world):
        application = applications.start_application(
            world.applicant, world.project, world.bundle("start-construction")
        )
        application = applications.save_answers(world.applicant, application, {"land_with_scheme": "yes"})
        with pytest.raises(ValidationError) as excinfo:
            applications.submit_application(world.applicant, application, idempotency_key="s")
        assert set(excinfo.value.error_dict) == {
            f"answers.{code}"
            for code in (
                "new_civil_building",
                "special_construction",
                "security_sites",
                "occupy_road",
                "site_works",
                "eia_category",
                "need_agency",
            )
        }
        application = applications.save_answers(world.applicant, application, START_MINIMAL)
        with pytest.raises(ValidationError) as excinfo:
            applications.submit_application(world.applicant, application, idempotency_key="s")
        errors = error_codes(excinfo)
        assert {key for key in errors if key.startswith("form.")} == {
            "form.contractor_name",
            "form.supervisor_name",
            "form.contract_price",
            "form.planned_start",
            "form.planned_completion",
            "form.building_use",
        }
        # Every material the applicant must provide, except the tolerable gap (the window decides on it);
        # nothing the platform holds or an item of this application issues.
        assert {key for key in errors if key.startswith("materials.")} == {
            "materials.land-title",
            "materials.land-use-planning-permit",
            "materials.site-plan",
            "materials.construction-drawings",
            "materials.construction-contract",
            "materials.supervision-contract",
            "materials.funding-pledge",
        }
        assert set(errors["materials.land-title"]) == {"missing_material"}
        application.refresh_from_db()
        assert application.status == Application.Status.DRAFT and application.submission_count == 0

    def test_submission_numbers_links_held_data_sets_the_intake_deadline_and_tells_the_window(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        upload_needed(world.applicant, application)
        application = applications.submit_application(world.applicant, application, idempotency_key="s1")
        assert application.status == Application.Status.SUBMITTED
        assert application.number == "SQ20260601000001"
        assert application.intake_deadline == datetime.date(2026, 6, 2)  # one working day after Monday
        assert application.submission_count == 1 and application.submitted_at is not None
        # The merged form is pinned as submitted, prefills included.
        assert application.form_data["project_name"] == world.project.name
        licence = application.materials.get(spec__code="business-licence", is_current=True)
        assert (licence.source, licence.data_value, licence.verdict) == (
            SubmittedMaterial.Source.ENTERPRISE,
            world.enterprise.credit_code,
            SubmittedMaterial.Verdict.ACCEPTED,
        )
        assert not application.materials.filter(spec__code="engineering-planning-permit").exists()
        assert Notification.objects.filter(
            recipient=world.clerk, kind="application_submitted", application=application
        ).exists()
        event = AuditEvent.objects.get(action="approvals.submit_application", target_id=str(application.pk))
        assert (event.actor, event.before["status"], event.after["status"]) == (
            world.applicant,
            "draft",
            "submitted",
        )

    def test_a_tolerable_gap_may_be_missing_at_submission(self, world):
        application = submitted(world, "start-construction", START_MINIMAL, skip={"quality-safety-measures"})
        assert application.status == Application.Status.SUBMITTED

    def test_the_same_key_twice_returns_the_application_unchanged(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        upload_needed(world.applicant, application)
        first = applications.submit_application(world.applicant, application, idempotency_key="click")
        again = applications.submit_application(world.applicant, application, idempotency_key="click")
        assert (again.pk, again.number, again.submission_count) == (first.pk, first.number, 1)
        assert actions_on(application).count("approvals.submit_application") == 1
        assert Notification.objects.filter(kind="application_submitted").count() == 1

    def test_a_second_submission_with_another_key_is_refused(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        with pytest.raises(transitions.IllegalTransition):
            applications.submit_application(world.applicant, application, idempotency_key="other")

    def test_only_the_enterprises_applicant_submits(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        upload_needed(world.applicant, application)
        with pytest.raises(PermissionDenied):
            applications.submit_application(world.clerk, application, idempotency_key="s")
        colleague = applicant_of(world.enterprise)
        assert (
            applications.submit_application(colleague, application, idempotency_key="s").status == "submitted"
        )


# --- withdrawal and cancellation ---------------------------------------------------------------------------------


class TestWithdrawAndCancel:
    def test_withdrawing_in_review_cancels_open_tasks_and_ends_pauses(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        task = claim(world, application, "engineering-planning-permit")
        review.request_supplement(world.reviewer_of(task), task, "请补充总平面图电子版")
        application = applications.withdraw_application(world.applicant, application, "项目调整")
        assert application.status == Application.Status.WITHDRAWN
        assert application.closed_reason == "项目调整"
        assert set(application.tasks.values_list("status", flat=True)) == {ReviewTask.Status.CANCELLED}
        assert set(application.items.values_list("outcome", flat=True)) == {ApplicationItem.Outcome.CANCELLED}
        assert TaskPause.objects.get(task=task).ended_on == datetime.date(2026, 6, 1)
        assert "approvals.cancel_task" in actions_on(task)
        assert Notification.objects.filter(
            recipient=world.reviewer_of(task), kind="application_withdrawn"
        ).exists()
        with pytest.raises(transitions.IllegalTransition):
            applications.withdraw_application(world.applicant, application, "再撤一次")

    def test_a_draft_can_be_withdrawn_but_not_by_the_window(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        with pytest.raises(PermissionDenied):
            applications.withdraw_application(world.clerk, application, "")
        assert applications.withdraw_application(world.applicant, application).status == "withdrawn"

    def test_an_administrator_cancels_with_a_reason(self, world):
        application = accepted(world, "start-construction", START_MINIMAL)
        with pytest.raises(ValidationError):
            applications.cancel_application(world.admin, application, " ")
        with pytest.raises(PermissionDenied):
            applications.cancel_application(world.applicant, application, "不想办了")
        application = applications.cancel_application(world.admin, application, "重复申请")
        assert application.status == Application.Status.CANCELLED
        assert set(application.tasks.values_list("status", flat=True)) == {ReviewTask.Status.CANCELLED}
        assert Notification.objects.filter(recipient=world.applicant, kind="application_cancelled").exists()
        assert actions_on(application)[-1] == "approvals.cancel_application"

    def test_a_withdrawal_that_expected_another_state_is_refused(self, world):
        application = submitted(world, "start-construction", START_MINIMAL)
        with pytest.raises(transitions.IllegalTransition):
            applications.withdraw_application(
                world.applicant, application, "", expected_status=Application.Status.CORRECTION
            )


class TestScope:
    def test_an_applicant_of_another_enterprise_cannot_touch_the_application(self, world):
        application = draft(world, "start-construction", START_MINIMAL)
        stranger = applicant_of(EnterpriseFactory())
        ProjectFactory(enterprise=stranger.enterprise)
        calls = [
            lambda: applications.save_answers(stranger, application, START_ALL),
            lambda: applications.save_form(stranger, application, {"project_name": "x"}),
            lambda: applications.upload_material(stranger, application, "land-title", upload("a.pdf")),
            lambda: applications.pledge_material(stranger, application, "funding-pledge"),
            lambda: applications.submit_application(stranger, application, idempotency_key="s"),
            lambda: applications.withdraw_application(stranger, application, ""),
        ]
        for call in calls:
            with pytest.raises(NotFound) as excinfo:
                call()
            assert isinstance(excinfo.value, Http404) and isinstance(excinfo.value, PermissionDenied)
            assert "不存在" in str(excinfo.value)
