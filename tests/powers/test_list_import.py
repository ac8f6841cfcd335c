"""The power list as data: the services (audited, guarded transitions), and the spreadsheet the zone receives
it as — imported all or nothing with every wrong row named, exported in the same columns — in the admin too."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from sciencecity.audit.labels import action_display
from sciencecity.audit.models import AuditEvent
from sciencecity.catalog.powers import services, sheets
from sciencecity.catalog.powers.models import DevolvedPower, PowerItem
from sciencecity.catalog.services import import_catalog, publish_version
from sciencecity.workflow.transitions import IllegalTransition
from tests.factories import DepartmentFactory, UserFactory, staff

pytestmark = pytest.mark.django_db

CATALOG = """
format: 1
version: {label: 测试, valid_from: 2026-01-01}
materials:
  - {code: licence, name: 营业执照, source: enterprise, source_field: credit_code}
items:
  - {code: planning-permit, name: 建设工程规划许可证核发, department: planning, stage: engineering_permit,
     promised_limit_days: 2, legal_limit_days: 20, materials: [licence]}
  - {code: building-permit, name: 建筑工程施工许可证核发, department: housing, stage: construction_permit,
     promised_limit_days: 5, legal_limit_days: 7, materials: [licence]}
bundles:
  - {code: start, name: 开工一件事, lead_department: housing, promised_limit_days: 10,
     items: [{item: planning-permit, mandatory: true}, {item: building-permit, mandatory: true}]}
