"""The zone's areas (街道 and 镇) and which of them a point lies in, from one GeoJSON file.

The file is named by the setting `ZONE_AREAS_GEOJSON`; the demo's is a schematic of the Chongqing
High-tech Zone (`data/zone_areas.geojson`), which an administrator replaces with the real boundaries. It is
read and checked once per process (`validate_geojson` is the check, so a replacement can be tried before it
is installed), and the areas are kept in an STRtree of prepared polygons: finding the area of a reported
problem takes about ten microseconds, cheap enough for every row of an import.

Coordinates are WGS 84 longitude/latitude, as RFC 7946 and the browsers' geolocation give them. Boundaries
copied from a Chinese web map (GCJ-02 or BD-09) are shifted by a few hundred metres and must be converted
first. Maps are drawn by the browser from the same file (static/js/zone_map.js): no tile server.

This module knows no other app of the platform.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import shapely
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.strtree import STRtree

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "zone_areas.geojson"

CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
PROPERTIES = ("code", "name", "name_en", "kind")
POLYGONS = ("Polygon", "MultiPolygon")
# Two areas may share a border, not land: an overlap larger than this (in square degrees, about 1 m²) is
# refused; smaller ones are the rounding of shared borders.
OVERLAP_TOLERANCE = 1e-10


@dataclass(frozen=True)
class Area:
    """One area of the zone: `code` is a stable ASCII slug (stored on problems), `name` its Chinese name,
    `name_en` its name in pinyin, `kind` 街道 (subdistrict) or 镇 (town)."""

    code: str
    name: str
    name_en: str
    kind: str


class Bounds(NamedTuple):
    """The zone's bounding box in degrees (WGS 84)."""

    min_longitude: float
    min_latitude: float
    max_longitude: float
    max_latitude: float


@dataclass(frozen=True)
class _Zone:
    areas: tuple[Area, ...]
    polygons: tuple[shapely.Geometry, ...]  # prepared, in the order of `areas`
    tree: STRtree
    bounds: Bounds


def areas() -> list[Area]:
    """The areas in the order of the file."""
    return list(_zone().areas)


def area_by_code(code: str) -> Area | None:
    return next((area for area in _zone().areas if area.code == code), None)


def area_at(latitude: float, longitude: float) -> Area | None:
    """The area that contains the point, or None outside the zone. A point on a border between two areas
    belongs to the first of them in the file."""
    zone = _zone()
    try:
        x, y = float(longitude), float(latitude)
    except (TypeError, ValueError):
        return None
    if not (zone.bounds.min_longitude <= x <= zone.bounds.max_longitude) or not (
        zone.bounds.min_latitude <= y <= zone.bounds.max_latitude
    ):
        return None
    point = shapely.Point(x, y)
    for index in sorted(zone.tree.query(point).tolist()):
        if zone.polygons[index].intersects(point):  # prepared: a fraction of a microsecond
            return zone.areas[index]
    return None


def in_zone(latitude: float, longitude: float) -> bool:
    return area_at(latitude, longitude) is not None


def zone_bounds() -> Bounds:
    return _zone().bounds


def area_label(area: Area) -> str:
    """The area's name in the active language: Chinese for Chinese, pinyin otherwise."""
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    if language.startswith("zh") or not area.name_en:
        return area.name
    return area.name_en


def geojson_path() -> Path:
    """The file in use, for the view that serves it to the maps' scripts."""
    return Path(getattr(settings, "ZONE_AREAS_GEOJSON", DEFAULT_PATH))


def validate_geojson(text: str | bytes) -> list[Area]:
    """Checks a file of areas as an administrator would install it, and answers its areas.

    A FeatureCollection of Polygon or MultiPolygon features in longitude/latitude, each with the properties
    code (a lower-case ASCII slug), name, name_en and kind; codes and names unique; every geometry valid; no
    two areas overlapping (shared borders are fine, and so are gaps). Raises ValidationError with every
    problem found, in the active language.
    """
    return list(_parse(text)[0])


