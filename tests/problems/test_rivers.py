"""The rivers' water quality: GB 3838-2002 classes, entering and correcting a month's reading (validation,
the department, one per month, the class against the indicators), importing a month from Excel (all or
nothing), what is computed from the readings with a frozen clock (this month against the target, the annual
class, the run of years better than the target, the trend), patrol problems linked to their section, the
pages in both languages, the API, the cockpit's panel and the statement counts of the lists."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from sciencecity.api.services import create_token
from sciencecity.audit.models import AuditEvent
from sciencecity.notifications.models import Notification
from sciencecity.problems import geo
from sciencecity.problems.models import Problem
from sciencecity.problems.rivers import services, spreadsheet, standard, status
from sciencecity.problems.rivers.models import MonitoringSection, River, WaterReading
from tests.factories import staff

from .conftest import report

pytestmark = pytest.mark.django_db

D = datetime.date
# The suite's clock is frozen at 2026-11-24 (tests/conftest.py); these tests name their own day where it matters.
TODAY = D(2026, 11, 24)
NOON = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))


@pytest.fixture
def clock_at(time_machine):
    time_machine.move_to(NOON, tick=False)
    return TODAY


@pytest.fixture
def rivers(zone):
    """Two rivers of the zone: 梁滩河 with two assessed sections and one that is not, 虎溪河 with one; the
    environment bureau (`zone.environment`) enters their readings."""
    lat, lon = zone.inside
    liangtan = services.save_river(
        None,
        River(code="liangtan", name="梁滩河", name_en="Liangtan River", department=zone.environment, order=1),
    )
    huxi = services.save_river(None, River(code="huxi", name="虎溪河", department=zone.environment, order=2))

    def section(river, code, name, target, assessed=True, offset=0.0):
        return services.save_section(
            None,
            MonitoringSection(
                river=river,
                code=code,
                name=name,
                name_en=f"{code} section",
                latitude=Decimal(f"{lat + offset:.6f}"),
                longitude=Decimal(f"{lon:.6f}"),
                target_class=target,
                assessed=assessed,
                department=zone.environment,
            ),
        )

    return {
        "liangtan": liangtan,
        "huxi": huxi,
        "upper": section(liangtan, "LTH-01", "含谷断面", 5),
        "lower": section(liangtan, "LTH-02", "曾家断面", 5, offset=0.002),
        "inner": section(liangtan, "LTH-03", "支流口断面", 4, assessed=False, offset=0.004),
        "huxi_mouth": section(huxi, "HXH-01", "虎溪河口断面", 4, offset=0.006),
    }


def months(first: D, last: D):
    day = first
    while day <= last:
        yield day
        day = D(day.year + day.month // 12, day.month % 12 + 1, 1)


def fill(section, first: D, last: D, water_class, **indicators):
    """Readings of every month from `first` to `last` (a class, or a function of the month giving it)."""
    WaterReading.objects.bulk_create(
        [
            WaterReading(
                section=section,
                month=month,
                water_class=water_class(month) if callable(water_class) else water_class,
                **indicators,
            )
            for month in months(first, last)
        ]
    )


def liangtan_story(section):
    """梁滩河 as the seed tells it: Ⅴ (its target) in 2020, then Ⅳ every month since 2021 — better than the
    target by one class for five years running."""
    fill(section, D(2020, 1, 1), D(2020, 12, 1), 5)
    fill(section, D(2021, 1, 1), D(2026, 10, 1), 4)


# --- the standard -----------------------------------------------------------------------------------------


def test_indicators_are_classed_by_the_standards_limits():
    cod, nh3, tp, do = standard.INDICATORS
    assert [cod.class_of(v) for v in ("15", "15.1", "20", "30", "40", "40.1")] == [1, 3, 3, 4, 5, 6]
    assert [nh3.class_of(v) for v in ("0.15", "0.5", "1.0", "1.5", "2.0", "2.01")] == [1, 2, 3, 4, 5, 6]
    assert [tp.class_of(v) for v in ("0.02", "0.1", "0.2", "0.3", "0.4", "0.41")] == [1, 2, 3, 4, 5, 6]
    assert [do.class_of(v) for v in ("7.5", "6", "5", "3", "2", "1.9")] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]  # more is cleaner
    assert standard.class_of({"ammonia_nitrogen": Decimal("1.2"), "total_phosphorus": Decimal("0.35")}) == 5
    assert standard.class_of({}) is None


# --- entering a reading -------------------------------------------------------------------------------------


def reading(section, **fields):
    values = {"month": D(2026, 10, 1), "water_class": 4} | fields
    return services.Reading(section=section, **values)


def test_the_department_enters_a_month_audited_and_refusals_name_their_field(zone, rivers, clock_at):
    upper = rivers["upper"]
    entered = services.record_reading(
        zone.env_reviewer,
        reading(upper, month=D(2026, 10, 17), ammonia_nitrogen=Decimal("1.234"), total_phosphorus="0.25"),
    )
    assert entered.month == D(2026, 10, 1) and entered.recorded_by == zone.env_reviewer
    assert entered.ammonia_nitrogen == Decimal("1.234") and entered.total_phosphorus == Decimal("0.250")
    event = AuditEvent.objects.get(action="problems.record_water_reading")
    assert event.after["section"] == "LTH-01" and event.after["water_class"] == 4

    def refused(user, data, field):
        with pytest.raises(ValidationError) as error:
            services.record_reading(user, data)
        assert field in error.value.message_dict, error.value.message_dict
        return " ".join(error.value.message_dict[field])

    assert "已经录入" in refused(zone.env_head, reading(upper), "month")
    assert "晚于本月" in refused(zone.env_reviewer, reading(upper, month=D(2026, 12, 1)), "month")
    assert "Ⅰ类至劣Ⅴ类" in refused(
        zone.env_reviewer, reading(upper, month=D(2026, 9, 1), water_class=7), "water_class"
    )
    assert "数字" in refused(zone.env_reviewer, reading(upper, month=D(2026, 9, 1), cod="abc"), "cod")
    assert "0 至" in refused(
        zone.env_reviewer, reading(upper, month=D(2026, 9, 1), total_phosphorus="-0.1"), "total_phosphorus"
    )
    # A section cannot be classed better than its indicators: ammonia nitrogen 1.8 mg/L is class Ⅴ.
    message = refused(
        zone.env_reviewer,
        reading(upper, month=D(2026, 9, 1), water_class=3, ammonia_nitrogen="1.8"),
        "water_class",
    )
    assert "氨氮 1.800 mg/L 属Ⅴ类" in message and "至少为Ⅴ类" in message
    # ... but may be worse (an indicator the reading does not carry).
    assert (
        services.record_reading(
            zone.env_reviewer, reading(upper, month=D(2026, 9, 1), water_class=6, ammonia_nitrogen="0.4")
        ).water_class
        == 6
    )
    # Only the section's department enters it.
    with pytest.raises(PermissionDenied):
        services.record_reading(zone.build_reviewer, reading(upper, month=D(2026, 8, 1)))
    with pytest.raises(PermissionDenied):
        services.record_reading(zone.inspector, reading(upper, month=D(2026, 8, 1)))
    assert WaterReading.objects.count() == 2


def test_a_month_that_misses_its_target_tells_the_departments_heads(zone, rivers, clock_at):
    services.record_reading(zone.env_reviewer, reading(rivers["huxi_mouth"], water_class=5))
    notice = Notification.objects.get(kind="water_target_missed")
    assert notice.recipient == zone.env_head and "虎溪河口断面" in notice.title
    services.record_reading(
        zone.env_reviewer, reading(rivers["huxi_mouth"], month=D(2026, 9, 1), water_class=4)
    )
    assert Notification.objects.filter(kind="water_target_missed").count() == 1


def test_a_correction_needs_its_reason_keeps_the_month_and_is_audited(zone, rivers, clock_at):
    entered = services.record_reading(zone.env_reviewer, reading(rivers["upper"], water_class=4))
    with pytest.raises(ValidationError) as error:
        services.correct_reading(zone.env_reviewer, entered, reading(rivers["upper"], water_class=3), "")
    assert "reason" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.correct_reading(
            zone.build_reviewer, entered, reading(rivers["upper"], water_class=3), "复核"
        )
    corrected = services.correct_reading(
        zone.env_head,
        entered,
        reading(rivers["upper"], month=D(2020, 1, 1), water_class=3, cod="18"),
        "监测站复核",
    )
    corrected.refresh_from_db()
    assert corrected.month == D(2026, 10, 1) and corrected.water_class == 3 and corrected.corrected_at
    event = AuditEvent.objects.get(action="problems.correct_water_reading")
    assert event.before["water_class"] == 4 and event.after["water_class"] == 3
    assert event.after["reason"] == "监测站复核"


# --- importing a month --------------------------------------------------------------------------------------


def workbook(rows, headers=("断面编码", "断面名称", "水质类别", "氨氮(mg/L)", "总磷(mg/L)", "备注")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("水质.xlsx", out.getvalue())


def test_an_import_names_every_wrong_row_and_writes_nothing_until_all_are_right(zone, rivers, clock_at):
    services.record_reading(zone.env_reviewer, reading(rivers["huxi_mouth"]))
    bad = workbook(
        [
            ("LTH-01", "梁滩河 含谷断面", "Ⅳ类", 1.2, 0.25, ""),
            ("LTH-01", "重复", "Ⅳ", None, None, ""),
            ("NOPE", "", "Ⅳ", None, None, ""),
            ("LTH-02", "", "七类", None, None, ""),
            ("LTH-03", "", "Ⅱ", 1.9, None, ""),
            ("HXH-01", "", "Ⅳ", None, None, ""),
        ]
    )
    result = spreadsheet.import_readings(zone.env_reviewer, bad, D(2026, 10, 1))
    assert not result.ok and not result.created
    by_row = {error.row: error for error in result.errors}
    assert set(by_row) == {3, 4, 5, 6, 7}
    assert "重复" in by_row[3].message and "NOPE" in by_row[4].message
    assert "七类" in by_row[5].message and by_row[5].column == "水质类别"
    assert "不符" in by_row[6].message and "已经录入" in by_row[7].message
    assert WaterReading.objects.count() == 1

    good = workbook(
        [
            ("LTH-01", "", "Ⅳ类", 1.2, 0.25, ""),
            ("LTH-02", "", "劣V", None, None, "暴雨后"),
            ("LTH-03", "", 3, None, None, ""),
        ]
    )
    result = spreadsheet.import_readings(zone.env_reviewer, good, D(2026, 10, 1))
    assert result.ok and len(result.created) == 3
    assert {r.section.code: r.water_class for r in WaterReading.objects.filter(source="imported")} == {
        "LTH-01": 4,
        "LTH-02": 6,
        "LTH-03": 3,
    }
    assert AuditEvent.objects.filter(action="problems.import_water_readings").count() == 1
    with pytest.raises(PermissionDenied):
        spreadsheet.import_readings(zone.build_reviewer, workbook([]), D(2026, 9, 1))
    with pytest.raises(ValidationError):
        spreadsheet.import_readings(
            zone.env_reviewer, SimpleUploadedFile("a.xlsx", b"not a workbook"), D(2026, 9, 1)
        )


def test_classes_are_read_as_the_standard_writes_them():
    assert [
        spreadsheet.parse_class(v) for v in ("Ⅰ", "II类", "Ⅲ类", "iv", 4, "5", "劣Ⅴ类", "劣V", "六", None)
    ] == [
        1,
        2,
        3,
        4,
        4,
        5,
        6,
        6,
        None,
        None,
    ]


# --- what is computed ----------------------------------------------------------------------------------------


def test_liangtan_is_better_than_its_target_by_one_class_for_five_years_running(rivers, clock_at):
    upper, lower = rivers["upper"], rivers["lower"]
    liangtan_story(upper)
    liangtan_story(lower)
    found = status.status_of(upper)
    assert (found.latest_month, found.latest_class, found.margin, found.verdict) == (
        D(2026, 10, 1),
        4,
        1,
        "better",
    )
    assert (found.run_years, found.run_margin, found.run_from, found.run_to) == (5, 1, 2021, 2025)
    assert [(y.year, y.water_class, y.judged) for y in found.years] == [
        (2020, 5, True),
        (2021, 4, True),
        (2022, 4, True),
        (2023, 4, True),
        (2024, 4, True),
        (2025, 4, True),
        (2026, 4, False),  # the current year: "so far", in no run
    ]
    assert found.trend == "stable" and found.months_met == 12 and found.same_month_last_year == 4
    river = status.zone().rivers[0]
    assert river.river.code == "liangtan" and river.run_years == 5 and river.run_margin == 1
    assert river.run_text == "连续 5 年优于考核目标 1 个类别"
    # A year later, with 2026 over, the run is six; the section not assessed does not count.
    fill(upper, D(2026, 11, 1), D(2026, 12, 1), 4)
    fill(lower, D(2026, 11, 1), D(2026, 12, 1), 4)
    assert status.status_of(upper, today=D(2027, 1, 10)).run_years == 6


def test_one_worse_month_breaks_its_year_and_a_year_without_enough_months_is_not_judged(rivers, clock_at):
    upper, lower, inner = rivers["upper"], rivers["lower"], rivers["inner"]
    liangtan_story(upper)
    # 2023 had one month at Ⅴ: its annual class (the worst month) meets the target but is not better.
    fill(lower, D(2020, 1, 1), D(2026, 10, 1), lambda m: 5 if m == D(2023, 7, 1) else 4)
    assert [y.water_class for y in status.status_of(lower).years if y.year == 2023] == [5]
    assert status.status_of(lower).run_years == 2  # 2024 and 2025
    # 2025 with ten months read: not judged, so nothing runs to last year.
    fill(
        inner,
        D(2024, 1, 1),
        D(2026, 10, 1),
        lambda m: 3,
    )
    WaterReading.objects.filter(section=inner, month__in=[D(2025, 3, 1), D(2025, 4, 1)]).delete()
    inner_status = status.status_of(inner)
    assert inner_status.run_years == 0 and not [y for y in inner_status.years if y.year == 2025][0].judged
    # The river's run is its assessed sections' shortest (the unassessed inner section does not count).
    river = next(r for r in status.zone().rivers if r.river.code == "liangtan")
    assert (river.run_years, river.run_from, river.run_to) == (2, 2024, 2025)


def test_the_trend_compares_the_last_twelve_months_with_the_twelve_before(rivers, clock_at):
    section = rivers["huxi_mouth"]  # target Ⅳ
    fill(section, D(2024, 11, 1), D(2025, 10, 1), 5)
    fill(section, D(2025, 11, 1), D(2026, 10, 1), lambda m: 3 if m.month % 2 else 4)
    found = status.status_of(section)
    assert found.trend == "improving" and found.previous_mean == 5 and found.recent_mean == 3.5
    assert found.months_met == 12 and found.margin == 0 and found.verdict == "met"
    assert found.run_years == 0  # 2025 had Ⅴ months: missed
    # Out of date: the latest reading is more than two months old.
    assert status.status_of(section, today=D(2027, 3, 1)).stale
    WaterReading.objects.filter(section=section, month__gte=D(2025, 11, 1)).update(water_class=6)
    assert status.status_of(section).trend == "worsening"


def test_a_section_without_readings_has_no_status_but_is_listed(rivers, clock_at):
    found = status.status_of(rivers["huxi_mouth"])
    assert found.latest_class is None and found.verdict == "" and found.run_years == 0 and found.trend == ""
    zone = status.zone()
    assert zone.total == 4 and zone.without_data == 4 and zone.meeting_rate is None


# --- problems found on patrols ----------------------------------------------------------------------------------


def test_a_patrol_problem_names_its_section_and_the_section_lists_it(client, zone, rivers, clock_at):
    section = rivers["upper"]
    problem = report(zone, zone.inspector, source="river_patrol", section=section, title="排污口异常排水")
    assert problem.section == section
    with pytest.raises(ValidationError) as error:
        report(zone, zone.citizen, section=section)
    assert "section" in error.value.message_dict
    MonitoringSection.objects.filter(pk=rivers["lower"].pk).update(is_active=False)
    with pytest.raises(ValidationError):
        report(
            zone,
            zone.inspector,
            source="river_patrol",
            section=MonitoringSection.objects.get(pk=rivers["lower"].pk),
        )
    client.force_login(zone.inspector)
    page = client.get(reverse("problems:section", args=[section.pk])).content.decode()
    assert problem.number in page and "待签收" in page  # with its state
    assert (
        reverse("problems:section", args=[section.pk])
        in client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    )
    listed = client.get(reverse("problems:sections")).content.decode()
    assert "未办结 1 / 共 1" in listed
    # A citizen who reported nothing there sees the section but not the patrol's problem.
    client.force_login(zone.citizen)
    assert problem.number not in client.get(reverse("problems:section", args=[section.pk])).content.decode()


def test_the_report_form_offers_patrols_the_sections_with_their_points(client, zone, rivers):
    client.force_login(zone.inspector)
    url = reverse("problems:report") + f"?source=river_patrol&section={rivers['lower'].pk}"
    page = client.get(url).content.decode()
    assert 'id="river-sections"' in page and "nearest_section.js" in page and "LTH-02" not in page
    assert f'<option value="{rivers["lower"].pk}" selected>梁滩河 · 曾家断面</option>' in page
    lat, lon = zone.inside
    response = client.post(
        reverse("problems:report"),
        {
            "category": zone.river.pk,
            "title": "河面漂浮油污",
            "description": "曾家断面上游约200米河面漂浮油污。",
            "latitude": f"{lat}",
            "longitude": f"{lon}",
            "source": "river_patrol",
            "section": rivers["lower"].pk,
        },
    )
    assert response.status_code == 302
    assert Problem.objects.get().section == rivers["lower"]
    client.force_login(zone.citizen)
    assert 'id="river-sections"' not in client.get(reverse("problems:report")).content.decode()


def test_the_nearest_sections_are_measured_from_a_point(rivers):
    lat, lon = float(rivers["huxi_mouth"].latitude), float(rivers["huxi_mouth"].longitude)
    found = status.nearest(lat - 0.0001, lon, limit=2)
    assert [s.code for s, _m in found] == ["HXH-01", "LTH-03"]
    assert 10 < found[0][1] < 12 and 210 < found[1][1] < 235


# --- pages ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_pages_read_in_both_languages(client, zone, rivers, clock_at, language):
    liangtan_story(rivers["upper"])
    client.cookies["django_language"] = language
    client.force_login(zone.inspector)
    listed = client.get(reverse("problems:sections"), HTTP_ACCEPT_LANGUAGE=language)
    assert listed.status_code == 200
    text = listed.content.decode()
    assert f'lang="{language}"' in text and 'data-run="5"' not in text  # the lower section has no data yet
    assert ("梁滩河" in text) if language == "zh-hans" else ("Liangtan River" in text)
    page = client.get(reverse("problems:section", args=[rivers["upper"].pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="river-chart"' in text and 'id="section-run"' in text and "river_chart.js" in text
    assert ("LTH-01 section" in text) if language == "en" else ("含谷断面" in text)
    assert 'name="month"' not in text  # an inspector does not enter readings


def test_a_river_whose_assessed_sections_all_run_shows_its_run(client, zone, rivers, clock_at):
    for key in ("upper", "lower"):
        liangtan_story(rivers[key])
    client.force_login(zone.leader)
    text = client.get(reverse("problems:sections")).content.decode()
    assert 'data-run="5"' in text and "连续 5 年优于考核目标 1 个类别" in text
    filtered = client.get(reverse("problems:sections"), {"verdict": "none"}).content.decode()
    assert "LTH-03" in filtered and "LTH-01" not in filtered


def test_the_department_enters_corrects_and_imports_on_the_pages(client, zone, rivers, clock_at):
    section = rivers["upper"]
    client.force_login(zone.env_reviewer)
    page = client.get(reverse("problems:section", args=[section.pk])).content.decode()
    assert 'name="month"' in page and 'value="2026-10"' in page  # last month, as most months are entered
    url = reverse("problems:record_reading", args=[section.pk])
    bad = client.post(url, {"month": "2026-10", "water_class": "2", "ammonia_nitrogen": "1.8"})
    assert bad.status_code == 400 and "不符" in bad.content.decode()
    assert not WaterReading.objects.exists()
    done = client.post(url, {"month": "2026-10", "water_class": "4", "ammonia_nitrogen": "1.2"}, follow=True)
    assert "已录入 2026年10月 的监测数据" in done.content.decode()
    entered = WaterReading.objects.get()
    again = client.post(url, {"month": "2026-10", "water_class": "4"})
    assert again.status_code == 400 and "已经录入" in again.content.decode()
    correct = reverse("problems:correct_reading", args=[entered.pk])
    assert client.get(correct).status_code == 200
    assert (
        client.post(correct, {"water_class": "3", "ammonia_nitrogen": "0.9"}).status_code == 400
    )  # no reason
    assert (
        client.post(correct, {"water_class": "3", "ammonia_nitrogen": "0.9", "reason": "复核"}).status_code
        == 302
    )
    entered.refresh_from_db()
    assert entered.water_class == 3
    # The import page: its template, then a month's file.
    template = client.get(reverse("problems:import_readings"), {"template": "1"})
    sheet = load_workbook(io.BytesIO(b"".join(template.streaming_content))).worksheets[0]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "LTH-01",
        "LTH-02",
        "LTH-03",
        "HXH-01",
    ]
    failed = client.post(
        reverse("problems:import_readings"),
        {"month": "2026-09", "file": workbook([("LTH-01", "", "Ⅸ", None, None, "")])},
    )
    assert failed.status_code == 400 and "Ⅸ" in failed.content.decode()
    imported = client.post(
        reverse("problems:import_readings"),
        {
            "month": "2026-09",
            "file": workbook([("LTH-01", "", "Ⅳ", None, None, ""), ("HXH-01", "", "Ⅲ", None, None, "")]),
        },
    )
    assert imported.status_code == 302 and WaterReading.objects.filter(month=D(2026, 9, 1)).count() == 2
    # Another department reads but neither enters nor imports.
    client.force_login(zone.build_reviewer)
    assert client.post(url, {"month": "2026-08", "water_class": "4"}).status_code == 302
    assert not WaterReading.objects.filter(month=D(2026, 8, 1)).exists()
    assert client.get(reverse("problems:import_readings")).status_code == 403
    assert client.get(correct).status_code == 403


def test_the_departments_workbench_counts_the_sections_waiting_for_last_month(client, zone, rivers, clock_at):
    services.record_reading(zone.env_reviewer, reading(rivers["upper"]))
    services.record_reading(zone.env_reviewer, reading(rivers["huxi_mouth"], water_class=5))
    client.force_login(zone.env_head)
    page = client.get(reverse("home")).content.decode()
    assert "河流水质监测" in page and "待录入上月数据的断面" in page
    from sciencecity.problems.rivers.workbench import water_quality_card

    counts = {str(c["label"]): c["number"] for c in water_quality_card(zone.env_head)["counts"]}
    assert counts == {"待录入上月数据的断面": 2, "最新月份未达标的断面": 1}
    assert water_quality_card(zone.build_reviewer) is None and water_quality_card(zone.inspector) is None


def test_administrators_keep_rivers_and_sections_in_the_admin(admin_client, zone, rivers):
    for name in (
        "river_changelist",
        "monitoringsection_changelist",
        "monitoringsection_add",
        "waterreading_changelist",
    ):
        assert admin_client.get(reverse(f"admin:problems_{name}")).status_code == 200, name
    lat, lon = zone.inside
    form = {
        "river": rivers["huxi"].pk,
        "code": "HXH-09",
        "name": "新设断面",
        "level": "zone",
        "assessed": "on",
        "latitude": "31.000000",
        "longitude": "108.000000",
        "target_class": "3",
        "department": zone.environment.pk,
        "order": "9",
        "is_active": "on",
    }
    refused = admin_client.post(reverse("admin:problems_monitoringsection_add"), form)
    assert refused.status_code == 200 and "不在园区范围内" in refused.content.decode()
    saved = admin_client.post(
        reverse("admin:problems_monitoringsection_add"), form | {"latitude": f"{lat}", "longitude": f"{lon}"}
    )
    assert saved.status_code == 302
    section = MonitoringSection.objects.get(code="HXH-09")
    assert section.area == zone.first
    assert AuditEvent.objects.filter(action="problems.save_section", target_id=str(section.pk)).exists()
    assert admin_client.get(reverse("admin:problems_waterreading_add")).status_code == 403


def test_signed_out_visitors_do_not_read_the_sections(client, rivers):
    assert client.get(reverse("problems:sections")).status_code == 302
    assert client.get(reverse("problems:section", args=[rivers["upper"].pk])).status_code == 302


def test_the_cockpit_shows_the_sections_meeting_their_target_and_the_rivers_run(
    client, zone, rivers, clock_at
):
    for key in ("upper", "lower"):
        liangtan_story(rivers[key])
    fill(rivers["huxi_mouth"], D(2026, 1, 1), D(2026, 10, 1), 5)  # Ⅴ against Ⅳ: missed
    client.force_login(zone.leader)
    page = client.get(reverse("cockpit:board")).content.decode()
    assert 'id="box-rivers"' in page
    assert 'data-figure="sections_meeting"' in page and "连续 5 年优于考核目标 1 个类别" in page
    zone_now = status.zone()
    assert (zone_now.meeting, zone_now.better, zone_now.missed, zone_now.without_data) == (2, 2, 1, 1)


# --- the API ----------------------------------------------------------------------------------------------------


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
        _, secret = create_token(user, "test")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return client_for


def test_the_api_reads_sections_with_their_status_and_rivers_with_their_run(api, zone, rivers, clock_at):
    for key in ("upper", "lower"):
        liangtan_story(rivers[key])
    client = api(zone.inspector)
    sections = client.get("/api/v1/river-sections/", {"river": "liangtan"}).json()["results"]
    assert [s["code"] for s in sections] == ["LTH-01", "LTH-02", "LTH-03"]
    first = sections[0]["status"]
    assert (first["latest_month"], first["latest_class"], first["verdict"], first["run_years"]) == (
        "2026-10",
        4,
        "better",
        5,
    )
    assert first["years"][0] == {
        "year": 2020,
        "water_class": 5,
        "months": 12,
        "over": True,
        "judged": True,
        "margin": 0,
    }
    one = client.get(f"/api/v1/river-sections/{rivers['upper'].pk}/").json()
    assert one["status"]["run_margin"] == 1 and one["target_class"] == 5
    river = client.get("/api/v1/rivers/").json()[0]
    assert (river["code"], river["run_years"], river["run_from"], river["run_to"]) == (
        "liangtan",
        5,
        2021,
        2025,
    )
    summary = client.get("/api/v1/river-sections/summary/").json()
    assert summary["sections"] == 4 and summary["meeting"] == 2 and summary["rivers"][0]["run_years"] == 5
    lat, lon = float(rivers["huxi_mouth"].latitude), float(rivers["huxi_mouth"].longitude)
    near = client.get(
        "/api/v1/river-sections/nearest/", {"latitude": lat, "longitude": lon, "limit": 2}
    ).json()
    assert [s["code"] for s in near] == ["HXH-01", "LTH-03"] and near[0]["distance_m"] == 0
    assert client.get("/api/v1/river-sections/nearest/", {"latitude": "x"}).status_code == 400
    readings = client.get("/api/v1/water-readings/", {"section": "LTH-01", "month_from": "2026-01"}).json()
    assert [r["month"] for r in readings["results"]][:2] == ["2026-10", "2026-09"] and len(
        readings["results"]
    ) == 10
    assert client.get("/api/v1/water-readings/", {"month_from": "2026-13"}).status_code == 400
    assert APIClient().get("/api/v1/river-sections/").status_code == 401


def test_the_environment_department_enters_and_corrects_readings_through_the_api(api, zone, rivers, clock_at):
    body = {
        "section": "HXH-01",
        "month": "2026-10",
        "water_class": 4,
        "ammonia_nitrogen": "1.2",
        "total_phosphorus": "0.25",
    }
    created = api(zone.env_reviewer).post("/api/v1/water-readings/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["ammonia_nitrogen"] == "1.200" and created.json()["unit"] == "mg/L"
    duplicate = api(zone.env_head).post("/api/v1/water-readings/", body, format="json")
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["field"] == "month"
    inconsistent = api(zone.env_reviewer).post(
        "/api/v1/water-readings/", {**body, "month": "2026-09", "water_class": 2}, format="json"
    )
    assert inconsistent.status_code == 400 and inconsistent.json()["errors"][0]["field"] == "water_class"
    assert (
        api(zone.env_reviewer)
        .post("/api/v1/water-readings/", {**body, "month": "2026-9"}, format="json")
        .status_code
        == 400
    )
    assert (
        api(zone.build_reviewer)
        .post("/api/v1/water-readings/", {**body, "month": "2026-08"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(zone.citizen)
        .post("/api/v1/water-readings/", {**body, "month": "2026-08"}, format="json")
        .status_code
        == 403
    )
    pk = created.json()["id"]
    corrected = api(zone.env_head).post(
        f"/api/v1/water-readings/{pk}/correct/", {"water_class": 5, "reason": "复核"}, format="json"
    )
    assert (
        corrected.status_code == 200
        and corrected.json()["water_class"] == 5
        and corrected.json()["corrected_at"]
    )
    assert (
        api(zone.env_head)
        .post(f"/api/v1/water-readings/{pk}/correct/", {"water_class": 5}, format="json")
        .status_code
        == 400
    )
    assert WaterReading.objects.count() == 1


def test_a_patrol_reports_through_the_api_with_its_section(api, zone, rivers):
    lat, lon = zone.inside
    body = {
        "category": "river",
        "title": "河道淤积",
        "description": "断面下游河道淤积",
        "latitude": lat,
        "longitude": lon,
        "source": "river_patrol",
        "section": "LTH-02",
    }
    response = api(zone.inspector).post("/api/v1/problems/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["section"] == rivers["lower"].pk
    listed = api(zone.inspector).get("/api/v1/problems/", {"section": "LTH-02"}).json()["results"]
    assert [p["id"] for p in listed] == [response.json()["id"]]
    refused = api(zone.inspector).post("/api/v1/problems/", {**body, "source": "supervision"}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "section"


# --- statement counts ------------------------------------------------------------------------------------------


def statements(callable_):
    with CaptureQueriesContext(connection) as captured:
        response = callable_()
    assert response.status_code == 200
    return len(captured.captured_queries)


def more_sections(zone, rivers, count, start):
    lat, lon = zone.inside
    for n in range(start, start + count):
        section = services.save_section(
            None,
            MonitoringSection(
                river=rivers["huxi"],
                code=f"EXTRA-{n}",
                name=f"加密断面{n}",
                latitude=Decimal(f"{lat + 0.0001 * n:.6f}"),
                longitude=Decimal(f"{lon:.6f}"),
                target_class=4,
                department=zone.environment,
            ),
        )
        fill(section, D(2024, 1, 1), D(2026, 10, 1), 4)
        report(zone, zone.inspector, source="river_patrol", section=section)


def test_the_lists_read_as_many_statements_for_three_times_the_sections(client, api, zone, rivers, clock_at):
    client.force_login(zone.env_reviewer)
    token = api(zone.env_reviewer)
    more_sections(zone, rivers, 2, 0)
    pages = {
        "sections": lambda: client.get(reverse("problems:sections")),
        "section": lambda: client.get(reverse("problems:section", args=[rivers["huxi_mouth"].pk])),
        "api sections": lambda: token.get("/api/v1/river-sections/"),
        "api rivers": lambda: token.get("/api/v1/rivers/"),
        "api readings": lambda: token.get("/api/v1/water-readings/"),
        "api summary": lambda: token.get("/api/v1/river-sections/summary/"),
    }
    fill(rivers["huxi_mouth"], D(2025, 1, 1), D(2025, 6, 1), 4)
    for page in pages.values():  # once first: the token's first use of the day is written
        page()
    before = {name: statements(page) for name, page in pages.items()}
    more_sections(zone, rivers, 4, 2)
    fill(rivers["huxi_mouth"], D(2025, 7, 1), D(2026, 10, 1), 4)
    for n in range(3):
        report(
            zone, zone.inspector, source="river_patrol", section=rivers["huxi_mouth"], title=f"巡河问题{n}"
        )
    after = {name: statements(page) for name, page in pages.items()}
    assert after == before
    assert client.get(reverse("problems:sections")).content.decode().count('data-section="EXTRA-') == 6


# --- the demo -----------------------------------------------------------------------------------------------------


class _Steps:
    def start(self, description, total):
        pass

    def advance(self, amount=1):
        pass


def test_the_demo_tells_liangtans_story_from_its_readings(settings, clock_at):
    from sciencecity.demo import rivers as demo_rivers
    from tests.factories import DepartmentFactory

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ecology = DepartmentFactory(code="ecology", name="科学城生态环境局")
    staff("department_reviewer", ecology, username="reviewer-ecology")
    head = staff("department_head", ecology, username="head-ecology")
    count = demo_rivers.create_rivers(2026, _Steps(), lambda rng: rng.choice(["王", "李"]) + "某")
    assert count == 7 * (6 * 12 + 10)  # six whole years and this year to October, for seven sections
    zone = status.zone()
    runs = {row.river.code: (row.run_years, row.run_margin, row.run_from, row.run_to) for row in zone.rivers}
    assert runs == {"liangtan": (5, 1, 2021, 2025), "huxi": (2, 1, 2024, 2025), "daxi": (0, None, None, None)}
    by_code = {row.section.code: row for row in zone.sections}
    assert by_code["DXH-02"].verdict == "missed" and by_code["LTH-03"].verdict == "better"
    assert [y.water_class for y in by_code["LTH-03"].years][:2] == [6, 4]  # 劣Ⅴ in the dry months, then Ⅳ
    for reading in WaterReading.objects.exclude(cod=None)[:200]:
        values = {name: getattr(reading, name) for name in standard.INDICATOR_FIELDS}
        assert standard.class_of(values) == reading.water_class, reading
    assert WaterReading.objects.exclude(corrected_at=None).count() == 1
    assert Notification.objects.filter(kind="water_target_missed", recipient=head).exists()
    for section in MonitoringSection.objects.all():  # on the map, in the area the rivers' problems name
        assert geo.area_at(float(section.latitude), float(section.longitude)).code == section.area
