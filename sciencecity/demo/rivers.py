"""The demo's rivers and their water quality (河长制 · 水质监测): three rivers of the zone with seven monitoring
sections, and six years of monthly readings up to the demo's present, entered month by month by the ecology
bureau through `sciencecity.problems.rivers.services` with the platform clock at each entry's day.

The story, as the seed tells it: 梁滩河, once called one of "the most complex polluted rivers of Chongqing",
missed its target (Ⅴ) six years ago — 劣Ⅴ in the dry months of that winter — and has been class Ⅳ or better
in every month since: "better than its target class by one grade for five years running", which the platform
computes from these readings (`problems.rivers.status`: the annual class is the worst month's). The other
rivers are less tidy: 虎溪河 (the university town's river, a tributary of 梁滩河) has met its target only
lately, 大溪河 slips in a rainy month, and its 石板 section missed its target last month. The ecology bureau's
party members led the governance on the rivers (the rivers' descriptions say so: "党旗插在治河一线").

The sections sit inside the zone's schematic areas (`problems/data/zone_areas.geojson`) along the rivers
the demo's problems name (`data/problems.yaml`); the river patrols' problems reported on a monitored reach
(the same river in the same area) name their section (`demo.problems`, which runs after this module).

Indicators: ammonia nitrogen, total phosphorus, COD and dissolved oxygen are drawn inside the bands of
GB 3838-2002 so that the reading's class is the worst of them (the first year's records carry the class
only, as the older monitoring reports did). A reading of month M is entered on the 10th of M+1 (or the next
day the clock reaches), so the latest is last month's, or the month before early in a month. One reading is
corrected after the monitoring station's review. Deterministic for a seed; nothing depends on ids.
"""

import datetime
import json
import random
from decimal import Decimal

import shapely
from django.utils.translation import gettext as _
from shapely.geometry import shape

from sciencecity.accounts.models import Department, User
from sciencecity.problems import geo
from sciencecity.problems.rivers import services
from sciencecity.problems.rivers.models import MonitoringSection, River, WaterReading
from sciencecity.problems.rivers.standard import BY_FIELD
from sciencecity.workdays import clock

from . import applications as demo_applications

YEARS = 6  # complete years of readings before the present one
ENTRY_DAY = 10
DEPARTMENT = "ecology"

# code, name, name_en, flows into, length in the zone (km), chief's post, description
# fmt: off
RIVERS = (
    ("liangtan", "梁滩河", "Liangtan River", "嘉陵江", "21.6", "区级总河长,科学城管委会主任",
     "嘉陵江一级支流,流经科学城含谷、金凤、曾家等镇街。曾被称作“重庆最复杂污染河流”之一,经截污纳管、"
     "散乱污整治和生态修复,水质类别已连续多年优于考核标准。科学城生态环境局党支部把党旗插在治河一线,"
     "党员带头巡河、包片整治。"),
    ("huxi", "虎溪河", "Huxi River", "梁滩河", "9.8", "区级河长,科学城管委会副主任",
     "梁滩河支流,穿大学城而过,沿岸为高校和居住区,雨污分流改造后水质逐年好转。"),
    ("daxi", "大溪河", "Daxi River", "长江", "14.2", "区级河长,科学城管委会副主任",
     "流经走马、石板、巴福等镇,沿岸农业面源和场镇生活污水是主要压力,雨季水质易波动。"),
)
# river, code, name, name_en, level, assessed, area, target class, story
SECTIONS = (
    ("liangtan", "LTH-01", "走马断面", "Zouma section", "district", True, "zouma", 5, "liangtan_upper"),
    ("liangtan", "LTH-02", "含谷断面", "Hangu section", "municipal", True, "hangu", 5, "liangtan"),
    ("liangtan", "LTH-03", "曾家出境断面", "Zengjia outflow section", "municipal", True, "zengjia", 5, "liangtan"),
    ("huxi", "HXH-01", "大学城断面", "University Town section", "district", True, "huxi", 4, "huxi_town"),
    ("huxi", "HXH-02", "虎溪河入梁滩河口断面", "Huxi mouth section", "district", False, "zengjia", 4, "huxi_mouth"),
    ("daxi", "DXH-01", "金凤断面", "Jinfeng section", "district", True, "jinfeng", 4, "daxi_rainy"),
    ("daxi", "DXH-02", "石板断面", "Shiban section", "zone", True, "shiban", 3, "daxi_slip"),
)
# fmt: on
RIVER_CHIEF_SECTIONS = ("镇级河长", "街道级河长")
RAINY = (6, 7, 8)


