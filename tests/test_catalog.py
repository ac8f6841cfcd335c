"""The service catalog: YAML format and validation, import/publish/copy services, command, admin, guards."""

import datetime
import io
import zoneinfo
from pathlib import Path
from textwrap import dedent

import pytest
import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from sciencecity.audit.models import AuditEvent
from sciencecity.catalog import services
from sciencecity.catalog.models import (
    Bundle,
    BundleItem,
    CatalogVersion,
    FormField,
    ItemDependency,
    ItemMaterial,
    ItemStep,
    MaterialSpec,
    PublishedVersionError,
    ServiceItem,
    SituationQuestion,
    SituationRule,
)
from sciencecity.catalog.selectors import current_version
from sciencecity.catalog.services import (
    VersionStateError,
    copy_version_to_draft,
    import_catalog,
    publish_version,
)
from sciencecity.catalog.validators import CatalogImportError
from sciencecity.catalog.yaml_io import export_catalog, parse_catalog, version_to_data
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(__file__).resolve().parent.parent / "sciencecity" / "demo" / "data"
DEMO_CATALOG = DEMO_DIR / "catalog.yaml"
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
CATALOG_MODELS = (
    CatalogVersion,
    MaterialSpec,
    ServiceItem,
    ItemStep,
    ItemMaterial,
    Bundle,
    BundleItem,
    SituationQuestion,
    SituationRule,
    SituationRule.items.through,
    ItemDependency,
    FormField,
    FormField.items.through,
)


@pytest.fixture(autouse=True)
def departments():
    """The demo departments (codes of departments.yaml), which catalogs refer to."""
    rows = yaml.safe_load(DEMO_CATALOG.with_name("departments.yaml").read_text(encoding="utf-8"))
    return {row["code"]: DepartmentFactory(**row) for row in rows}


def table_counts():
    return {model.__name__: model.objects.count() for model in CATALOG_MODELS}


# -- a small catalog, section by section, so that each test replaces the section it is about --------------

VERSION = """
version:
  label: 测试目录
  valid_from: 2026-01-01
"""
MATERIALS = """
materials:
  - {code: licence, name: 营业执照, source: enterprise, source_field: credit_code}
  - {code: drawings, name: 施工图, formats: [pdf, dwg], max_size_mb: 100}
  - {code: plan-permit, name: 建设工程规划许可证, source: certificate, certificate_code: plan-permit}
"""
ITEMS = """
items:
  - code: plan
    name: 规划许可
    name_en: Planning permit
    department: planning
    stage: engineering_permit
    legal_limit_days: 20
    promised_limit_days: 2
    certificate: {code: plan-permit, name: 建设工程规划许可证}
    steps: [{name: 受理, limit_days: 1}, {name: 决定, limit_days: 1}]
    materials: [licence, drawings]
  - code: review
    name: 施工图审查
    department: housing
    stage: construction_permit
    line: technical_review
    kind: technical_review
    promised_limit_days: 10
    materials: [licence, {material: drawings, gap_tolerated: true}]
  - code: permit
    name: 施工许可
    department: housing
    stage: construction_permit
    legal_limit_days: 7
    promised_limit_days: 5
    pledge_allowed: true
    materials: [licence, plan-permit]
  - code: defense
    name: 人防审批
    department: civil_defense
    stage: engineering_permit
    promised_limit_days: 10
"""
BUNDLES = """
bundles:
  - code: start
    name: 开工一件事
    lead_department: housing
    promised_limit_days: 15
    items: [plan, review, permit, {item: defense, mandatory: false}]
    questions:
      - {code: civil, text: 是否新建民用建筑, kind: yes_no}
      - code: eia
        text: 环评类别
        kind: single
        options: [{value: report, label: 报告书}, {value: table, label: 报告表}]
    rules:
      - when: {civil: [yes]}
        select: [defense]
    dependencies:
      permit: [plan, review]
    form:
      - {code: name, label: 项目名称, prefill: project.name, items: [plan, permit]}
"""


def catalog(*, version=VERSION, materials=MATERIALS, items=ITEMS, bundles=BUNDLES) -> str:
    return "\n".join(dedent(section).strip("\n") for section in (version, materials, items, bundles))


def errors_of(text) -> list[str]:
    with pytest.raises(CatalogImportError) as raised:
        parse_catalog(text)
    return raised.value.errors


def one_error(text, *fragments) -> str:
    """The single error that `text` has, checked to mention every fragment (the culprit and where it is)."""
    errors = errors_of(text)
    assert len(errors) == 1, errors
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


# -- the format ---------------------------------------------------------------------------------------------


def test_small_catalog_parses_with_defaults_filled_and_shorthands_expanded():
    data = parse_catalog(catalog())
    assert data["version"] == {"label": "测试目录", "valid_from": datetime.date(2026, 1, 1), "note": ""}
    plan = data["items"][0]
    assert plan["line"] == "main" and plan["kind"] == "license" and plan["pledge_allowed"] is False
    assert plan["materials"][0] == {
        "material": "licence",
        "required": True,
        "gap_tolerated": False,
        "pledge_allowed": False,
    }
    assert data["items"][1]["materials"][1]["gap_tolerated"] is True
    bundle = data["bundles"][0]
    assert bundle["items"][0] == {"item": "plan", "mandatory": True}
    # `yes` is text (YAML 1.2 booleans), as a yes/no question's answer.
    assert bundle["rules"] == [{"when": {"civil": ["yes"]}, "select": ["defense"]}]
    assert bundle["dependencies"] == {"permit": ["plan", "review"]}


