"""The zone's areas: the demo's schematic file tiles the zone, every area is found by a point inside it, points
outside find none, and an administrator's replacement file is refused with a reason when it is not fit."""

import json

import pytest
import shapely
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import translation
from shapely.geometry import shape

from sciencecity.problems import geo

DEMO_CODES = {
    "huxi",
    "xianglushan",
    "xiyong",
    "baishiyi",
    "hangu",
    "jinfeng",
    "bafu",
    "zengjia",
    "zouma",
    "shiban",
}


def demo_features():
    return json.loads(geo.DEFAULT_PATH.read_text(encoding="utf-8"))["features"]


def square(code, name, west, south, size=0.1, name_en=None, kind="镇"):
    ring = [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "name_en": name_en or code.title(), "kind": kind},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def collection(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False)


def refusals(text):
    with pytest.raises(ValidationError) as refused:
        geo.validate_geojson(text)
    return refused.value.messages


def test_the_demo_file_is_ten_areas_that_tile_the_zone_without_overlapping():
    geometries = [shape(feature["geometry"]) for feature in demo_features()]
    assert {feature["properties"]["code"] for feature in demo_features()} == DEMO_CODES
    union = shapely.union_all(geometries)
    assert union.geom_type == "Polygon" and not union.interiors, "the areas leave a gap"
    assert union.area == pytest.approx(sum(g.area for g in geometries)), "two areas overlap"
    west, south, east, north = union.bounds
    assert 106.2 < west < east < 106.5 and 29.4 < south < north < 29.75
    assert [area.code for area in geo.validate_geojson(geo.DEFAULT_PATH.read_bytes())] == [
        feature["properties"]["code"] for feature in demo_features()
    ]


@pytest.mark.parametrize("feature", demo_features(), ids=lambda feature: feature["properties"]["code"])
def test_every_area_is_found_by_a_point_inside_it(feature):
    inside = shape(feature["geometry"]).representative_point()
    area = geo.area_at(latitude=inside.y, longitude=inside.x)
    assert area is not None and area.code == feature["properties"]["code"]
    assert geo.in_zone(inside.y, inside.x)


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (39.9042, 116.4074),  # Beijing
        (29.5630, 106.5516),  # Jiefangbei, Yuzhong: Chongqing, but east of the zone
        (29.40, 106.30),  # just south of the zone
        (29.60, 106.20),  # just west of it
        (0, 0),
        (-29.60, -106.30),  # latitude and longitude with the wrong signs
        (106.30, 29.60),  # latitude and longitude swapped
    ],
)
def test_points_outside_the_zone_find_no_area(latitude, longitude):
    assert geo.area_at(latitude, longitude) is None
    assert not geo.in_zone(latitude, longitude)


def test_coordinates_that_are_not_numbers_find_no_area():
    assert geo.area_at(None, None) is None
    assert geo.area_at("north", "west") is None
    assert geo.area_at("29.60", "106.31") is not None  # a form's text is read as a number


def test_the_zone_bounds_hold_every_area():
    bounds = geo.zone_bounds()
    assert bounds.min_longitude < bounds.max_longitude and bounds.min_latitude < bounds.max_latitude
    for feature in demo_features():
        west, south, east, north = shape(feature["geometry"]).bounds
        assert bounds.min_longitude <= west and east <= bounds.max_longitude
        assert bounds.min_latitude <= south and north <= bounds.max_latitude


def test_areas_are_named_in_both_languages():
    areas = geo.areas()
    assert {area.code for area in areas} == DEMO_CODES
    assert {area.kind for area in areas} == {"街道", "镇"}
    huxi = geo.area_by_code("huxi")
    assert huxi == geo.Area(code="huxi", name="虎溪街道", name_en="Huxi Subdistrict", kind="街道")
    assert geo.area_by_code("nowhere") is None
    with translation.override("zh-hans"):
        assert geo.area_label(huxi) == "虎溪街道"
        assert geo.area_label(geo.area_by_code("zengjia")) == "曾家镇"
    with translation.override("en"):
        assert geo.area_label(huxi) == "Huxi Subdistrict"
        assert geo.area_label(geo.area_by_code("zengjia")) == "Zengjia Town"
    for area in areas:
        assert area.name_en.isascii() and not area.name.isascii()
        assert area.name_en.endswith("Subdistrict" if area.kind == "街道" else "Town")


