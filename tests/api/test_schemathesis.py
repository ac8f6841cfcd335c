"""schemathesis against the committed schema (docs/api/openapi.yaml): no request it generates makes a 5xx.

Every operation of the schema is one test. Its generated requests (valid and invalid ones, a bounded and
deterministic number) are sent in-process through Django's WSGI handler, with the Bearer token of a few
roles (an applicant in Chinese, and the role the matrix lets take the action, in English). Path ids point at real objects of the access matrix's world (the object the matrix uses for that
endpoint, in the state its action needs) so that bodies reach the services, not only the 404 of a random id.
Throttling is lifted: a 429 is not what this test is about (and would not be a server error either).
"""

import re
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from tests.api.test_matrix import EXPECTED, _object, matrix_world  # noqa: F401  (the module fixture)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"

# The coverage phase adds hundreds of boundary cases per operation whatever max_examples says: the bounded,
# deterministic fuzzing phase (valid and invalid data) is what this test runs.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}})
schema = schemathesis.openapi.from_path(SCHEMA_FILE, config=CONFIG)


@pytest.fixture
def wsgi_app():
    """Django's handler, called directly; like Django's test client, it must not close the connection at the
    end of a request: inside the test's transaction that would drop the world (PostgreSQL closes for real).
    For each test: Django's test client, used by other tests of the module, connects the closing again after
    each of its requests (a module-wide fixture let a later test's requests fail on a closed connection)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def unthrottled(settings):
    """Throttle rates no test reaches (the throttle keeps its own copy of the rates: restore it after)."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    rates = {"anon": "100000/minute", "user": "100000/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    yield
    SimpleRateThrottle.THROTTLE_RATES = original


def matrix_key(method: str, path: str) -> str:
    """`/api/v1/applications/{id}/submit/` → `POST applications/{pk}/submit/` (the matrix's endpoint names)."""
    route = path.removeprefix("/api/v1/")
    route = re.sub(r"\{(id|pk)\}", "{pk}", route)
    return f"{method.upper()} {route}"


def real_path_parameters(world, case, role: str) -> dict:
    """The matrix's object for this endpoint and role in place of generated ids (others keep theirs)."""
    key = matrix_key(case.method, case.operation.path)
    expect = EXPECTED.get(key)
    if expect is None or expect.target is None:
        return {}
    obj = _object(world, expect.target, role, "A")
    side = world.sides["A"]
    params = {}
    for name in case.path_parameters:
        if name in ("id", "pk"):
            params[name] = obj.pk
        elif name == "material_id":
            params[name] = (side["gap_material"] if "gap-materials" in key else side["material"]).pk
        elif name == "code":
            params[name] = obj.verification_code
    return params


def describe(case, role, response) -> str:
    body = response.content[:600].decode(errors="replace") if hasattr(response, "content") else ""
    return (
        f"{case.method} {case.formatted_path} as {role}: {response.status_code}\n"
        f"  query={case.query!r}\n  body={case.body!r}\n  response={body}"
    )


def roles_for(case) -> list[str]:
    """An applicant, and the role the matrix says may take this action (the window for intake, ...)."""
    expect = EXPECTED.get(matrix_key(case.method, case.operation.path))
    roles = ["applicant"]
    if expect is not None:
        roles += [
            r for r, status in expect.statuses.items() if status < 300 and r not in ("anonymous", *roles)
        ][:1]
    return roles


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_a_server_error(case, matrix_world, wsgi_app, unthrottled):  # noqa: F811
    failures = []
    roles = roles_for(case)
    for role in roles:
        secret = matrix_world.secrets[matrix_world.users[role].pk]
        language = "zh-hans" if role == roles[0] else "en"
        headers = {"Authorization": f"Bearer {secret}", "Accept-Language": language}
        attempts = [{}] if role == roles[0] and case.path_parameters else []  # the generated ids, once
        real = real_path_parameters(matrix_world, case, role)
        if real or not case.path_parameters:
            attempts.append(real)
        for params in attempts:
            case.path_parameters.update(params)
            response = case.call(app=wsgi_app, headers=headers)
            if response.status_code >= 500:
                failures.append(describe(case, role, response))
    assert not failures, "server errors:\n" + "\n".join(failures)


HUGE = 2**70  # beyond any database integer