def test_bytes_and_streams_are_read_too():
    text = catalog()
    assert parse_catalog(text.encode()) == parse_catalog(io.StringIO(text)) == parse_catalog(text)


def test_yaml_syntax_error_names_the_line():
    (message,) = errors_of("version:\n  label: x\nitems: [\n  - a\n")
    assert message.startswith("YAML 语法错误(第 4 行,第 3 列)"), message
    (message,) = errors_of("version:\n  label: x\n\titems: []\n")
    assert message.startswith("YAML 语法错误(第 3 行"), message


def test_duplicate_yaml_keys_are_an_error_not_silently_the_last_one():
    text = catalog(version="version:\n  label: 甲\n  label: 乙\n")
    one_error(text, "第 3 行", "label", "重复")


def test_empty_file_and_non_mapping():
    assert errors_of("") == ["目录文件:文件为空"]
    one_error("- just\n- a list\n", "应为映射")


def test_missing_required_key_names_key_and_item():
    text = catalog(items=ITEMS.replace("    department: civil_defense\n", ""))
    one_error(text, "事项 defense", "department", "缺少必填项")


def test_missing_version_label():
    one_error(catalog(version="version: {note: 没有名称}"), "版本信息", "label")


def test_wrong_type_names_key_value_and_line():
    text = catalog(
        items=ITEMS.replace(
            "promised_limit_days: 10\n    materials", "promised_limit_days: 十\n    materials"
        )
    )
    message = one_error(text, "事项 review", "promised_limit_days", "十", "整数")
    assert "行" in message


def test_numbers_beyond_the_stated_bounds_name_the_bound():
    """The YAML, the admin (the model validators) and the API schema share one bound per number."""
    text = catalog(
        items=ITEMS.replace(
            "promised_limit_days: 10\n    materials", "promised_limit_days: 400\n    materials"
        )
    )
    one_error(text, "事项 review", "promised_limit_days", "400", "0 到 365")
    text = catalog(materials=MATERIALS.replace("max_size_mb: 100", "max_size_mb: 5000"))
    one_error(text, "max_size_mb", "5000", "1 到 1024")
    item = ServiceItem(promised_limit_days=400)
    with pytest.raises(ValidationError) as raised:
        item.clean_fields()
    assert "promised_limit_days" in raised.value.message_dict


def test_wrong_type_for_a_flag_and_a_list():
    text = catalog(
        items=ITEMS.replace("pledge_allowed: true", "pledge_allowed: 可以"),
        materials=MATERIALS.replace("formats: [pdf, dwg]", "formats: pdf"),
    )
    errors = errors_of(text)
    assert any("事项 permit" in e and "pledge_allowed" in e for e in errors), errors
    assert any("材料 drawings" in e and "formats" in e for e in errors), errors


def test_unknown_key_names_key_and_lists_the_good_ones():
    text = catalog(
        items=ITEMS.replace(
            "    department: civil_defense", "    department: civil_defense\n    deparment: x"
        )
    )
    message = one_error(text, "事项 defense", "deparment", "未知的键")
    assert "department" in message


def test_unknown_department_of_item_and_bundle():
    text = catalog(
        items=ITEMS.replace("department: civil_defense", "department: air_raid"),
        bundles=BUNDLES.replace("lead_department: housing", "lead_department: nowhere"),
    )
    errors = errors_of(text)
    assert len(errors) == 2, errors
    assert "事项 defense" in errors[0] and "air_raid" in errors[0]
    assert "一件事 start" in errors[1] and "nowhere" in errors[1]


@pytest.mark.parametrize(
    ("section", "duplicate", "expected"),
    [
        ("materials", "  - {code: licence, name: 又一个执照}\n", "材料编码 “licence” 重复"),
        (
            "items",
            "  - {code: plan, name: 又一个, department: planning, stage: completion, promised_limit_days: 1}\n",
            "事项编码 “plan” 重复",
        ),
        (
            "bundles",
            "  - {code: start, name: 又一个, lead_department: housing, promised_limit_days: 1, items: [plan]}\n",
            "一件事编码 “start” 重复",
        ),
    ],
)
def test_duplicate_codes_at_top_level(section, duplicate, expected):
    sections = {"materials": MATERIALS, "items": ITEMS, "bundles": BUNDLES}
    sections[section] = sections[section].rstrip("\n") + "\n" + duplicate
    message = one_error(catalog(**sections), expected)
    assert "第一次出现在第" in message


def test_duplicate_question_and_form_field_codes_within_a_bundle():
    bundles = BUNDLES.replace(
        "      - {code: civil, text: 是否新建民用建筑, kind: yes_no}\n",
        "      - {code: civil, text: 是否新建民用建筑, kind: yes_no}\n      - {code: civil, text: 又问一次}\n",
    ).replace(
        "      - {code: name, label: 项目名称, prefill: project.name, items: [plan, permit]}\n",
        "      - {code: name, label: 项目名称, prefill: project.name, items: [plan, permit]}\n"
        "      - {code: name, label: 名称, items: [plan]}\n",
    )
    errors = errors_of(catalog(bundles=bundles))
    assert len(errors) == 2, errors
    assert "情形问题 civil" in errors[0] and "情形问题编码 “civil” 重复" in errors[0]
    assert "表单字段 name" in errors[1] and "表单字段编码 “name” 重复" in errors[1]


def test_item_referring_to_an_unknown_material():
    text = catalog(
        items=ITEMS.replace("materials: [licence, plan-permit]", "materials: [licence, land-title]")
    )
    one_error(text, "事项 permit", "第 2 项", "land-title", "未定义的材料")