def test_an_administrators_file_replaces_the_demo_areas(settings, tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_text(collection(square("east", "东区", 100.0, 30.0), square("west", "西区", 99.9, 30.0)))
    settings.ZONE_AREAS_GEOJSON = path
    assert [area.code for area in geo.areas()] == ["east", "west"]
    assert geo.area_at(30.05, 100.05).code == "east"
    assert geo.area_at(30.05, 99.95).code == "west"
    assert geo.area_at(30.05, 100.0).code == "east", "a point on a shared border belongs to the first area"
    assert geo.area_at(29.60, 106.31) is None
    assert geo.geojson_path() == path


def test_a_file_that_is_not_fit_stops_the_areas_with_its_reasons(settings, tmp_path):
    path = tmp_path / "areas.geojson"
    path.write_text(collection(square("east", "东区", 100.0, 30.0), square("east", "西区", 99.9, 30.0)))
    settings.ZONE_AREAS_GEOJSON = path
    with pytest.raises(ImproperlyConfigured, match="区域编码重复:east"):
        geo.areas()
    settings.ZONE_AREAS_GEOJSON = tmp_path / "missing.geojson"
    with pytest.raises(ImproperlyConfigured, match="cannot read"):
        geo.area_at(29.60, 106.31)


def test_overlapping_areas_are_refused():
    overlapping = collection(square("a", "甲", 100.0, 30.0), square("b", "乙", 100.05, 30.05))
    assert refusals(overlapping) == ["区域 a 与 b 相互重叠。"]
    inside = collection(square("a", "甲", 100.0, 30.0), square("b", "乙", 100.02, 30.02, size=0.01))
    assert refusals(inside) == ["区域 a 与 b 相互重叠。"]
    sharing_a_border = collection(square("a", "甲", 100.0, 30.0), square("b", "乙", 100.1, 30.0))
    assert [area.code for area in geo.validate_geojson(sharing_a_border)] == ["a", "b"]
    with_a_gap = collection(square("a", "甲", 100.0, 30.0), square("b", "乙", 100.2, 30.0))
    assert len(geo.validate_geojson(with_a_gap)) == 2


def test_duplicate_codes_and_names_are_refused():
    text = collection(
        square("a", "甲", 100.0, 30.0), square("a", "乙", 100.1, 30.0), square("c", "甲", 100.2, 30.0)
    )
    assert refusals(text) == ["区域编码重复:a", "区域名称重复:甲"]


def test_geometries_other_than_polygons_are_refused():
    point = square("p", "点", 100.0, 30.0)
    point["geometry"] = {"type": "Point", "coordinates": [100.0, 30.0]}
    line = square("l", "线", 100.2, 30.0)
    line["geometry"] = {"type": "LineString", "coordinates": [[100.0, 30.0], [100.1, 30.1]]}
    missing = square("m", "无", 100.4, 30.0)
    missing["geometry"] = None
    assert refusals(collection(point, line, missing, square("ok", "好", 100.6, 30.0))) == [
        "区域 p 的几何类型是 Point,只接受 Polygon 或 MultiPolygon。",
        "区域 l 的几何类型是 LineString,只接受 Polygon 或 MultiPolygon。",
        "区域 m 的几何类型是 null,只接受 Polygon 或 MultiPolygon。",
    ]


def test_a_multipolygon_is_an_area():
    two_parts = square("two", "两块", 100.0, 30.0)
    two_parts["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [
            square("x", "x", 100.0, 30.0)["geometry"]["coordinates"],
            square("y", "y", 100.5, 30.0)["geometry"]["coordinates"],
        ],
    }
    assert [area.code for area in geo.validate_geojson(collection(two_parts))] == ["two"]


def test_invalid_and_unreadable_geometries_are_refused():
    bow_tie = square("bow", "蝴蝶结", 100.0, 30.0)
    bow_tie["geometry"]["coordinates"] = [
        [[100.0, 30.0], [100.1, 30.1], [100.1, 30.0], [100.0, 30.1], [100.0, 30.0]]
    ]
    garbled = square("bad", "乱码", 100.5, 30.0)
    garbled["geometry"]["coordinates"] = "somewhere"
    metres = square("metres", "米制", 11_830_000.0, 3_440_000.0, size=1000.0)  # Web Mercator, not degrees
    messages = refusals(collection(bow_tie, garbled, metres))
    assert messages[0].startswith("区域 bow 的边界无效:Self-intersection")
    assert messages[1:] == [
        "区域 bad 的坐标无法读取。",
        "区域 metres 的坐标超出经纬度范围:文件应使用 WGS 84 经纬度(RFC 7946)。",
    ]


def test_invalid_json_is_refused():
    (message,) = refusals('{"type": "FeatureCollection", "features": [')
    assert message.startswith("区域文件不是有效的 JSON:")
    (message,) = refusals(b"\xff\xfe not text")
    assert message.startswith("区域文件不是有效的 JSON:")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": "Feature"}', "区域文件必须是 GeoJSON 的 FeatureCollection。"),
        ("[]", "区域文件必须是 GeoJSON 的 FeatureCollection。"),
        ('{"type": "FeatureCollection", "features": []}', "区域文件中没有任何区域。"),
        ('{"type": "FeatureCollection", "features": [42]}', "第 1 个要素不是 GeoJSON 的 Feature。"),
    ],
)
def test_a_file_that_is_not_a_collection_of_features_is_refused(text, message):
    assert refusals(text) == [message]


def test_missing_properties_and_bad_codes_are_refused():
    no_english = square("a", "甲", 100.0, 30.0)
    del no_english["properties"]["name_en"]
    no_properties = square("b", "乙", 100.1, 30.0)
    no_properties["properties"] = None
    upper_case = square("Huxi", "虎溪", 100.2, 30.0)
    assert refusals(collection(no_english, no_properties, upper_case)) == [
        "第 1 个区域缺少属性 name_en。",
        "第 2 个区域缺少属性 code。",
        "区域编码 Huxi 无效:只能使用小写英文字母、数字、连字符和下划线,最长 50 个字符。",
    ]
