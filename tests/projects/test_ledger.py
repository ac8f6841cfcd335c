"""The project ledger (项目台账) in Excel: the export of a filtered list within the reader's scope, the import
of projects, plans and monthly figures all or nothing with every wrong row named (sheet, row, column), bad
files refused clearly, the background task run once, the progress page, the API and the command."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from sciencecity.audit.models import AuditEvent
from sciencecity.projects import ledger
from sciencecity.projects.ledger import columns
from sciencecity.projects.ledger import importer as ledger_importer
from sciencecity.projects.models import InvestmentPlan, LedgerImport, MonthlyReport, Project
from sciencecity.projects.services import escort, warnings
from tests.factories import ProjectFactory

from .conftest import plan_year
from .test_api import client_of

IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
NEW_CODE = "2026-500106-47-01-777777"


@pytest.fixture(autouse=True)
def _tasks(settings):
    settings.TASKS = DUMMY_TASKS  # uploads are imported only where a test runs the import


def workbook(projects=(), plans=(), reports=(), *, name="台账.xlsx", sheets=columns.SHEETS, headers=None):
    """An .xlsx upload with a sheet per kind of row given (rows as {field: value}), as people fill the template."""
    book = Workbook()
    book.remove(book.active)
    for sheet, rows in zip(columns.SHEETS, (projects, plans, reports), strict=True):
        if sheet not in sheets or (not rows and sheets is columns.SHEETS):
            continue
        worksheet = book.create_sheet(str(sheet.title))
        worksheet.append(headers or sheet.headers)
        for row in rows:
            worksheet.append([row.get(column.field) for column in sheet.columns])
    if not book.sheetnames:
        book.create_sheet("说明")
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=ledger.XLSX)


def new_project(site, **values):
    return {
        "code": NEW_CODE,
        "name": "科学谷二期",
        "enterprise": site.enterprise.credit_code,
        "total_investment": 80000,
        "location": "重庆市沙坪坝区科学谷",
        "phase": "在建",
        "is_key": "是",
        "task_force": "科学谷专班",
    } | values


def plan_row(code, **values):
    return {"code": code, "year": 2026, "category": "续建", "planned": 24000, "goal": "主体封顶"} | values


def report_row(code, **values):
    return {
        "code": code,
        "month": "2026-11",
        "investment": 1200,
        "progress_percent": 40,
        "progress_text": "主体结构施工",
        "workforce": 150,
    } | values


def errors_of(upload, user) -> list[dict]:
    return [error.as_dict() for error in ledger.import_ledger(upload, user).errors]


def rows_of(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    try:
        return [tuple(row) for row in book.active.iter_rows(values_only=True)]
    finally:
        book.close()


# --- export ----------------------------------------------------------------------------------------------------


def test_the_export_has_the_filtered_key_projects_with_their_plan_and_lead(team, client):
    plan_year(team)
    Project.objects.filter(pk=team.project.pk).update(warning_level="red", task_force="科学谷专班")
    ProjectFactory(enterprise=team.other, name="绿灯项目", is_key=True)
    ProjectFactory(enterprise=team.other, name="非重点项目", is_key=False, warning_level="red")
    client.force_login(team.specialist)

    response = client.get(reverse("ledger:export"), {"level": "red"})
    assert response.status_code == 200 and response["Content-Type"] == ledger.XLSX
    assert response.streaming and "attachment" in response["Content-Disposition"]
    header, *rows = rows_of(response)
    assert header[:3] == ("项目代码", "项目名称", "建设单位") and header[-1] == "牵头负责人"
    assert [row[1] for row in rows] == ["科学谷一期"]
    row = dict(zip(header, rows[0], strict=True))
    assert row["年度"] == 2026 and row["年度类别"] == "续建" and row["年度计划投资(万元)"] == 24000
    assert row["预警"] == "红灯" and row["工作专班"] == "科学谷专班"
    assert row["牵头负责人"] == str(team.lead)

    everything = rows_of(client.get(reverse("ledger:export")))
    assert sorted(row[1] for row in everything[1:]) == ["科学谷一期", "绿灯项目"]  # key projects only
    assert [row[1] for row in rows_of(client.get(reverse("ledger:export"), {"q": "绿灯"}))[1:]] == [
        "绿灯项目"
    ]
    assert rows_of(client.get(reverse("ledger:export"), {"mine": "on"}))[1:] == [rows[0]]  # he escorts it

    client.force_login(team.applicant)  # enterprises do not read the zone's list
    assert client.get(reverse("ledger:export")).status_code == 403


def test_text_that_looks_like_a_formula_stays_text(site, client):
    Project.objects.filter(pk=site.project.pk).update(name='=HYPERLINK("http://evil","x")')
    client.force_login(site.admin)
    content = b"".join(client.get(reverse("ledger:export")).streaming_content)
    cell = load_workbook(io.BytesIO(content)).active["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_the_template_is_the_import_s_workbook(site, client):
    client.force_login(site.specialist)
    content = b"".join(client.get(reverse("ledger:template")).streaming_content)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["项目", "年度投资计划", "项目月报"]
    assert [cell.value for cell in book["年度投资计划"][1]] == columns.PLANS.headers


# --- import: the happy path --------------------------------------------------------------------------------


def test_an_import_creates_and_updates_projects_plans_and_monthly_figures_with_their_audit(site):
    upload = workbook(
        projects=[
            new_project(site),
            {"code": site.project.code, "task_force": "科学谷专班", "prior_investment": 500},
        ],
        plans=[plan_row(NEW_CODE, category="新开工", planned=30000), plan_row(site.project.code)],
        reports=[
            report_row(NEW_CODE, month="2026-11", investment=2000, progress_percent=20),
            report_row(NEW_CODE, month=datetime.date(2026, 10, 1), investment=1000, progress_percent=10),
        ],
    )
    ledger_import = ledger.upload_ledger(site.admin, upload)
    ledger.run_ledger_import.call(ledger_import.pk)  # the background task, once the upload commits
    ledger_import.refresh_from_db()

    assert ledger_import.status == LedgerImport.Status.DONE, ledger_import.errors
    assert (ledger_import.total_rows, ledger_import.created, ledger_import.updated) == (6, 5, 1)
    assert ledger_import.processed_rows == 6 and ledger_import.progress_percent == 100
    created = Project.objects.get(code=NEW_CODE)
    assert created.enterprise == site.enterprise and created.phase == "under_construction" and created.is_key
    assert created.investment_to_date == Decimal("3000")
    plan = InvestmentPlan.objects.get(project=created, year=2026)
    assert plan.category == "new" and plan.completed == Decimal("3000")
    assert list(created.reports.order_by("month").values_list("progress_percent", flat=True)) == [10, 20]
    site.project.refresh_from_db()
    assert site.project.task_force == "科学谷专班" and site.project.investment_to_date == Decimal("500")
    assert InvestmentPlan.objects.get(project=site.project, year=2026).planned == Decimal("24000")

    trail = AuditEvent.objects.filter(request_id=f"ledger-import-{ledger_import.pk}")
    actions = list(trail.order_by("pk").values_list("action", "actor"))
    assert ("projects.register_project", site.admin.pk) in actions
    assert ("projects.update_project", site.admin.pk) in actions
    assert [a for a in actions if a[0] == "projects.set_plan"] == [("projects.set_plan", site.admin.pk)] * 2
    assert [a for a in actions if a[0] == "projects.submit_report"] == [("projects.submit_report", None)] * 2
    assert actions[-1] == ("projects.import_ledger", site.admin.pk)
    assert AuditEvent.objects.filter(action="projects.upload_ledger", actor=site.admin).count() == 1


def test_importing_the_same_ledger_again_changes_nothing(site):
    rows = {"plans": [plan_row(site.project.code)], "reports": [report_row(site.project.code)]}
    first = ledger.import_ledger(workbook(**rows), site.admin)
    assert (first.ok, first.created, first.updated) == (True, 2, 0)
    again = ledger.import_ledger(workbook(**rows), site.admin)
    assert (again.ok, again.created, again.updated) == (True, 0, 0)
    changed = ledger.import_ledger(workbook(plans=[plan_row(site.project.code, planned=25000)]), site.admin)
    assert (changed.created, changed.updated) == (0, 1)


def test_headers_and_sheets_in_english_and_choices_by_code_are_read_too(site):
    book = Workbook()
    sheet = book.active
    sheet.title = "Annual investment plan"
    sheet.append(
        ["Project code", "Year", "Category of the year", "Planned investment of the year (10,000 yuan)"]
    )
    sheet.append([site.project.code, 2026, "continuing", 1000])
    buffer = io.BytesIO()
    book.save(buffer)
    outcome = ledger.import_ledger(io.BytesIO(buffer.getvalue()), site.admin)
    assert outcome.ok and InvestmentPlan.objects.get(project=site.project).planned == 1000


def test_a_dry_run_checks_everything_and_writes_nothing(site):
    outcome = ledger.import_ledger(workbook(projects=[new_project(site)]), site.admin, dry_run=True)
    assert (outcome.ok, outcome.created) == (True, 1)
    assert not Project.objects.filter(code=NEW_CODE).exists()


# --- import: one wrong row, and each kind of error -----------------------------------------------------------


def test_one_wrong_row_among_many_imports_nothing_and_names_it(site):
    projects = [ProjectFactory(enterprise=site.enterprise, is_key=True) for _ in range(30)]
    plans = [plan_row(project.code, planned=1000 + n) for n, project in enumerate(projects)]
    plans[15]["planned"] = -5  # the 17th row of the sheet (the header is row 1)
    ledger_import = ledger.upload_ledger(site.admin, workbook(plans=plans))
    ledger.run_import(ledger_import)

    assert ledger_import.status == LedgerImport.Status.FAILED
    assert ledger_import.errors == [
        {"sheet": "年度投资计划", "row": 17, "column": "年度计划投资(万元)", "message": "不能为负数。"}
    ]
    assert (ledger_import.created, ledger_import.updated) == (0, 0)
    assert not InvestmentPlan.objects.exists()
    assert not AuditEvent.objects.filter(action="projects.set_plan").exists()
    stored = LedgerImport.objects.get(pk=ledger_import.pk)
    assert stored.status == "failed" and stored.finished_at is not None and len(stored.errors) == 1


def test_every_error_of_a_file_is_named_in_one_pass(site):
    upload = workbook(
        projects=[
            new_project(site, code="2026-500106-47-01-888888", enterprise="91500000000000000X"),
            new_project(site, code="2026-5001", name=None),
            {"code": site.project.code, "phase": "签约"},  # the phase only moves forward
            {"code": site.project.code, "is_key": "也许"},
        ],
        plans=[
            plan_row("2026-500106-47-01-999999"),
            plan_row(site.project.code, category="明年"),
            plan_row(site.project.code, year=2027, planned=200000),  # above the project's total
            plan_row(site.project.code, year=None),
        ],
        reports=[
            report_row(site.project.code, month="2026-13"),
            report_row(site.project.code, month="2026-10", investment="一千"),
            report_row(site.project.code, month="2026-09", progress_text=None),
            report_row(site.project.code, month="2026-09"),
            report_row(site.project.code, month="2027-01"),  # a month in the future
        ],
    )
    errors = {(e["sheet"], e["row"], e["column"]): e["message"] for e in errors_of(upload, site.admin)}
    assert errors == {
        ("项目", 2, "统一社会信用代码"): "没有统一社会信用代码为 91500000000000000X 的企业。",
        (
            "项目",
            3,
            "项目代码",
        ): "项目代码格式应为 年份-行政区划-行业-类型-流水号,如 2026-500106-47-01-123456。",
        ("项目", 3, "项目名称"): "登记新项目须填写此项。",
        ("项目", 4, "阶段"): "项目阶段只能向前推进,不能从“在建”退回“签约”。",
        ("项目", 5, "项目代码"): "与第 4 行重复。",
        ("项目", 5, "重点项目"): "请填写“是”或“否”。",
        ("年度投资计划", 2, "项目代码"): "没有项目代码为 2026-500106-47-01-999999 的项目。",
        ("年度投资计划", 3, "年度类别"): "“明年”不是有效的选项,可选:新开工、续建、竣工、预备。",
        ("年度投资计划", 4, "年度计划投资(万元)"): "年度计划投资不能超过项目总投资(120000.00 万元)。",
        ("年度投资计划", 5, "年度"): "请填写此项。",
        ("项目月报", 2, "月份"): "“2026-13”不是有效的月份,应为 YYYY-MM 格式,如 2026-05。",
        ("项目月报", 3, "本月完成投资(万元)"): "“一千”不是数字。",
        ("项目月报", 4, "形象进度说明"): "请填写此项。",
        ("项目月报", 5, "月份"): "与第 4 行重复。",
        ("项目月报", 6, "月份"): "不能报送未来月份的月报。",
    }
    assert not MonthlyReport.objects.exists() and not InvestmentPlan.objects.exists()
    site.project.refresh_from_db()
    assert site.project.phase == Project.Phase.UNDER_CONSTRUCTION


def test_a_refusal_of_the_services_is_a_row_error(site):
    """Service specialists may change projects but not register them: a new project's row says so."""
    errors = errors_of(workbook(projects=[new_project(site)]), site.specialist)
    assert errors == [{"sheet": "项目", "row": 2, "column": "", "message": "您没有登记项目的权限。"}]