def test_bundle_referring_to_an_unknown_item():
    text = catalog(
        bundles=BUNDLES.replace("items: [plan, review, permit,", "items: [plan, review, permit, fly,")
    )
    one_error(text, "一件事 start", "fly", "未定义的事项")


def test_rule_naming_an_unknown_question():
    text = catalog(bundles=BUNDLES.replace("when: {civil: [yes]}", "when: {civil: [yes], basement: [yes]}"))
    one_error(text, "一件事 start 的第 1 条情形规则", "basement", "未定义的情形问题")


def test_rule_naming_an_answer_the_question_does_not_offer():
    text = catalog(
        bundles=BUNDLES.replace("when: {civil: [yes]}", "when: {civil: [maybe], eia: [report, form]}")
    )
    errors = errors_of(text)
    assert len(errors) == 2, errors
    assert "civil" in errors[0] and "maybe" in errors[0] and "yes、no" in errors[0]
    assert "eia" in errors[1] and "form" in errors[1] and "report、table" in errors[1]


def test_rule_selecting_an_item_outside_the_bundle_or_a_mandatory_one():
    text = catalog(bundles=BUNDLES.replace("select: [defense]", "select: [defense, permit, elsewhere]"))
    errors = errors_of(text)
    assert len(errors) == 2, errors
    assert "permit" in errors[0] and "必办事项" in errors[0]
    assert "elsewhere" in errors[1] and "不在本一件事的事项清单中" in errors[1]


def test_situational_item_that_no_rule_selects():
    text = catalog(
        bundles=BUNDLES.replace(
            "      - when: {civil: [yes]}\n        select: [defense]\n", "      []\n"
        ).replace("    rules:\n      []\n", "")
    )
    one_error(text, "一件事 start", "defense", "没有被任何情形规则选中")


def test_dependency_naming_items_outside_the_bundle():
    text = catalog(
        bundles=BUNDLES.replace("permit: [plan, review]", "permit: [plan, survey]\n      ghost: [plan]")
    )
    errors = errors_of(text)
    assert len(errors) == 2, errors
    assert "前置关系" in errors[0] and "survey" in errors[0]
    assert "ghost" in errors[1]


def test_dependency_cycle_is_named():
    text = catalog(
        bundles=BUNDLES.replace(
            "permit: [plan, review]", "plan: [review]\n      review: [permit]\n      permit: [plan]"
        )
    )
    message = one_error(text, "一件事 start", "循环")
    assert "plan → review → permit → plan" in message


def test_self_dependency():
    one_error(
        catalog(bundles=BUNDLES.replace("permit: [plan, review]", "permit: [permit]")), "permit", "自身"
    )


def test_certificate_material_whose_certificate_no_item_issues():
    text = catalog(
        materials=MATERIALS.replace("certificate_code: plan-permit", "certificate_code: land-permit")
    )
    one_error(text, "材料 plan-permit", "land-permit", "没有任何事项出具")


def test_certificate_source_needs_a_certificate_code_and_upload_takes_none():
    materials = MATERIALS.replace(", certificate_code: plan-permit", "").replace(
        "formats: [pdf, dwg]", "formats: [pdf, dwg], certificate_code: plan-permit"
    )
    errors = errors_of(catalog(materials=materials))
    assert any("材料 plan-permit" in e and "certificate_code" in e for e in errors), errors
    assert any("材料 drawings" in e and "certificate_code" in e for e in errors), errors


@pytest.mark.parametrize(
    ("source", "field", "model"),
    [("enterprise", "tax_number", "企业信息"), ("project", "budget", "项目信息")],
)
def test_data_source_field_must_be_a_real_field(source, field, model):
    materials = MATERIALS.replace(
        "source: enterprise, source_field: credit_code", f"source: {source}, source_field: {field}"
    )
    message = one_error(catalog(materials=materials), "材料 licence", field, model)
    assert ("credit_code" if source == "enterprise" else "total_investment") in message


def test_data_source_needs_a_field():
    materials = MATERIALS.replace(", source_field: credit_code", "")
    one_error(catalog(materials=materials), "材料 licence", "source_field")


@pytest.mark.parametrize(
    ("prefill", "fragment"),
    [
        ("enterprise.nickname", "nickname"),
        ("project.budget", "budget"),
        ("person.name", "应写作"),
        ("name", "应写作"),
    ],
)
def test_form_field_prefill_must_name_a_real_field(prefill, fragment):
    bundles = BUNDLES.replace("prefill: project.name", f"prefill: {prefill}")
    one_error(catalog(bundles=bundles), "一件事 start 的表单字段 name", prefill, fragment)


def test_form_field_items_must_be_in_the_bundle():
    bundles = BUNDLES.replace("items: [plan, permit]}", "items: [plan, stranger]}")
    one_error(catalog(bundles=bundles), "表单字段 name", "stranger")


def test_promised_limit_over_legal_limit():
    text = catalog(
        items=ITEMS.replace(
            "legal_limit_days: 7\n    promised_limit_days: 5",
            "legal_limit_days: 7\n    promised_limit_days: 9",
        )
    )
    one_error(text, "事项 permit", "承诺时限 9", "法定时限 7")