def _class(story: str, rng, age: int, month: int, last: bool) -> int:
    """The class of one month of a story: `age` is how many years before the present year (0 = this year),
    `last` whether this is the latest month entered."""
    if story in ("liangtan", "liangtan_upper"):
        if age == YEARS:  # the year before the turn: at or below the target
            if story == "liangtan" and month in (1, 2, 3, 12):
                return 6
            return 5
        return 3 if (month in (10, 11) and age <= 2 and rng.random() < 0.6) else 4
    if story == "huxi_town":  # met lately, better than the target for the last two years
        if age >= 4:
            return 5 if month in RAINY and rng.random() < 0.7 else 4
        if age == 3:
            return 4
        return 3
    if story == "huxi_mouth":
        if age >= 2:
            return 5 if month in RAINY or rng.random() < 0.15 else 4
        return 4
    if story == "daxi_rainy":
        if age == 1 and month == 7:
            return 5
        return 3 if rng.random() < 0.3 else 4
    if story == "daxi_slip":
        if last:
            return 4
        return 4 if month in RAINY and age >= 3 else 3
    raise ValueError(story)


def _between(rng, low: Decimal, high: Decimal, places: int) -> Decimal:
    value = Decimal(str(rng.uniform(float(low) + float(high - low) * 0.1, float(high))))
    return value.quantize(Decimal(1).scaleb(-places))


def _indicators(rng, water_class: int) -> dict:
    """COD, NH3-N, TP and DO whose worst class (single factor) is exactly `water_class`."""
    drivers = ["ammonia_nitrogen", "total_phosphorus"] + (["cod"] if water_class >= 3 else [])
    driver = rng.choice(drivers)
    values = {}
    for field, places in (("cod", 1), ("ammonia_nitrogen", 3), ("total_phosphorus", 3)):
        limits = BY_FIELD[field].limits
        band = (
            water_class
            if field == driver
            else rng.randint(max(1, min(water_class, 5) - 2), min(water_class, 5))
        )
        if band == 6:
            low, high = limits[4], limits[4] * Decimal("1.6")
        else:
            low = limits[band - 2] if band >= 2 else limits[0] / 3
            high = limits[band - 1]
            if low >= high:  # COD's Ⅰ and Ⅱ share a limit
                low = high / 2
        values[field] = _between(rng, low, high, places)
    band = min(water_class, rng.choice((2, 3)))
    limits = BY_FIELD["dissolved_oxygen"].limits
    low = limits[band - 1]
    high = limits[band - 2] if band >= 2 else Decimal("9.0")
    values["dissolved_oxygen"] = _between(rng, low, high - Decimal("0.01"), 2)
    return values


def _point(polygons, code: str, rng) -> tuple[Decimal, Decimal]:
    """A point well inside the area: near its representative point, moved a little."""
    polygon = polygons[code]
    anchor = polygon.representative_point()
    for _attempt in range(200):
        x = anchor.x + rng.uniform(-0.012, 0.012)
        y = anchor.y + rng.uniform(-0.012, 0.012)
        found = geo.area_at(y, x)
        if found is not None and found.code == code and polygon.contains(shapely.Point(x, y)):
            break
    else:
        x, y = anchor.x, anchor.y
    return Decimal(f"{y:.6f}"), Decimal(f"{x:.6f}")


def _entry_moment(month: datetime.date) -> datetime.datetime:
    following = (month + datetime.timedelta(days=32)).replace(day=ENTRY_DAY)
    return datetime.datetime.combine(following, datetime.time(10, 30), tzinfo=demo_applications.ZONE)