def integer_parameters():
    """(path, name) of every numeric query parameter of a GET list in the committed schema."""
    import yaml

    document = yaml.safe_load(SCHEMA_FILE.read_text())
    for path, item in document["paths"].items():
        if "{" in path:
            continue
        for parameter in item.get("get", {}).get("parameters", []):
            numeric = parameter.get("schema", {}).get("type") in ("integer", "number")
            if numeric and parameter.get("in") == "query" and parameter["name"] != "page_size":
                yield pytest.param(path, parameter["name"], id=f"{path}?{parameter['name']}")


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), list(integer_parameters()))
def test_an_out_of_range_integer_filter_is_not_a_server_error(matrix_world, path, name):  # noqa: F811
    """What schemathesis's coverage phase finds first, kept as a fast check of every integer filter."""
    client = matrix_world.client("administrator")
    client.raise_request_exception = False
    response = client.get(f"{path}?{name}={HUGE}")
    assert response.status_code < 500, f"GET {path}?{name}={HUGE}: {response.status_code}"


@pytest.mark.django_db
def test_extending_a_deadline_past_the_known_calendar_is_not_a_server_error(matrix_world):  # noqa: F811
    """Found by the test above: two 60-day extensions of a task reach 2027, a year the calendar does not
    know yet; that must be a clear client-facing problem, not a 500."""
    client = matrix_world.client("department_head")
    client.raise_request_exception = False
    task = matrix_world.sides["A"]["claimed_task"]
    body = {"days": 60, "reason": "需要专家评审"}
    statuses = [
        client.post(f"/api/v1/tasks/{task.pk}/extend/", body, format="json").status_code for _ in range(3)
    ]
    assert all(status < 500 for status in statuses), statuses


@pytest.mark.django_db
def test_a_department_code_with_a_nul_is_a_clear_error(matrix_world):  # noqa: F811
    """Found by schemathesis on PostgreSQL: a split part naming the department "\\x00" reached the database."""
    client = matrix_world.client("dispatcher")
    client.raise_request_exception = False
    problem = _object(matrix_world, EXPECTED["POST problems/{pk}/split/"].target, "dispatcher", "A")
    body = {"parts": [{"department": "\x00", "title": "拆分"}, {"department": "water", "title": "拆分"}]}
    response = client.post(f"/api/v1/problems/{problem.pk}/split/", body, format="json")
    assert response.status_code == 400, response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["0", "-5", "10000", "2147483648.0", str(HUGE)])
def test_a_year_no_date_can_hold_is_a_clear_error(matrix_world, year):  # noqa: F811
    """Found by schemathesis: the mass starts' `year` (a date's year lookup) built dates from 0 or 2**31 and
    failed as a 500, in the list and in every detail action (`get_object` filters too)."""
    client = matrix_world.client("project_specialist")
    event = _object(matrix_world, "mass_start", "project_specialist", "A")
    for path in ("/api/v1/mass-starts/", f"/api/v1/mass-starts/{event.pk}/projects/"):
        response = client.get(path, {"year": year})
        assert response.status_code == 400, (path, response.content[:300])
        assert [error["field"] for error in response.json()["errors"]] == ["year"], response.json()
    assert client.get("/api/v1/mass-starts/", {"year": event.held_on.year}).json()["results"]


@pytest.mark.django_db
def test_ids_beyond_the_database_in_new_bodies_are_clear_errors(matrix_world):  # noqa: F811
    """A project id beyond 64 bits in a mass start's body reached `pk__in` (SQLite refuses to bind it: a
    500); a month of year 0000 reached `datetime.date`. Both are 400s on their fields."""
    client = matrix_world.client("project_specialist")
    event = _object(matrix_world, "mass_start", "project_specialist", "A")
    for path, body in (
        (f"/api/v1/mass-starts/{event.pk}/projects/", {"projects": [{"project": HUGE}]}),
        (f"/api/v1/mass-starts/{event.pk}/projects/remove/", {"project": HUGE}),
    ):
        response = client.post(path, body, format="json")
        assert response.status_code == 400, (path, response.content[:300])
    reviewer = matrix_world.client("department_reviewer")
    reading = {"section": "MATRIX-01", "month": "0000-04", "water_class": 4}
    response = reviewer.post("/api/v1/water-readings/", reading, format="json")
    assert response.status_code == 400, response.content[:300]
    assert "month" in [error["field"] for error in response.json()["errors"]], response.json()
    response = reviewer.get("/api/v1/water-readings/", {"month_from": "0000-01"})
    assert response.status_code == 400, response.content[:300]


@pytest.mark.django_db
def test_a_server_error_would_be_seen(matrix_world, wsgi_app, monkeypatch):  # noqa: F811
    """Self-check: the in-process transport reports a view that breaks as a 500, which the test counts."""
    from sciencecity.api.views import MeView

    def broken(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(MeView, "get", broken)
    case = schema["/api/v1/me/"]["GET"].Case()
    secret = matrix_world.secrets[matrix_world.users["applicant"].pk]
    response = case.call(app=wsgi_app, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 500