def test_rows_of_a_project_whose_own_row_is_wrong_add_no_noise(site):
    upload = workbook(projects=[new_project(site, total_investment=-1)], plans=[plan_row(NEW_CODE)])
    assert [(e["sheet"], e["column"]) for e in errors_of(upload, site.admin)] == [("项目", "总投资(万元)")]


# --- bad files ----------------------------------------------------------------------------------------------


def test_files_that_are_no_ledger_are_refused_clearly(site):
    def file_error(upload):
        return [error["message"] for error in errors_of(upload, site.admin)]

    not_a_workbook = SimpleUploadedFile("台账.xlsx", b"PK\x03\x04 this is no zip")
    assert file_error(not_a_workbook) == ["文件不是有效的 Excel 工作簿(.xlsx)。"]
    assert file_error(workbook(sheets=(), headers=[])) == [
        "文件中没有项目台账的工作表:请使用“项目”“年度投资计划”“项目月报”工作表(见导入模板)。"
    ]
    missing = workbook(
        plans=[plan_row(site.project.code)], headers=["项目代码", "年度类别", "年度计划投资(万元)"]
    )
    assert errors_of(missing, site.admin) == [
        {"sheet": "年度投资计划", "row": 1, "column": "年度", "message": "缺少这一列。"}
    ]