@pytest.mark.parametrize(
    ("old", "new", "where", "key"),
    [
        (
            "stage: construction_permit\n    legal_limit_days: 7",
            "stage: building\n    legal_limit_days: 7",
            "事项 permit",
            "stage",
        ),
        ("line: technical_review", "line: side", "事项 review", "line"),
        ("kind: technical_review", "kind: miracle", "事项 review", "kind"),
    ],
)
def test_invalid_choices_of_items(old, new, where, key):
    value = new.split(": ")[1].split("\n")[0]
    message = one_error(catalog(items=ITEMS.replace(old, new)), where, key, value)
    assert "以下之一" in message


def test_invalid_source_and_question_kind():
    text = catalog(
        materials=MATERIALS.replace("source: enterprise, source_field: credit_code", "source: fax"),
        bundles=BUNDLES.replace("kind: yes_no}", "kind: essay}"),
    )
    errors = errors_of(text)
    assert any("材料 licence" in e and "source" in e and "fax" in e for e in errors), errors
    assert any("情形问题 civil" in e and "essay" in e for e in errors), errors


def test_question_options_must_fit_the_kind():
    bundles = BUNDLES.replace(
        "{code: civil, text: 是否新建民用建筑, kind: yes_no}",
        "{code: civil, text: 是否新建民用建筑, kind: yes_no, options: [{value: a, label: 甲}]}",
    ).replace(
        "options: [{value: report, label: 报告书}, {value: table, label: 报告表}]",
        "options: [{value: report, label: 报告书}]",
    )
    errors = errors_of(catalog(bundles=bundles))
    assert any("情形问题 civil" in e and "yes_no" in e for e in errors), errors
    assert any("情形问题 eia" in e and "两个选项" in e for e in errors), errors


def test_every_error_is_reported_at_once():
    text = catalog(
        materials=MATERIALS.replace("source_field: credit_code", "source_field: nothing"),
        items=ITEMS.replace("department: civil_defense", "department: air_raid").replace(
            "materials: [licence, plan-permit]", "materials: [licence, ghost]"
        ),
        bundles=BUNDLES.replace("permit: [plan, review]", "permit: [plan]\n      plan: [permit]"),
    )
    errors = errors_of(text)
    assert len(errors) == 4, errors
    joined = "\n".join(errors)
    for culprit in ("nothing", "air_raid", "ghost", "plan → permit → plan"):
        assert culprit in joined


# -- import, atomicity, round trip -------------------------------------------------------------------------


def test_import_creates_a_draft_with_every_row():
    version = import_catalog(catalog())
    assert version.number == 1 and version.status == CatalogVersion.Status.DRAFT
    assert version.valid_from == datetime.date(2026, 1, 1)
    plan = version.items.get(code="plan")
    assert plan.department.code == "planning" and plan.certificate_code == "plan-permit"
    assert [step.name for step in plan.steps.all()] == ["受理", "决定"]
    bundle = version.bundles.get()
    assert list(bundle.bundle_items.values_list("item__code", "mandatory")) == [
        ("plan", True),
        ("review", True),
        ("permit", True),
        ("defense", False),
    ]
    rule = bundle.rules.get()
    assert rule.conditions == {"civil": ["yes"]} and [item.code for item in rule.items.all()] == ["defense"]
    assert bundle.questions.get(code="civil").allowed_values() == ["yes", "no"]
    assert bundle.questions.get(code="eia").allowed_values() == ["report", "table"]
    assert sorted(bundle.dependencies.values_list("depends_on__code", flat=True)) == ["plan", "review"]
    field = bundle.form_fields.get()
    assert field.prefill == "project.name" and {item.code for item in field.items.all()} == {"plan", "permit"}
    assert import_catalog(catalog()).number == 2


def test_failing_validation_writes_nothing():
    import_catalog(catalog())
    before = table_counts()
    with pytest.raises(CatalogImportError):
        import_catalog(catalog(items=ITEMS.replace("department: housing", "department: nowhere")))
    assert table_counts() == before


def test_failure_half_way_through_writing_leaves_nothing(monkeypatch):
    """A failure after materials and items were written (here: while writing the bundle) rolls all back."""
    import_catalog(catalog())
    before = table_counts()

    def explode(*args, **kwargs):
        assert ServiceItem.objects.count() > before["ServiceItem"]  # the items were written already
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_create_bundle", explode)
    with pytest.raises(RuntimeError):
        import_catalog(catalog())
    assert table_counts() == before


def test_failed_publish_during_import_leaves_nothing():
    before = table_counts()
    clerk = UserFactory(roles=["window_clerk"])
    with pytest.raises(PermissionDenied):
        import_catalog(catalog(), user=clerk, publish=True)
    assert table_counts() == before


def test_export_import_export_is_identical_on_the_demo_catalog():
    first = import_catalog(DEMO_CATALOG.read_bytes())
    exported = export_catalog(first)
    second = import_catalog(exported)
    assert export_catalog(second) == exported
    # The stored version holds what the file says, in the file's order.
    assert version_to_data(second) == parse_catalog(exported) == parse_catalog(DEMO_CATALOG.read_bytes())


def test_round_trip_keeps_english_texts_options_and_flags():
    version = import_catalog(catalog())
    text = export_catalog(version)
    assert "name_en: Planning permit" in text
    assert "- {material: drawings, gap_tolerated: true}" in text
    assert "when: {civil: ['yes']}" in text
    demo = export_catalog(import_catalog(DEMO_CATALOG.read_bytes()))
    for english in ("description_en: ", "help_text_en: ", "name_en: Construction permit}"):
        assert english in demo, english
    assert export_catalog(import_catalog(text)) == text