"""

HEADERS = ["序号", "权力编码", "权力名称", "权力类型", "法律依据", "条款", "原实施机关", "下放文件文号", "下放日期",
           "实施部门", "实施事项编码", "状态", "收回日期", "状态说明"]  # fmt: skip


def row(code="XK-001", name="建设工程规划许可证核发", **cells):
    values = {
        "序号": 1,
        "权力编码": code,
        "权力名称": name,
        "权力类型": "行政许可",
        "法律依据": "中华人民共和国城乡规划法",
        "条款": "第四十条",
        "原实施机关": "重庆市规划和自然资源局",
        "下放文件文号": "渝府发〔2021〕5号",
        "下放日期": datetime.date(2021, 3, 26),
        "实施部门": "planning",
        "实施事项编码": "planning-permit",
        "状态": "有效",
    }
    values.update(cells)
    return values


def workbook(rows, headers=HEADERS, name="清单.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(header) for header in headers])
    data = io.BytesIO()
    book.save(data)
    return SimpleUploadedFile(name, data.getvalue())


@pytest.fixture
def zone(db):
    planning = DepartmentFactory(code="planning", name="科学城规划和自然资源局", name_en="Planning Bureau")
    housing = DepartmentFactory(code="housing", name="科学城住房和城乡建设局")
    publish_version(import_catalog(CATALOG), user=None)
    return {"planning": planning, "housing": housing, "admin": staff("administrator", is_staff=True)}


def test_an_import_creates_the_list_with_links_status_and_audit(zone):
    rows = [
        row(),
        row("CF-001", "对未取得建设工程规划许可证进行建设的行政处罚", **{"权力类型": "行政处罚", "实施事项编码": None}),
        row("XK-002", "建筑工程施工许可证核发", **{
            "实施部门": "科学城住房和城乡建设局", "实施事项编码": "building-permit、planning-permit", "权力类型": "license",
            "状态": "已收回", "收回日期": "2024-03-01", "状态说明": "收回由市级统一实施"}),
    ]  # fmt: skip
    outcome = services.import_powers(zone["admin"], workbook(rows))
    assert outcome.ok, outcome.errors
    assert outcome.counts() == {
        "rows": 3,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "withdrawn": 1,
        "restored": 0,
    }
    permit = DevolvedPower.objects.get(code="XK-002")
    assert permit.department == zone["housing"] and permit.kind == "license"
    assert permit.item_codes == ["building-permit", "planning-permit"]
    assert (permit.status, permit.withdrawn_on) == ("withdrawn", datetime.date(2024, 3, 1))
    assert DevolvedPower.objects.get(code="CF-001").kind == "penalty"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"catalog.create_power", "catalog.withdraw_power", "catalog.import_powers"} <= actions
    assert action_display("catalog.withdraw_power") == "收回下放权力"  # named on the audit trail


def test_a_wrong_row_saves_nothing_and_every_error_is_named(zone):
    rows = [
        row(),  # right, and still not saved
        row("XK-002", "其他许可", **{"权力类型": "许可证", "下放日期": "2021-13-01"}),
        row("XK-003", "另一个许可", **{"实施部门": "不存在的局", "实施事项编码": "no-such-item"}),
        row("XK-001", "重复编码"),
        row("XK-004", "已收回没有日期", **{"状态": "已收回"}),
        row("bad code!", "编码不对", **{"原实施机关": None}),
    ]
    outcome = services.import_powers(zone["admin"], workbook(rows))
    assert not outcome.ok
    assert DevolvedPower.objects.count() == 0 and PowerItem.objects.count() == 0
    found = {(error.row, error.column) for error in outcome.errors}
    assert {(3, "权力类型"), (3, "下放日期"), (4, "实施部门"), (4, "实施事项编码"), (5, "权力编码")} <= found
    assert {(6, "收回日期"), (6, "状态说明"), (7, "权力编码"), (7, "原实施机关")} <= found
    messages = " ".join(str(error) for error in outcome.errors)
    assert "不存在的局" in messages and "no-such-item" in messages and "第 2 行" in messages


def test_a_file_that_is_no_power_list_is_refused_whole(zone):
    outcome = services.import_powers(zone["admin"], SimpleUploadedFile("清单.xlsx", b"not a workbook"))
    assert not outcome.ok and outcome.errors[0].row is None
    outcome = services.import_powers(zone["admin"], workbook([row()], headers=["编号", "名字"]))
    assert not outcome.ok and "权力编码" in outcome.errors[0].message
    missing = [h for h in HEADERS if h != "下放日期"]
    outcome = services.import_powers(zone["admin"], workbook([row()], headers=missing))
    assert [(e.row, e.column, e.message) for e in outcome.errors] == [(1, "下放日期", "缺少这一列。")]
    assert not DevolvedPower.objects.exists()


def test_a_dry_run_checks_and_writes_nothing(zone):
    outcome = services.import_powers(zone["admin"], workbook([row()]), dry_run=True)
    assert outcome.ok and outcome.created == 1
    assert not DevolvedPower.objects.exists()


def test_the_export_imports_back_unchanged_and_a_changed_cell_is_an_update(zone):
    services.import_powers(zone["admin"], workbook([row(), row("XK-002", "建筑工程施工许可证核发")]))
    exported = sheets.list_response(DevolvedPower.objects.order_by("position", "code"))
    content = b"".join(exported.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]][:3] == ["序号", "权力编码", "权力名称"]
    again = services.import_powers(zone["admin"], SimpleUploadedFile("导出.xlsx", content))
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = services.import_powers(zone["admin"], workbook([row(**{"条款": "第四十条第一款"})]))
    assert (changed.updated, changed.unchanged) == (1, 0)
    assert DevolvedPower.objects.get(code="XK-001").article == "第四十条第一款"


def test_only_those_who_keep_the_list_may_import_or_change_it(zone):
    reviewer = staff("department_reviewer")
    with pytest.raises(PermissionDenied):
        services.import_powers(reviewer, workbook([row()]))
    with pytest.raises(PermissionDenied):
        services.save_power(reviewer, code="X-1", name="x", kind="license", law="法", original_authority="局",
                            decision_number="文", devolved_on=datetime.date(2021, 1, 1), department=zone["planning"])  # fmt: skip


def test_withdrawal_and_restoration_follow_the_transitions(zone):
    services.import_powers(zone["admin"], workbook([row()]))
    power = DevolvedPower.objects.get(code="XK-001")
    with pytest.raises(ValidationError):
        services.withdraw_power(zone["admin"], power, on=datetime.date(2024, 1, 1), reason=" ")
    with pytest.raises(ValidationError):
        services.withdraw_power(zone["admin"], power, on=datetime.date(2020, 1, 1), reason="早于下放")
    power = services.withdraw_power(zone["admin"], power, on=datetime.date(2024, 1, 1), reason="法律修订")
    assert power.status == "withdrawn" and power.withdrawn_on == datetime.date(2024, 1, 1)
    with pytest.raises(IllegalTransition):
        services.withdraw_power(zone["admin"], power, reason="再次收回")
    with pytest.raises(PermissionDenied):
        services.restore_power(UserFactory(), power)
    power = services.restore_power(zone["admin"], power, reason="重新下放")
    assert (power.status, power.withdrawn_on) == ("in_force", None)
    with pytest.raises(IllegalTransition):
        services.restore_power(zone["admin"], power)


def test_unknown_item_codes_are_refused_by_the_service(zone):
    with pytest.raises(ValidationError) as refused:
        services.save_power(None, item_codes=["planning-permit", "nope"], code="X-1", name="x", kind="license",
                            law="法", original_authority="局", decision_number="文",
                            devolved_on=datetime.date(2021, 1, 1), department=zone["planning"])  # fmt: skip
    assert "nope" in str(refused.value) and not DevolvedPower.objects.exists()


# --- the admin -------------------------------------------------------------------------------------------------


def test_the_admin_imports_shows_errors_and_exports(zone, client):
    client.force_login(zone["admin"])
    url = reverse("admin:catalog_devolvedpower_import")
    bad = client.post(url, {"file": workbook([row(), row("XK-002", "x", **{"权力类型": "许可证"})])})
    assert bad.status_code == 400
    assert "许可证" in bad.content.decode() and "import-errors" in bad.content.decode()
    assert not DevolvedPower.objects.exists()
    good = client.post(url, {"file": workbook([row()])})
    assert good.status_code == 302 and DevolvedPower.objects.count() == 1
    export = client.get(reverse("admin:catalog_devolvedpower_export"))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    power = DevolvedPower.objects.get()
    change = client.get(reverse("admin:catalog_devolvedpower_change", args=[power.pk]))
    assert change.status_code == 200 and "planning-permit" in change.content.decode()
    withdraw = reverse("admin:catalog_devolvedpower_withdraw", args=[power.pk])
    refused = client.post(withdraw, {"withdrawn_on": "2024-01-01", "reason": ""})
    assert refused.status_code == 200 and DevolvedPower.objects.get().is_in_force
    done = client.post(withdraw, {"withdrawn_on": "2024-01-01", "reason": "法律修订"})
    assert done.status_code == 302 and not DevolvedPower.objects.get().is_in_force
    client.post(reverse("admin:catalog_devolvedpower_restore", args=[power.pk]))
    assert DevolvedPower.objects.get().is_in_force


def test_the_admin_edits_a_power_through_the_service_and_checks_item_codes(zone, client):
    client.force_login(zone["admin"])
    data = {
        "position": 5, "code": "XK-009", "name": "临时建设工程规划许可证核发", "name_en": "", "kind": "license",
        "department": zone["planning"].pk, "item_codes": "planning-permit, nope", "law": "中华人民共和国城乡规划法",
        "article": "第四十四条", "basis": "", "original_authority": "重庆市规划和自然资源局",
        "decision_number": "渝府发〔2021〕5号", "decision_title": "", "devolved_on": "2021-03-26", "note": "",
    }  # fmt: skip
    add = reverse("admin:catalog_devolvedpower_add")
    refused = client.post(add, data)
    assert refused.status_code == 200 and "nope" in refused.content.decode()
    assert client.post(add, {**data, "item_codes": "planning-permit"}).status_code == 302
    power = DevolvedPower.objects.get(code="XK-009")
    assert power.item_codes == ["planning-permit"]
    assert AuditEvent.objects.filter(action="catalog.create_power", actor=zone["admin"]).exists()
    assert client.get(reverse("admin:catalog_devolvedpower_delete", args=[power.pk])).status_code == 403


def test_the_command_exports_and_imports_the_list(zone, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    services.import_powers(zone["admin"], workbook([row()]))
    target = tmp_path / "清单.xlsx"
    call_command("powers", "export", "-o", str(target), stdout=StringIO())
    out = StringIO()
    call_command("powers", "import", str(target), "--dry-run", stdout=out)
    assert "未变 1 项" in out.getvalue()
    wrong = tmp_path / "错.xlsx"
    wrong.write_bytes(workbook([row(**{"权力类型": "许可证"})]).read())
    with pytest.raises(CommandError, match="许可证"):
        call_command("powers", "import", str(wrong))