def test_an_upload_that_is_not_an_xlsx_is_refused_before_it_is_stored(site):
    with pytest.raises(Exception) as refused:
        ledger.upload_ledger(site.admin, SimpleUploadedFile("台账.xls", b"\xd0\xcf\x11\xe0 old excel"))
    assert refused.value.message_dict == {"file": ["请上传 Excel 工作簿(.xlsx);旧版 .xls 请先另存为 .xlsx。"]}
    assert not LedgerImport.objects.exists()


# --- the background task and the progress ------------------------------------------------------------------


def test_the_task_runs_an_import_once(site, django_capture_on_commit_callbacks, settings):
    settings.TASKS = IMMEDIATE_TASKS
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ledger_import = ledger.upload_ledger(site.admin, workbook(plans=[plan_row(site.project.code)]))
    assert len(callbacks) == 1
    ledger_import.refresh_from_db()
    assert ledger_import.status == "done" and ledger_import.created == 1
    assert ledger.run_ledger_import.call(ledger_import.pk) == {}  # finished: not run again
    assert InvestmentPlan.objects.count() == 1
    assert AuditEvent.objects.filter(action="projects.import_ledger").count() == 1
    assert ledger.run_ledger_import.call(999_999) == {}


def test_a_failed_import_is_not_run_again(site):
    ledger_import = ledger.upload_ledger(site.admin, workbook(plans=[plan_row("2026-500106-47-01-999999")]))
    ledger.run_import(ledger_import)
    assert ledger_import.status == "failed"
    plan_year(site)  # even were the file right now, a failed import stays failed: upload it again
    assert ledger.run_ledger_import.call(ledger_import.pk) == {}


