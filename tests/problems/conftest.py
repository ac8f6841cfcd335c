"""A small zone for the problem tests: two departments with their people, a dispatch centre, an inspector, a
citizen with an account, categories with routing rules, and points inside and outside the zone's areas."""

import io
import json
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from shapely.geometry import shape

from sciencecity.problems import geo
from sciencecity.problems.models import ProblemCategory, RoutingRule
from sciencecity.problems.services import lifecycle
from tests.factories import DepartmentFactory, EnterpriseFactory, UserFactory, staff


def area_points() -> dict:
    """{area code: (latitude, longitude)} of a point inside each area of the zone's GeoJSON."""
    with open(geo.geojson_path(), encoding="utf-8") as file:
        features = json.load(file)["features"]
    points = {}
    for feature in features:
        point = shape(feature["geometry"]).representative_point()
        points[feature["properties"]["code"]] = (round(point.y, 6), round(point.x, 6))
    return points


def jpeg(size=(64, 48), *, gps: bool = False) -> SimpleUploadedFile:
    """A small JPEG, with an EXIF GPS block and camera make when asked."""
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "TestCam"  # Make
        exif[0x8825] = {1: "N", 2: (29.0, 36.0, 0.0), 3: "E", 4: (106.0, 18.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile("IMG_0001.jpg", out.getvalue(), content_type="image/jpeg")


@pytest.fixture
def zone(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    points = area_points()
    codes = sorted(points)
    first, second = codes[0], codes[1]
    environment = DepartmentFactory(code="env", name="生态环境局")
    construction = DepartmentFactory(code="build", name="建设局")
    river = ProblemCategory.objects.create(
        code="river", name="河道污染", name_en="River pollution", deadline_days=5, verifier="inspector"
    )
    site = ProblemCategory.objects.create(
        code="site-safety", name="工地安全隐患", deadline_days=3, verifier="reporter", evidence_required=False
    )
    unrouted = ProblemCategory.objects.create(
        code="other", name="其他问题", deadline_days=10, verifier="dispatch"
    )
    ledger = ProblemCategory.objects.create(
        code="scattered", name="散乱污", deadline_days=20, verifier="dispatch", in_remediation_ledger=True
    )
    RoutingRule.objects.create(category=river, area="", department=environment)
    RoutingRule.objects.create(category=river, area=second, department=construction)  # the area's rule wins
    RoutingRule.objects.create(category=site, area="", department=construction)
    RoutingRule.objects.create(category=ledger, area="", department=environment)
    enterprise = EnterpriseFactory()
    return SimpleNamespace(
        points=points,
        first=first,
        second=second,
        inside=points[first],
        outside=(30.9, 108.5),
        environment=environment,
        construction=construction,
        river=river,
        site=site,
        unrouted=unrouted,
        ledger=ledger,
        enterprise=enterprise,
        env_reviewer=staff("department_reviewer", environment, username="env-reviewer"),
        env_head=staff("department_head", environment, username="env-head"),
        build_reviewer=staff("department_reviewer", construction, username="build-reviewer"),
        dispatcher=staff("dispatcher", username="dispatcher"),
        inspector=staff("inspector", username="inspector"),
        leader=staff("leader", username="leader"),
        citizen=UserFactory(username="citizen"),
        applicant=UserFactory(username="applicant", enterprise=enterprise, roles=["applicant"]),
    )


def report(zone, user=None, *, category=None, point=None, photos=(), **fields):
    """A problem reported by `user` (the citizen by default) at `point` (inside the first area)."""
    latitude, longitude = point or zone.inside
    data = lifecycle.Report(
        category=category or zone.river,
        title=fields.pop("title", "河面漂浮垃圾"),
        description=fields.pop("description", "梁滩河桥下河面大量漂浮垃圾,有异味。"),
        source=fields.pop("source", "citizen"),
        latitude=latitude,
        longitude=longitude,
        **fields,
    )
    return lifecycle.report_problem(zone.citizen if user is None else user, data, photos)
