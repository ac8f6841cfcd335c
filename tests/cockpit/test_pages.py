"""The cockpit's pages: leaders and supervisors read it (403 for everyone else), every figure beside last year
and linked to its records, a period chosen by name (a bad one is a clear 400), the records page with the
list's own count and the kept figure side by side, its Excel export, the monthly reports (asked for by
leaders only, downloaded by both)."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sciencecity.cockpit.models import ZoneReport

from .conftest import IMMEDIATE_TASKS, JUNE

pytestmark = pytest.mark.django_db

BOARD = reverse("cockpit:board")


def records(key, **query):
    from urllib.parse import urlencode

    return f"{reverse('cockpit:records', args=[key])}?{urlencode({'period': JUNE, **query})}"


def test_leaders_and_supervisors_read_the_cockpit_and_others_get_403(client, cockpit_world):
    for user in (cockpit_world.leader, cockpit_world.supervisor):
        client.force_login(user)
        assert client.get(BOARD).status_code == 200
        assert client.get(records("problems_overdue")).status_code == 200
    for user in (cockpit_world.world.applicant, cockpit_world.world.clerk):
        client.force_login(user)
        assert client.get(BOARD).status_code == 403
        assert client.get(records("problems_overdue")).status_code == 403
        assert client.get(reverse("cockpit:reports")).status_code == 403
    client.logout()
    assert client.get(BOARD).status_code == 302


def test_the_board_shows_every_section_and_links_every_figure(client, cockpit_world):
    client.force_login(cockpit_world.leader)
    html = client.get(BOARD, {"period": JUNE}).content.decode()
    for section in ("approvals", "projects", "problems", "services", "party", "interactions"):
        assert f'id="section-{section}"' in html
    tile = re.search(r'data-figure="problems_reported">.*?</li>', html, re.S).group(0)
    assert 'class="value" data-value>3<' in tile
    assert "去年同期 1" in tile and "+200%" in tile
    assert f"/cockpit/figures/problems_reported/?period={JUNE}" in tile
    assert "2026年6月" in html
    assert 'id="chart-tasks_by_department"' in html and 'id="cockpit-data"' in html
    assert "审批改革红岩先锋队" in html


def test_a_bad_period_is_a_clear_400_and_the_page_still_reads(client, cockpit_world):
    client.force_login(cockpit_world.leader)
    response = client.get(BOARD, {"period": "2026-13"})
    assert response.status_code == 400
    assert "月份应在 01 至 12 之间" in response.content.decode()
    response = client.get(records("problems_overdue", period="2027"))
    assert response.status_code == 400 and "尚未开始" in response.content.decode()
    assert client.get(reverse("cockpit:records", args=["nothing"])).status_code == 404


def test_the_records_page_shows_the_list_and_both_numbers(client, cockpit_world):
    client.force_login(cockpit_world.leader)
    html = client.get(records("problems_on_time")).content.decode()
    assert re.search(r'id="list-measure">1 ', html) and re.search(r'id="kept-measure">1 ', html)
    assert cockpit_world.on_time.number in html
    assert reverse("problems:detail", args=[cockpit_world.on_time.pk]) in html
    bar = client.get(records("key_projects", by="warning", value="red")).content.decode()
    assert "科学大道二期" in bar and "科学谷三期" not in bar


def test_any_list_exports_to_excel(client, cockpit_world):
    client.force_login(cockpit_world.supervisor)
    response = client.get(records("key_projects", format="xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.values)
    assert rows[0][:2] == ("项目代码", "项目名称")
    assert sorted(row[1] for row in rows[1:]) == sorted(["科学大道二期", "科学谷三期", "金凤实验室"])


def test_a_leader_asks_for_a_report_and_both_download_it(
    client, cockpit_world, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = IMMEDIATE_TASKS  # the background task renders it as soon as it is enqueued
    client.force_login(cockpit_world.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cockpit:reports"), {"month": "2026-05"})
    assert response.status_code == 302
    report = ZoneReport.objects.get()
    assert report.status == ZoneReport.Status.READY and report.pages >= 1
    for user in (cockpit_world.leader, cockpit_world.supervisor):
        client.force_login(user)
        page = client.get(reverse("cockpit:reports")).content.decode()
        assert reverse("cockpit:report_file", args=[report.pk]) in page
        pdf = client.get(reverse("cockpit:report_file", args=[report.pk]))
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # A supervisor reads but does not ask.
    assert client.post(reverse("cockpit:reports"), {"month": "2026-05"}).status_code == 403
    assert ZoneReport.objects.count() == 1


def test_a_month_not_yet_begun_is_not_offered_and_a_forged_one_is_refused(client, cockpit_world):
    client.force_login(cockpit_world.leader)
    response = client.post(reverse("cockpit:reports"), {"month": "2026-07"})
    assert response.status_code == 400 and not ZoneReport.objects.exists()


def test_the_workbench_and_menu_lead_leaders_to_the_cockpit(client, cockpit_world):
    client.force_login(cockpit_world.leader)
    home = client.get("/").content.decode()
    assert BOARD in home
    client.force_login(cockpit_world.world.applicant)
    assert BOARD not in client.get("/").content.decode()