def test_the_progress_is_reported_at_each_step_and_stored(site, monkeypatch):
    monkeypatch.setattr(ledger_importer, "PROGRESS_EVERY", 1)
    seen = []

    class Recording(ledger.Progress):
        def start(self, status, total):
            seen.append((status, total))

        def advance(self):
            seen.append("row")

    plans = [plan_row(site.project.code, year=year) for year in (2025, 2026)]
    ledger_import = ledger.upload_ledger(site.admin, workbook(plans=plans))
    ledger.run_import(ledger_import, Recording())
    assert seen == [("validating", 2), "row", "row", ("importing", 2), "row", "row"]
    assert (ledger_import.status, ledger_import.processed_rows, ledger_import.total_rows) == ("done", 2, 2)


@pytest.mark.django_db(transaction=True)
def test_others_see_the_writing_s_progress_before_it_commits(on_postgres, site, monkeypatch):
    """PostgreSQL: the rows are written in one transaction, the progress beside it, so the page reads it."""
    monkeypatch.setattr(ledger_importer, "PROGRESS_EVERY", 1)
    page = connections.create_connection(DEFAULT_DB_ALIAS)  # as the page's request would read
    seen = []

    class Watching(ledger.Progress):
        def start(self, status, total):
            self.status = status

        def advance(self):
            if self.status == "importing":
                with page.cursor() as cursor:
                    cursor.execute(
                        "SELECT status, processed_rows, (SELECT count(*) FROM projects_investmentplan) "
                        "FROM projects_ledgerimport WHERE id = %s",
                        [ledger_import.pk],
                    )
                    seen.append(cursor.fetchone())

    plans = [plan_row(site.project.code, year=year) for year in (2024, 2025, 2026)]
    ledger_import = ledger.upload_ledger(site.admin, workbook(plans=plans))
    try:
        ledger.run_import(ledger_import, Watching())
    finally:
        page.close()
    # Each row is counted as it is written; none of the plans is there before the import commits.
    assert seen == [("importing", 0, 0), ("importing", 1, 0), ("importing", 2, 0)]
    assert ledger_import.status == "done" and InvestmentPlan.objects.count() == 3