def test_demo_catalog_has_both_bundles_about_25_items_and_every_kind_of_department():
    version = import_catalog(DEMO_CATALOG.read_bytes(), publish=True)
    assert version.is_published
    codes = set(version.bundles.values_list("code", flat=True))
    assert {"start-construction", "joint-acceptance", "land-handover-certificates"} <= codes
    assert 22 <= version.items.count() <= 60  # the construction catalog and the other reforms' items
    for department in ("window", "civil_defense", "police"):
        assert version.items.filter(department__code=department).exists(), department
    stages = set(version.items.values_list("stage", flat=True))
    assert stages == {"land_planning", "engineering_permit", "construction_permit", "completion", "parallel"}
    for bundle in version.bundles.all():
        if bundle.code in ("start-construction", "joint-acceptance"):
            assert bundle.lead_department.code == "housing"
        assert bundle.bundle_items.filter(mandatory=True).exists()
        assert bundle.bundle_items.filter(mandatory=False).exists()
        assert bundle.form_fields.exclude(prefill="").exists()
    # Joint acceptance reuses the planning permit issued by the engineering-planning-permit item.
    planning_permit = version.materials.get(code="engineering-planning-permit")
    assert planning_permit.source == MaterialSpec.Source.CERTIFICATE
    issuer = version.items.get(certificate_code=planning_permit.certificate_code)
    assert version.bundles.get(code="start-construction").items.filter(pk=issuer.pk).exists()
    assert ItemMaterial.objects.filter(
        item__bundles__code="joint-acceptance", item__version=version, material=planning_permit
    ).exists()
    # Every item, material and bundle has an English name; every question and field an English text.
    assert not version.items.filter(name_en="").exists()
    assert not version.materials.filter(name_en="").exists()
    assert not version.bundles.filter(name_en="").exists()
    assert not SituationQuestion.objects.filter(bundle__version=version, text_en="").exists()
    assert not FormField.objects.filter(bundle__version=version, label_en="").exists()
    # Every text shown to applicants that the demo has in Chinese has its English too.
    assert not version.materials.exclude(description="").filter(description_en="").exists()
    assert not version.bundles.exclude(description="").filter(description_en="").exists()
    assert not version.items.exclude(certificate_name="").filter(certificate_name_en="").exists()
    questions = SituationQuestion.objects.filter(bundle__version=version)
    assert not questions.exclude(help_text="").filter(help_text_en="").exists()


def test_demo_bundle_questions_from_the_brief():
    version = import_catalog(DEMO_CATALOG.read_bytes())
    start = version.bundles.get(code="start-construction")
    texts = " ".join(start.questions.values_list("text", flat=True))
    for fragment in ("新建民用建筑", "占用或挖掘城市道路", "特殊建设工程", "环评类别"):
        assert fragment in texts
    permit = start.dependencies.filter(item__code="construction-permit")
    assert {"construction-drawing-review", "engineering-planning-permit"} <= set(
        permit.values_list("depends_on__code", flat=True)
    )


# -- published versions are immutable -----------------------------------------------------------------------


@pytest.fixture
def published():
    return import_catalog(catalog(), publish=True)


def test_rows_of_a_published_version_refuse_save_and_delete(published):
    item = published.items.get(code="plan")
    item.name = "改名"
    with pytest.raises(PublishedVersionError, match="已发布"):
        item.save()
    for row in (
        item,
        item.steps.first(),
        item.item_materials.first(),
        published.materials.first(),
        published.bundles.get(),
    ):
        with pytest.raises(PublishedVersionError):
            row.delete()
    # Many-to-many changes and queryset deletes are refused by signal guards, which run inside Django's own
    # savepoint-less atomic blocks: like an IntegrityError, the refusal spoils the enclosing transaction.
    bundle = published.bundles.get()
    with pytest.raises(PublishedVersionError), transaction.atomic():
        bundle.rules.get().items.clear()
    with pytest.raises(PublishedVersionError), transaction.atomic():
        bundle.form_fields.get().items.add(item)
    with pytest.raises(PublishedVersionError), transaction.atomic():
        ServiceItem.objects.filter(version=published).delete()
    with pytest.raises(PublishedVersionError):
        published.delete()
    assert published.items.count() == 4 and ServiceItem.objects.get(pk=item.pk).name == "规划许可"


def test_rows_of_a_draft_can_change_and_a_draft_can_be_deleted():
    draft = import_catalog(catalog())
    item = draft.items.get(code="plan")
    item.name = "改名"
    item.save()
    draft.bundles.get().rules.get().items.clear()
    draft.delete()
    assert table_counts()["ServiceItem"] == 0


# -- publishing ----------------------------------------------------------------------------------------------


def test_publish_needs_the_permission():
    draft = import_catalog(catalog())
    with pytest.raises(PermissionDenied):
        publish_version(draft, user=UserFactory(roles=["window_clerk"]))
    draft.refresh_from_db()
    assert draft.status == CatalogVersion.Status.DRAFT
    admin = UserFactory(roles=["administrator"])
    publish_version(draft, user=admin, valid_from=datetime.date(2026, 3, 1))
    draft.refresh_from_db()
    assert (
        draft.is_published and draft.published_by == admin and draft.valid_from == datetime.date(2026, 3, 1)
    )


def test_publishing_twice_is_refused(published):
    with pytest.raises(VersionStateError, match="已经发布"):
        publish_version(published, user=None)


def test_publish_defaults_valid_from_to_the_draft_date_else_today(time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 6, 9, 0, tzinfo=SHANGHAI), tick=False)
    with_date = import_catalog(catalog())
    publish_version(with_date, user=None)
    assert with_date.valid_from == datetime.date(2026, 1, 1)
    without = import_catalog(catalog(version="version: {label: 无日期}"))
    publish_version(without, user=None)
    assert without.valid_from == datetime.date(2026, 5, 6)