def _parse(text: str | bytes) -> tuple[tuple[Area, ...], tuple[shapely.Geometry, ...]]:
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValidationError(
            _("区域文件不是有效的 JSON:%(error)s"), code="invalid_json", params={"error": error}
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValidationError(_("区域文件必须是 GeoJSON 的 FeatureCollection。"), code="not_collection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise ValidationError(_("区域文件中没有任何区域。"), code="no_features")

    errors: list[ValidationError] = []
    found: list[tuple[Area, shapely.Geometry]] = []
    codes: set[str] = set()
    names: set[str] = set()
    for number, feature in enumerate(features, start=1):
        area = _area_of(feature, number, errors)
        if area is None:
            continue
        if area.code in codes:
            errors.append(
                ValidationError(_("区域编码重复:%(code)s"), code="duplicate_code", params={"code": area.code})
            )
        if area.name in names:
            errors.append(
                ValidationError(_("区域名称重复:%(name)s"), code="duplicate_name", params={"name": area.name})
            )
        codes.add(area.code)
        names.add(area.name)
        geometry = _geometry_of(feature, area, errors)
        if geometry is not None:
            found.append((area, geometry))
    if not errors:
        errors.extend(_overlaps(found))
    if errors:
        raise ValidationError(errors)
    return tuple(area for area, _geometry in found), tuple(geometry for _area, geometry in found)


def _area_of(feature, number: int, errors: list[ValidationError]) -> Area | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        errors.append(
            ValidationError(
                _("第 %(number)s 个要素不是 GeoJSON 的 Feature。"),
                code="not_feature",
                params={"number": number},
            )
        )
        return None
    properties = feature.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    values = {}
    for key in PROPERTIES:
        value = properties.get(key)
        if not isinstance(value, str) or not value.strip():
            errors.append(
                ValidationError(
                    _("第 %(number)s 个区域缺少属性 %(property)s。"),
                    code="missing_property",
                    params={"number": number, "property": key},
                )
            )
            return None
        values[key] = value.strip()
    if not CODE.match(values["code"]):
        errors.append(
            ValidationError(
                _("区域编码 %(code)s 无效:只能使用小写英文字母、数字、连字符和下划线,最长 50 个字符。"),
                code="invalid_code",
                params={"code": values["code"]},
            )
        )
        return None
    return Area(**values)


def _geometry_of(feature: dict, area: Area, errors: list[ValidationError]) -> shapely.Geometry | None:
    raw = feature.get("geometry")
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind not in POLYGONS:
        errors.append(
            ValidationError(
                _("区域 %(code)s 的几何类型是 %(type)s,只接受 Polygon 或 MultiPolygon。"),
                code="not_polygon",
                params={"code": area.code, "type": kind or "null"},
            )
        )
        return None
    try:
        geometry = shape(raw)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError, ShapelyError):
        geometry = None
    if geometry is None or geometry.is_empty:
        errors.append(
            ValidationError(
                _("区域 %(code)s 的坐标无法读取。"), code="bad_coordinates", params={"code": area.code}
            )
        )
        return None
    west, south, east, north = geometry.bounds
    if west < -180 or east > 180 or south < -90 or north > 90:
        errors.append(
            ValidationError(
                _("区域 %(code)s 的坐标超出经纬度范围:文件应使用 WGS 84 经纬度(RFC 7946)。"),
                code="not_degrees",
                params={"code": area.code},
            )
        )
        return None
    if not geometry.is_valid:
        errors.append(
            ValidationError(
                _("区域 %(code)s 的边界无效:%(reason)s"),
                code="invalid_geometry",
                params={"code": area.code, "reason": shapely.is_valid_reason(geometry)},
            )
        )
        return None
    return geometry


def _overlaps(found: list[tuple[Area, shapely.Geometry]]) -> list[ValidationError]:
    geometries = [geometry for _area, geometry in found]
    tree = STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    errors = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i < j and geometries[i].intersection(geometries[j]).area > OVERLAP_TOLERANCE:
            errors.append(
                ValidationError(
                    _("区域 %(first)s 与 %(second)s 相互重叠。"),
                    code="overlap",
                    params={"first": found[i][0].code, "second": found[j][0].code},
                )
            )
    return errors


@functools.cache
def _zone() -> _Zone:
    path = geojson_path()
    try:
        found, polygons = _parse(path.read_bytes())
    except OSError as error:
        raise ImproperlyConfigured(f"ZONE_AREAS_GEOJSON: cannot read {path}: {error}") from None
    except ValidationError as error:
        raise ImproperlyConfigured(
            f"ZONE_AREAS_GEOJSON: {path} is refused: {'; '.join(error.messages)}"
        ) from None
    for polygon in polygons:
        shapely.prepare(polygon)
    west, south, east, north = shapely.total_bounds(polygons).tolist()
    return _Zone(
        areas=found, polygons=polygons, tree=STRtree(polygons), bounds=Bounds(west, south, east, north)
    )


@receiver(setting_changed)
def _forget_on_setting_change(*, setting, **kwargs):
    """Tests that point the setting at another file read that file."""
    if setting == "ZONE_AREAS_GEOJSON":
        _zone.cache_clear()