def test_an_unexpected_error_fails_the_import_and_writes_nothing(site, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(warnings, "refresh", broken)
    ledger_import = ledger.upload_ledger(site.admin, workbook(plans=[plan_row(site.project.code)]))
    with pytest.raises(RuntimeError):
        ledger.run_import(ledger_import)
    ledger_import.refresh_from_db()
    assert ledger_import.status == "failed" and "意外错误" in ledger_import.errors[0]["message"]
    assert not InvestmentPlan.objects.exists()


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_upload_page_and_the_import_s_page_with_its_progress(site, client):
    client.force_login(site.admin)
    page = client.get(reverse("ledger:imports"))
    assert page.status_code == 200 and reverse("ledger:template") in page.content.decode()

    response = client.post(reverse("ledger:imports"), {"file": workbook(plans=[plan_row(site.project.code)])})
    ledger_import = LedgerImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "ledger:import", args=[ledger_import.pk]
    )
    running = client.get(response["Location"]).content.decode()
    assert "排队中" in running and 'hx-trigger="every 2s"' in running and "<progress" in running
    region = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in region and 'id="ledger-progress"' in region

    ledger.run_import(ledger_import)
    done = client.get(response["Location"]).content.decode()
    assert "已完成" in done and "新增 1 条" in done and "hx-trigger" not in done
    listed = client.get(reverse("ledger:imports")).content.decode()
    assert "台账.xlsx" in listed

    client.force_login(site.other_specialist)  # someone else's import: not there
    assert client.get(reverse("ledger:import", args=[ledger_import.pk])).status_code == 404


def test_the_page_lists_every_wrong_row(site, client):
    ledger_import = ledger.upload_ledger(
        site.specialist, workbook(plans=[plan_row(site.project.code, planned=-1)])
    )
    ledger.run_import(ledger_import)
    client.force_login(site.specialist)
    text = client.get(reverse("ledger:import", args=[ledger_import.pk])).content.decode()
    assert "没有导入任何数据" in text and "年度计划投资(万元)" in text and "不能为负数。" in text
    client.force_login(site.admin)  # administrators see every import
    assert client.get(reverse("ledger:import", args=[ledger_import.pk])).status_code == 200


def test_a_non_xlsx_upload_is_a_form_error_and_only_importers_may_upload(site, client):
    client.force_login(site.admin)
    response = client.post(
        reverse("ledger:imports"), {"file": SimpleUploadedFile("台账.csv", b"code,name\n")}
    )
    assert response.status_code == 200 and "请上传 Excel 工作簿(.xlsx)" in response.content.decode()
    assert not LedgerImport.objects.exists()
    for someone in (
        site.lead,
        site.applicant,
    ):  # a leader may not change projects; an enterprise is no civil servant
        client.force_login(someone)
        assert client.get(reverse("ledger:imports")).status_code == 403


def test_the_key_projects_list_links_to_the_export_with_its_filters(team, client):
    client.force_login(team.specialist)
    text = client.get(reverse("projects:key_projects"), {"level": "red"}).content.decode()
    imports = f'href="{reverse("ledger:imports")}"'
    assert f"{reverse('ledger:export')}?level=red" in text and imports in text
    client.force_login(team.lead)  # a leader may not change projects
    assert imports not in client.get(reverse("projects:key_projects")).content.decode()


# --- the API --------------------------------------------------------------------------------------------------