def test_a_draft_broken_in_the_admin_is_not_published():
    draft = import_catalog(catalog())
    bundle = draft.bundles.get()
    bundle.bundle_items.get(item__code="defense").delete()  # the rule now selects an item outside the bundle
    with pytest.raises(CatalogImportError) as raised:
        publish_version(draft, user=None)
    assert any("defense" in message for message in raised.value.errors)
    draft.refresh_from_db()
    assert draft.status == CatalogVersion.Status.DRAFT


def test_effective_on_picks_the_version_in_force():
    first = import_catalog(catalog(), publish=True, valid_from=datetime.date(2026, 1, 1))
    second = import_catalog(catalog(), publish=True, valid_from=datetime.date(2026, 7, 1))
    import_catalog(catalog(), valid_from=datetime.date(2026, 3, 1))  # a draft never counts
    effective_on = CatalogVersion.objects.effective_on
    assert effective_on(datetime.date(2025, 12, 31)) is None
    assert effective_on(datetime.date(2026, 1, 1)) == first
    assert effective_on(datetime.date(2026, 6, 30)) == first
    assert effective_on(datetime.date(2026, 7, 1)) == second
    assert current_version(datetime.date(2026, 3, 1)) == first
    CatalogVersion.objects.filter(pk=second.pk).update(valid_to=datetime.date(2026, 8, 1))
    assert effective_on(datetime.date(2026, 8, 1)) == first


def test_current_version_defaults_to_today(time_machine):
    version = import_catalog(catalog(), publish=True, valid_from=datetime.date(2026, 2, 1))
    time_machine.move_to(datetime.datetime(2026, 1, 31, 23, 30, tzinfo=SHANGHAI), tick=False)
    assert current_version() is None
    time_machine.move_to(datetime.datetime(2026, 2, 1, 0, 30, tzinfo=SHANGHAI), tick=False)
    assert current_version() == version


# -- copying ---------------------------------------------------------------------------------------------------


def test_copy_version_to_draft_makes_an_editable_copy(published):
    admin = UserFactory(roles=["administrator"])
    copy = copy_version_to_draft(published, user=admin)
    assert copy.number == published.number + 1 and copy.status == CatalogVersion.Status.DRAFT
    assert copy.valid_from is None and copy.created_by == admin and "测试目录" in copy.label
    original, copied = version_to_data(published), version_to_data(copy)
    original["version"] = copied["version"] = None
    assert copied == original
    item = copy.items.get(code="plan")
    item.promised_limit_days = 1
    item.save()
    assert published.items.get(code="plan").promised_limit_days == 2
    publish_version(copy, user=admin)


def test_copy_needs_the_permission(published):
    with pytest.raises(PermissionDenied):
        copy_version_to_draft(published, user=UserFactory(roles=["window_clerk"]))


# -- audit ------------------------------------------------------------------------------------------------------


def test_import_publish_and_copy_are_audited():
    admin = UserFactory(roles=["administrator"])
    version = import_catalog(catalog(), user=admin, publish=True)
    copy = copy_version_to_draft(version, user=admin)
    events = AuditEvent.objects.filter(actor=admin).order_by("id")
    assert list(events.values_list("action", "target_id")) == [
        ("catalog.import_version", str(version.pk)),
        ("catalog.publish_version", str(version.pk)),
        ("catalog.copy_version", str(copy.pk)),
    ]
    imported = events[0]
    assert imported.after == {"number": 1, "materials": 3, "items": 4, "bundles": 1}
    published_event = events[1]
    assert published_event.before["status"] == "draft" and published_event.after["status"] == "published"
    assert events[2].before == {"source": version.number}


def test_failed_import_leaves_no_audit_event():
    with pytest.raises(CatalogImportError):
        import_catalog(catalog(items=ITEMS.replace("department: housing", "department: nowhere")))
    assert not AuditEvent.objects.filter(action__startswith="catalog.").exists()


# -- the management command ----------------------------------------------------------------------------------


def run_command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("catalog", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_imports_publishes_and_exports(tmp_path):
    out, _err = run_command("import", str(DEMO_CATALOG))
    version = CatalogVersion.objects.get()
    assert "v1" in out and f"事项 {version.items.count()} 项" in out
    assert f"一件事 {version.bundles.count()} 个" in out
    assert version.status == CatalogVersion.Status.DRAFT

    out, _err = run_command("publish", "1", "--valid-from", "2026-02-01")
    version.refresh_from_db()
    assert version.is_published and version.valid_from == datetime.date(2026, 2, 1) and "v1" in out

    target = tmp_path / "exported.yaml"
    run_command("export", "-o", str(target))
    exported = target.read_text(encoding="utf-8")
    assert exported == export_catalog(version)
    stdout, _err = run_command("export", "--version", "1")
    assert stdout == exported

    out, _err = run_command("import", str(target), "--publish", "--valid-from", "2026-09-01")
    second = CatalogVersion.objects.get(number=2)
    assert second.is_published and second.valid_from == datetime.date(2026, 9, 1)
    assert export_catalog(second) == exported.replace("valid_from: 2026-02-01", "valid_from: 2026-09-01")


def test_command_export_defaults_to_the_version_in_force_else_the_latest(time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 1, 10, 0, tzinfo=SHANGHAI), tick=False)
    import_catalog(catalog(), publish=True, valid_from=datetime.date(2026, 1, 1))
    import_catalog(catalog(version="version: {label: 新草稿}"))
    stdout, _err = run_command("export")
    assert "label: 测试目录" in stdout
    CatalogVersion.objects.filter(number=1).update(valid_to=datetime.date(2026, 2, 1))
    stdout, _err = run_command("export")
    assert "label: 新草稿" in stdout


