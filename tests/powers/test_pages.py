"""The devolved powers' pages: the public list and a power's page, the figures and the summary for civil
servants, filters, downloads, English, and statement counts that do not grow with the list."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sciencecity.approvals.power_usage import Period
from sciencecity.catalog.powers import services
from tests.factories import staff

from .conftest import EPP, make_power

pytestmark = pytest.mark.django_db


def rows_of(response):
    return [power.code for power in response.context["powers"]]


def test_the_list_and_a_power_are_public_without_figures(powers, client):
    response = client.get("/powers/")
    assert response.status_code == 200
    assert rows_of(response) == ["XK-001", "XK-002", "XK-003", "CF-001"]
    page = response.content.decode()
    assert "建设工程规划许可证核发" in page and "《中华人民共和国城乡规划法》第四十条" in page
    assert response.context["figures"] is False and 'name="use"' not in page and "中位用时" not in page
    detail = client.get(f"/powers/{powers['epp'].pk}/")
    assert detail.status_code == 200
    text = detail.content.decode()
    assert "重庆市规划和自然资源局" in text and "渝府发〔2021〕5号" in text and "2021-03-26" in text
    assert (
        "建设工程规划许可证核发" in text and EPP in text
    )  # the implementing item, from the catalog in force
    assert detail.context["usage"] is None
    assert client.get("/powers/999999/").status_code == 404
    applicant = client.get("/powers/summary/")
    assert applicant.status_code == 302  # to the login


def test_the_list_filters_by_kind_department_status_and_text(powers, client):
    assert rows_of(client.get("/powers/?kind=penalty")) == ["CF-001"]
    assert rows_of(client.get("/powers/?department=housing")) == ["XK-002"]
    assert rows_of(client.get("/powers/?q=环境影响")) == ["XK-003"]
    assert rows_of(client.get("/powers/?q=construction-permit")) == ["XK-002"]  # an item code
    assert rows_of(client.get("/powers/?q=建筑法")) == ["XK-002"]
    services.withdraw_power(None, powers["eia"], on=datetime.date(2024, 1, 1), reason="收回由市级实施")
    assert rows_of(client.get("/powers/?status=withdrawn")) == ["XK-003"]
    assert "已于 2024-01-01 收回" in client.get(f"/powers/{powers['eia'].pk}/").content.decode()
    wrong = client.get("/powers/?kind=nonsense")
    assert wrong.status_code == 200 and wrong.context["form"].errors  # said on the form, the list unfiltered
    htmx = client.get("/powers/?kind=penalty", HTTP_HX_REQUEST="true")
    assert 'id="powers-results"' in htmx.content.decode() and "<html" not in htmx.content.decode()


def test_civil_servants_see_the_figures_the_in_use_filter_and_the_summary(usage_world, client):
    client.force_login(staff("leader"))
    response = client.get("/powers/")
    epp = next(power for power in response.context["powers"] if power.code == "XK-001")
    assert response.context["figures"] is True
    period = Period.last_twelve_months()  # the figures' period, in the date boxes where the page opens
    html = response.content.decode()
    assert f'value="{period.since.isoformat()}"' in html and f'value="{period.until.isoformat()}"' in html
    assert (epp.usage.tasks, epp.usage.median_days, str(epp.usage.within_legal_pct)) == (3, 3.5, "100.0")
    assert rows_of(client.get("/powers/?use=in_use")) == ["XK-001"]
    assert rows_of(client.get("/powers/?use=not_in_use")) == ["XK-002", "XK-003", "CF-001"]
    assert rows_of(client.get("/powers/?use=in_use&since=2026-06-02&until=2026-06-30")) == []
    bad = client.get("/powers/?since=2026-06-30&until=2026-06-01")
    assert bad.status_code == 200 and "until" in bad.context["form"].errors
    detail = client.get(f"/powers/{usage_world.powers['epp'].pk}/")
    assert detail.context["usage"].decided == 2
    row = detail.context["rows"][0]
    assert (row["code"], row["usage"].tasks, row["usage"].p90_days) == (EPP, 3, 4)
    idle = client.get(f"/powers/{usage_world.powers['permit'].pk}/")
    assert 'id="not-in-use"' in idle.content.decode()
    summary = client.get("/powers/summary/")
    assert summary.status_code == 200
    totals = summary.context["summary"].total
    assert (totals.powers, totals.in_force, totals.linked, totals.in_use) == (4, 4, 3, 1)
    assert "use=in_use" in summary.context["in_use_url"] and "since=" in summary.context["in_use_url"]
    planning = next(row for row in summary.context["summary"].departments if row.key == "planning")
    assert "department=planning" in planning.in_use_url
    client.force_login(usage_world.applicant)
    assert client.get("/powers/summary/").status_code == 403
    assert client.get("/powers/").context["figures"] is False


def test_the_list_downloads_with_its_figures_as_csv_and_xlsx(usage_world, client):
    client.force_login(staff("supervisor"))
    response = client.get("/powers/?format=csv&kind=license")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:3] == ["序号", "权力编码", "权力名称"] and "中位用时(工作日)" in lines[0]
    assert [line[1] for line in lines[1:]] == ["XK-001", "XK-002", "XK-003"]
    epp = lines[1]
    assert epp[lines[0].index("审批任务数")] == "3" and epp[lines[0].index("中位用时(工作日)")] == "3.5"
    workbook = client.get("/powers/?format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(workbook.streaming_content))).active
    assert sheet.max_row == 5 and sheet.cell(2, 2).value == "XK-001"
    client.logout()
    public = b"".join(client.get("/powers/?format=csv").streaming_content).decode("utf-8-sig")
    assert "中位用时" not in public and "XK-001" in public


def test_english_pages_show_the_english_names_the_data_holds(powers, client):
    services.save_power(
        None,
        powers["epp"],
        item_codes=[EPP],
        **{name: getattr(powers["epp"], name) for name in services.FIELDS if name != "name_en"},
        name_en="Issuing the construction project planning permit",
    )
    client.cookies["django_language"] = "en"
    page = client.get("/powers/").content.decode()
    assert "Issuing the construction project planning permit" in page
    assert '<html lang="en">' in page
    detail = client.get(f"/powers/{powers['epp'].pk}/").content.decode()
    assert "Issuing the construction project planning permit" in detail
    assert "Planning and Natural Resources Bureau" in detail  # the department's English name


def measure(client, path):
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries), response


def test_the_pages_send_as_many_statements_for_3n_powers_as_for_n(usage_world, client):
    client.force_login(staff("leader"))
    planning = usage_world.departments["planning"]
    serial = iter(range(100, 200))

    def add(count):
        for _ in range(count):
            number = next(serial)
            make_power(
                planning, f"XK-{number}", f"测试许可{number}", items=[EPP, "eia-approval"], position=number
            )

    pages = {
        "list": ("/powers/", lambda r: len(r.context["powers"])),
        "summary": ("/powers/summary/", lambda r: r.context["summary"].total.powers),
        "api list": ("/api/v1/devolved-powers/", lambda r: len(r.json()["results"])),
        "api summary": ("/api/v1/devolved-powers/summary/", lambda r: r.json()["total"]["powers"]),
    }
    add(2)
    small = {name: measure(client, path) for name, (path, _rows) in pages.items()}
    add(6)
    large = {name: measure(client, path) for name, (path, _rows) in pages.items()}
    for name, (_path, shown) in pages.items():
        (few, few_response), (many, many_response) = small[name], large[name]
        assert shown(many_response) > shown(few_response), name
        assert many == few, f"{name}: {few} statements, then {many}"


def test_the_list_is_reached_from_the_guide_and_the_menu_of_those_who_answer_for_it(powers, client):
    assert "/powers/" in client.get("/").content.decode()  # the public guide's home
    client.force_login(staff("leader"))
    assert 'href="/powers/"' in client.get("/me/").content.decode()
    client.force_login(staff("department_head", department=powers["epp"].department))
    assert 'href="/powers/"' in client.get("/me/").content.decode()
    client.force_login(staff("window_clerk"))
    assert 'href="/powers/"' not in client.get("/me/").content.decode()