def test_the_api_exports_the_list_s_projects_within_the_caller_s_scope(site):
    ProjectFactory(enterprise=site.other, name="另一家企业的项目")
    everything = client_of(site.admin).get("/api/v1/projects/ledger.xlsx")
    assert everything.status_code == 200 and everything["Content-Type"] == ledger.XLSX
    assert sorted(row[1] for row in rows_of(everything)[1:]) == ["另一家企业的项目", "科学谷一期"]
    own = client_of(site.applicant).get("/api/v1/projects/ledger/")
    assert [row[1] for row in rows_of(own)[1:]] == ["科学谷一期"]
    filtered = client_of(site.admin).get("/api/v1/projects/ledger/", {"enterprise": site.other.pk})
    assert [row[1] for row in rows_of(filtered)[1:]] == ["另一家企业的项目"]
    wrong = client_of(site.admin).get("/api/v1/projects/ledger/", {"warning_level": "purple"})
    assert wrong.status_code == 400 and wrong["Content-Type"] == "application/problem+json"


def test_the_api_takes_an_upload_and_shows_its_progress_and_errors(site):
    admin = client_of(site.admin)
    response = admin.post(
        "/api/v1/ledger-imports/",
        {"file": workbook(plans=[plan_row(site.project.code, planned=-1)])},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending" and body["original_name"] == "台账.xlsx" and body["errors"] == []
    ledger.run_import(LedgerImport.objects.get(pk=body["id"]))
    detail = admin.get(f"/api/v1/ledger-imports/{body['id']}/").json()
    assert detail["status"] == "failed" and detail["progress_percent"] == 100
    assert detail["errors"] == [
        {"sheet": "年度投资计划", "row": 2, "column": "年度计划投资(万元)", "message": "不能为负数。"}
    ]
    assert [row["id"] for row in admin.get("/api/v1/ledger-imports/").json()["results"]] == [body["id"]]
    assert client_of(site.specialist).get(f"/api/v1/ledger-imports/{body['id']}/").status_code == 404

    not_a_zip = SimpleUploadedFile("a.xlsx", b"not a zip")
    refused = admin.post("/api/v1/ledger-imports/", {"file": not_a_zip}, format="multipart")
    assert refused.status_code == 415 and refused.json()["errors"][0]["field"] == "file"
    applicant = client_of(site.applicant)
    forbidden = applicant.post(
        "/api/v1/ledger-imports/", {"file": workbook(plans=[plan_row(site.project.code)])}, format="multipart"
    )
    assert forbidden.status_code == 403


# --- the command ---------------------------------------------------------------------------------------------


def _saved(upload, tmp_path):
    path = tmp_path / upload.name
    path.write_bytes(upload.read())
    return path


def test_the_command_imports_with_a_progress_bar(site, tmp_path):
    path = _saved(workbook(plans=[plan_row(site.project.code)]), tmp_path)
    out = io.StringIO()
    call_command("import_ledger", str(path), user=site.admin.username, stdout=out)
    assert "新增 1 条" in out.getvalue() and InvestmentPlan.objects.count() == 1
    assert LedgerImport.objects.get().status == "done"


def test_the_command_prints_the_wrong_rows_and_fails(site, tmp_path):
    path = _saved(
        workbook(plans=[plan_row(site.project.code), plan_row(site.project.code, year="明年")]), tmp_path
    )
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_ledger", str(path), user=site.admin.username, stdout=out)
    assert failed.value.returncode == 1 and "1 处错误" in str(failed.value)
    assert "年度投资计划" in out.getvalue() and "“明年”不是数字。" in out.getvalue()
    assert not InvestmentPlan.objects.exists()


def test_the_command_s_dry_run_and_refusals(site, tmp_path):
    path = _saved(workbook(plans=[plan_row(site.project.code)]), tmp_path)
    out = io.StringIO()
    call_command("import_ledger", str(path), user=site.admin.username, dry_run=True, stdout=out)
    assert (
        "试运行" in out.getvalue()
        and not InvestmentPlan.objects.exists()
        and not LedgerImport.objects.exists()
    )
    with pytest.raises(CommandError, match="只有有权修改项目"):
        call_command("import_ledger", str(path), user=site.lead.username)
    with pytest.raises(CommandError, match="没有用户名"):
        call_command("import_ledger", str(path), user="nobody")


def test_the_export_command_writes_the_ledger(site, tmp_path):
    escort.set_member(site.admin, site.project, site.lead, "lead")
    out = tmp_path / "ledger.xlsx"
    call_command("export_ledger", str(out), key=True, stdout=io.StringIO())
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[1:]] == ["科学谷一期"] and rows[1][-1] == str(site.lead)