def _create_sections(rng, department, polygons, person_name) -> list[tuple[MonitoringSection, str]]:
    """The rivers and their sections, with their stories."""
    rivers = {}
    for order, (code, name, name_en, flows_into, length, post, description) in enumerate(RIVERS, start=1):
        rivers[code] = services.save_river(
            None,
            River(
                code=code,
                name=name,
                name_en=name_en,
                flows_into=flows_into,
                length_km=Decimal(length),
                chief=f"{person_name(rng)}({post})",
                department=department,
                description=description,
                order=order,
            ),
        )
    sections = []
    for order, (river, code, name, name_en, level, assessed, area, target, story) in enumerate(
        SECTIONS, start=1
    ):
        latitude, longitude = _point(polygons, area, rng)
        section = services.save_section(
            None,
            MonitoringSection(
                river=rivers[river],
                code=code,
                name=name,
                name_en=name_en,
                level=level,
                assessed=assessed,
                latitude=latitude,
                longitude=longitude,
                target_class=target,
                chief=f"{person_name(rng)}({rng.choice(RIVER_CHIEF_SECTIONS)})",
                department=department,
                order=order,
            ),
        )
        sections.append((section, story))
    return sections


def create_rivers(seed: int, steps, person_name) -> int:
    """Create the rivers, sections and readings; the number of readings."""
    rng = random.Random(f"{seed}:rivers")
    department = Department.objects.get(code=DEPARTMENT)
    recorder = (
        User.objects.filter(department=department, groups__name="department_reviewer", is_active=True)
        .order_by("username")
        .first()
    )
    with open(geo.geojson_path(), encoding="utf-8") as file:
        polygons = {f["properties"]["code"]: shape(f["geometry"]) for f in json.load(file)["features"]}
    now = min(clock.now(), demo_applications.NOW)  # the demo's present: nothing happens after it
    today = now.astimezone(demo_applications.ZONE).date()
    first_month = datetime.date(today.year - YEARS, 1, 1)
    months = []
    month = first_month
    while _entry_moment(month) <= now:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    steps.start(_("河流水质"), len(SECTIONS) * len(months))
    with clock.frozen_at(_entry_moment(first_month) - datetime.timedelta(days=40)):  # set up before the first
        sections = _create_sections(rng, department, polygons, person_name)

    # Month by month, every section's reading on its entry day, as the bureau enters them.
    corrected = None
    for month in months:
        age = today.year - month.year
        with clock.frozen_at(_entry_moment(month)):
            for section, story in sections:
                water_class = _class(story, rng, age, month.month, last=month == months[-1])
                indicators = _indicators(rng, water_class) if age < YEARS else {}
                reading = services.record_reading(
                    recorder,
                    services.Reading(section=section, month=month, water_class=water_class, **indicators),
                    source=WaterReading.Source.IMPORTED if age <= 1 else WaterReading.Source.ENTERED,
                )
                if corrected is None and age == 1 and month.month == 3 and section.code == "LTH-02":
                    corrected = reading
                steps.advance()
    if corrected is not None:
        # The station's review found a transcription error in one month (a digit of ammonia nitrogen).
        with clock.frozen_at(_entry_moment(corrected.month) + datetime.timedelta(days=6)):
            values = {name: getattr(corrected, name) for name in BY_FIELD}
            values["ammonia_nitrogen"] = (values["ammonia_nitrogen"] * Decimal("0.9")).quantize(
                Decimal("0.001")
            )
            services.correct_reading(
                recorder,
                corrected,
                services.Reading(
                    section=corrected.section,
                    month=corrected.month,
                    water_class=corrected.water_class,
                    note="监测站复核后更正",
                    **values,
                ),
                "监测站复核发现氨氮数值录入错误,按复核报告更正。",
            )
    demo_applications.read_what_came_before(demo_applications.NOW - demo_applications.READ_BEFORE)
    return WaterReading.objects.count()


def patrol_sections() -> dict[tuple[str, str], MonitoringSection]:
    """{(river name, area code): section} of the active sections: a river patrol's problem on that river in
    that area was found on the section's reach (`demo.problems` links it)."""
    return {
        (section.river.name, section.area): section
        for section in MonitoringSection.objects.filter(is_active=True)
        .select_related("river")
        .order_by("order")
    }