def test_command_refuses_a_bad_file_listing_every_error_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        catalog(
            items=ITEMS.replace("department: civil_defense", "department: air_raid").replace(
                "plan-permit]", "ghost]"
            )
        ),
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as raised:
        run_command("import", str(bad), "--publish")
    message = str(raised.value)
    assert "2 处错误" in message and "air_raid" in message and "ghost" in message
    assert table_counts() == dict.fromkeys(table_counts(), 0)


def test_command_errors_for_missing_things(tmp_path):
    with pytest.raises(CommandError, match="无法读取"):
        run_command("import", str(tmp_path / "missing.yaml"))
    with pytest.raises(CommandError, match="v9"):
        run_command("publish", "9")
    with pytest.raises(CommandError, match="还没有"):
        run_command("export")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        run_command("import", str(DEMO_CATALOG), "--valid-from", "1 March")
    import_catalog(catalog(), publish=True)
    with pytest.raises(CommandError, match="已经发布"):
        run_command("publish", "1")


# -- the admin --------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_browser(client):
    user = UserFactory(username="catalog-admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_admin_lists_and_pages_render(admin_browser, published):
    draft = import_catalog(catalog())
    item, bundle = draft.items.get(code="plan"), draft.bundles.get()
    for url in (
        "/admin/catalog/catalogversion/",
        f"/admin/catalog/serviceitem/?version__id__exact={draft.pk}",
        "/admin/catalog/serviceitem/?q=plan",
        "/admin/catalog/bundle/",
        "/admin/catalog/materialspec/",
        f"/admin/catalog/serviceitem/{item.pk}/change/",
        f"/admin/catalog/bundle/{bundle.pk}/change/",
        f"/admin/catalog/catalogversion/{draft.pk}/change/",
        f"/admin/catalog/catalogversion/{published.pk}/change/",
        f"/admin/catalog/serviceitem/{published.items.get(code='plan').pk}/change/",
        f"/admin/catalog/bundle/{published.bundles.get().pk}/change/",
    ):
        assert admin_browser.get(url).status_code == 200, url


def test_admin_shows_published_rows_read_only(admin_browser, published):
    item = published.items.get(code="plan")
    page = admin_browser.get(f"/admin/catalog/serviceitem/{item.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    draft_item = import_catalog(catalog()).items.get(code="plan")
    page = admin_browser.get(f"/admin/catalog/serviceitem/{draft_item.pk}/change/").content.decode()
    assert 'name="_save"' in page
    response = admin_browser.post(f"/admin/catalog/serviceitem/{item.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert ServiceItem.objects.filter(pk=item.pk).exists()


def test_admin_publish_action_reports_every_error(admin_browser):
    good = import_catalog(catalog())
    broken = import_catalog(catalog())
    broken.bundles.get().bundle_items.get(item__code="defense").delete()
    response = admin_browser.post(
        "/admin/catalog/catalogversion/",
        {"action": "publish_selected", "_selected_action": [good.pk, broken.pk]},
        follow=True,
    )
    page = response.content.decode()
    good.refresh_from_db()
    broken.refresh_from_db()
    assert good.is_published and not broken.is_published
    assert "v1 已发布" in page and "v2 未发布" in page and "defense" in page


def test_admin_copy_action_and_audited_edit(admin_browser, published):
    response = admin_browser.post(
        "/admin/catalog/catalogversion/",
        {"action": "copy_selected", "_selected_action": [published.pk]},
        follow=True,
    )
    assert "复制为草稿 v2" in response.content.decode()
    copy = CatalogVersion.objects.get(number=2)
    response = admin_browser.post(
        f"/admin/catalog/catalogversion/{copy.pk}/change/",
        {"label": "2026 修订", "valid_from": "", "valid_to": "", "note": "改了"},
    )
    assert response.status_code == 302
    copy.refresh_from_db()
    assert copy.label == "2026 修订"
    assert AuditEvent.objects.filter(action="catalog.change_row", target_id=str(copy.pk)).exists()


def test_admin_export_action_downloads_yaml(admin_browser, published):
    response = admin_browser.post(
        "/admin/catalog/catalogversion/", {"action": "export_selected", "_selected_action": [published.pk]}
    )
    assert response["Content-Disposition"] == 'attachment; filename="catalog-v1.yaml"'
    assert response.content.decode() == export_catalog(published)


def test_the_whole_import_is_one_transaction():
    """import_catalog inside an outer transaction that fails later leaves nothing either (no hidden commit)."""
    with pytest.raises(RuntimeError), transaction.atomic():
        import_catalog(catalog())
        raise RuntimeError
    assert table_counts() == dict.fromkeys(table_counts(), 0)


def test_the_documented_example_is_a_valid_catalog():
    from sciencecity.catalog import yaml_io

    example = dedent(yaml_io.__doc__.split("::\n", 1)[1].split("\n\n`yes`")[0])
    data = parse_catalog(example)
    assert [item["code"] for item in data["items"]] == ["construction-permit", "civil-defense-basement"]
    assert data["bundles"][0]["dependencies"] == {"construction-permit": ["civil-defense-basement"]}


def test_administrator_role_edits_drafts_in_the_admin_and_publishes(client):
    """Not only superusers: the administrator role's permissions are enough (inlines follow their parent)."""
    client.force_login(UserFactory(roles=["administrator"], is_staff=True))
    draft = import_catalog(catalog())
    item = draft.items.get(code="plan")
    page = client.get(f"/admin/catalog/serviceitem/{item.pk}/change/").content.decode()
    assert 'name="_save"' in page and 'name="steps-0-name"' in page
    client.post(
        "/admin/catalog/catalogversion/", {"action": "publish_selected", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.is_published
    page = client.get(f"/admin/catalog/serviceitem/{item.pk}/change/").content.decode()
    assert 'name="_save"' not in page and 'name="steps-0-name"' not in page


def test_admin_edit_of_a_draft_item_with_inlines_is_saved_and_audited(admin_browser):
    draft = import_catalog(catalog())
    item = draft.items.get(code="plan")
    first_step, second_step = item.steps.all()
    uses = list(item.item_materials.all())
    data = {
        "version": draft.pk,
        "code": "plan",
        "name": "建设工程规划许可证核发",
        "name_en": "Planning permit",
        "department": item.department_id,
        "stage": "engineering_permit",
        "line": "main",
        "kind": "license",
        "legal_limit_days": "20",
        "promised_limit_days": "2",
        "certificate_code": "plan-permit",
        "certificate_name": "建设工程规划许可证",
        "description": "",
        "steps-TOTAL_FORMS": "3",
        "steps-INITIAL_FORMS": "2",
        "steps-0-id": first_step.pk,
        "steps-0-item": item.pk,
        "steps-0-position": "1",
        "steps-0-name": "受理",
        "steps-0-limit_days": "1",
        "steps-1-id": second_step.pk,
        "steps-1-item": item.pk,
        "steps-1-position": "2",
        "steps-1-name": "决定",
        "steps-1-limit_days": "1",
        "steps-1-DELETE": "on",
        "steps-2-item": item.pk,
        "steps-2-position": "3",
        "steps-2-name": "审查并决定",
        "steps-2-limit_days": "1",
        "item_materials-TOTAL_FORMS": str(len(uses)),
        "item_materials-INITIAL_FORMS": str(len(uses)),
        "replaced_links-TOTAL_FORMS": "0",  # the items a merged review replaces (三评合一): none here
        "replaced_links-INITIAL_FORMS": "0",
    }
    for index, use in enumerate(uses):
        data |= {
            f"item_materials-{index}-id": use.pk,
            f"item_materials-{index}-item": item.pk,
            f"item_materials-{index}-material": use.material_id,
            f"item_materials-{index}-required": "on",
        }
    response = admin_browser.post(f"/admin/catalog/serviceitem/{item.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    item.refresh_from_db()
    assert item.name == "建设工程规划许可证核发"
    assert list(item.steps.values_list("name", flat=True)) == ["受理", "审查并决定"]
    # Only what changed is saved and audited: the item, the deleted step and the new one.
    events = AuditEvent.objects.filter(action__startswith="catalog.").order_by("id")
    assert list(events.values_list("action", "after__model")) == [
        ("catalog.import_version", None),
        ("catalog.change_row", "serviceitem"),
        ("catalog.delete_row", None),
        ("catalog.add_row", "itemstep"),
    ]
    assert events.get(action="catalog.delete_row").before["name"] == "决定"


# --- bounds and rules of the merged form ----------------------------------------------------------------------

FORM_WITH_RULES = """
      - {code: start, label: 开工, kind: date, items: [permit]}
      - {code: finish, label: 竣工, kind: date, items: [permit]}
      - {code: price, label: 价款, kind: decimal, min: 0, max: 1000, items: [permit]}
    form_rules:
      - {field: finish, op: gte, other: start, message: 竣工不能早于开工, message_en: Finish after start}
"""


def test_form_bounds_and_rules_import_and_export_round_trip():
    text = catalog(bundles=BUNDLES.rstrip("\n") + indent_form(FORM_WITH_RULES))
    version = import_catalog(text)
    bundle = version.bundles.get()
    price = bundle.form_fields.get(code="price")
    assert (price.min_value, price.max_value) == (0, 1000)
    rule = bundle.form_rules.get()
    assert (rule.field, rule.operator, rule.other, rule.message_en) == (
        "finish",
        "gte",
        "start",
        "Finish after start",
    )
    exported = export_catalog(version)
    assert "form_rules:" in exported and "min: 0" in exported and "max: 1000" in exported
    assert export_catalog(import_catalog(exported)) == exported


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ("other: start", "other: nowhere", "表单中没有字段 “nowhere”"),
        ("other: start", "other: price", "只能比较两个日期字段或两个数字字段"),
        ("other: start", "other: finish", "两个不同的字段"),
        ("op: gte", "op: about", "about"),
        ("min: 0, max: 1000", "min: 5, max: 1", "min 不能大于 max"),
        (
            "{code: start, label: 开工, kind: date,",
            "{code: start, label: 开工, kind: date, min: 1,",
            "只有数字类字段",
        ),
    ],
)
def test_bad_form_bounds_and_rules_are_named(old, new, fragment):
    text = catalog(bundles=BUNDLES.rstrip("\n") + indent_form(FORM_WITH_RULES.replace(old, new)))
    assert any(fragment in error for error in errors_of(text)), errors_of(text)


def indent_form(extra: str) -> str:
    """`extra` (more form fields, then form_rules) appended to the bundle of BUNDLES, whose form is last."""
    return "\n" + "\n".join("    " + line for line in dedent(extra).strip("\n").splitlines()) + "\n"
