"""Open311 GeoReport v2 at /open311/v2/: discovery, services and their definitions, reporting with an API key,
reading requests by id, by filters and by token — each in JSON and in XML, and each refusal in the spec's
error document.

Most tests drive the endpoints with Django's test client, as plain form-encoded requests (the POST with
CSRF checks on, to show that a key needs no CSRF token). The tests at the end drive them with the
`georeport` client package instead, as a third party would: it calls `requests.get` at module level, which
opens a new `requests.Session` for every call, so there is no session to mount a transport adapter on; it
therefore talks HTTP to Django's `live_server` (a real server thread on the test database, hence
`transactional_db`). `georeport` has no method that POSTs a request, so those tests POST with `requests`
itself. Every XML answer is parsed with defusedxml.
"""

import datetime
import json

import pytest
import requests
import time_machine
from defusedxml import ElementTree as SafeET
from django.test import Client
from georeport import GeoReport

from sciencecity.api.services import create_token, revoke_token
from sciencecity.problems.models import Problem, ProblemCategory
from sciencecity.problems.services import lifecycle
from sciencecity.workdays import clock
from tests.factories import UserFactory

from .conftest import jpeg, report

ROOT = "/open311/v2/"
S = Problem.Status


@pytest.fixture
def hotline(zone):
    """The account of a third-party app (a 12345 hotline's system) and the secret of its API token."""
    user = UserFactory(username="hotline")
    _token, secret = create_token(user, "12345 热线对接")
    return user, secret


def get_json(client, path, **params):
    response = client.get(ROOT + path, params)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response, json.loads(response.content)


def get_xml(client, path, **params):
    response = client.get(ROOT + path, params)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    return response, SafeET.fromstring(response.content)


def xml_errors(root) -> list[tuple[str, str]]:
    assert root.tag == "errors"
    return [(error.findtext("code"), error.findtext("description")) for error in root.findall("error")]


def post(client, fmt="json", **data):
    return client.post(f"{ROOT}requests.{fmt}", data)


def form(zone, secret, **extra):
    latitude, longitude = zone.inside
    data = {
        "api_key": secret,
        "service_code": "river",
        "lat": str(latitude),
        "long": str(longitude),
        "address_string": "梁滩河虎溪桥",
        "description": "桥下河面大量漂浮垃圾\n气味很大",
        "first_name": "三",
        "last_name": "张",
        "phone": "13800000000",
        "email": "zhang@example.com",
        "device_id": "phone-1",
    }
    data.update(extra)
    return data


# -- discovery and services ------------------------------------------------------------------------------


def test_discovery_in_json_and_xml(client, zone):
    _response, value = get_json(client, "discovery.json")
    [endpoint] = value["endpoints"]
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert "/me/tokens/" in value["key_service"]

    _response, root = get_xml(client, "discovery.xml")
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2/"
    assert {f.text for f in root.findall("endpoints/endpoint/formats/format")} == {
        "text/xml",
        "application/json",
    }


def test_services_list_the_active_categories_in_the_requested_language(client, zone):
    ProblemCategory.objects.create(code="retired", name="已停用类别", is_active=False)
    _response, value = get_json(client, "services.json")
    by_code = {service["service_code"]: service for service in value}
    assert set(by_code) == {"river", "site-safety", "other", "scattered"}
    river = by_code["river"]
    assert river["service_name"] == "河道污染"  # Chinese by default
    assert river["type"] == "realtime" and river["metadata"] is True
    assert river["group"] == "生态环境局"  # its rule for every area
    assert by_code["other"]["group"] == ""  # the dispatch centre decides
    assert "River pollution" in river["keywords"]

    _response, value = get_json(client, "services.json", locale="en_US")
    assert {s["service_code"]: s["service_name"] for s in value}["river"] == "River pollution"
    response = client.get(ROOT + "services.json", headers={"accept-language": "en"})
    assert {s["service_code"]: s["service_name"] for s in json.loads(response.content)}[
        "river"
    ] == "River pollution"

    _response, root = get_xml(client, "services.xml")
    services = {s.findtext("service_code"): s for s in root.findall("service")}
    assert set(services) == {"river", "site-safety", "other", "scattered"}
    assert services["river"].findtext("service_name") == "河道污染"
    assert services["river"].findtext("metadata") == "true"


def test_a_service_definition_derives_its_attributes_from_the_category(client, zone):
    _response, value = get_json(client, "services/river.json")
    assert value["service_code"] == "river"
    assert [(a["code"], a["required"], a["datatype"], a["order"]) for a in value["attributes"]] == [
        ("address_detail", False, "string", 1)
    ]
    _response, value = get_json(client, "services/scattered.json")
    assert [(a["code"], a["required"]) for a in value["attributes"]] == [
        ("address_detail", False),
        ("enterprise_name", True),
    ]

    _response, root = get_xml(client, "services/scattered.xml")
    assert root.tag == "service_definition"
    attributes = root.findall("attributes/attribute")
    assert [(a.findtext("code"), a.findtext("required")) for a in attributes] == [
        ("address_detail", "false"),
        ("enterprise_name", "true"),
    ]


def test_an_unknown_service_is_a_404_in_both_formats(client, zone):
    response, value = get_json(client, "services/nope.json")
    assert response.status_code == 404
    assert value == [{"code": 404, "description": "没有编码为 nope 的服务。"}]
    response, root = get_xml(client, "services/nope.xml")
    assert response.status_code == 404
    assert xml_errors(root) == [("404", "没有编码为 nope 的服务。")]


# -- POST requests ---------------------------------------------------------------------------------------


def test_a_report_with_a_key_is_made_by_the_tokens_owner(zone, hotline):
    user, secret = hotline
    client = Client(enforce_csrf_checks=True)  # a key, not a cookie: no CSRF token needed
    response = post(client, **form(zone, secret, **{"attribute[address_detail]": "3号桥墩"}))
    assert response.status_code == 201, response.content
    [answer] = json.loads(response.content)
    problem = Problem.objects.get(number=answer["service_request_id"])
    assert problem.source == Problem.Source.OPEN311
    assert problem.reporter == user
    assert problem.reporter_name == "张三" and problem.reporter_phone == "13800000000"
    assert problem.title == "桥下河面大量漂浮垃圾"
    assert problem.address == "梁滩河虎溪桥 3号桥墩"
    assert problem.status == S.DISPATCHED and problem.department == zone.environment
    assert answer["service_notice"] == f"已派往生态环境局,办理期限 {problem.due_date.isoformat()}。"
    assert "token" not in answer

    response = post(client, "xml", **form(zone, secret))
    assert response.status_code == 201
    root = SafeET.fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert Problem.objects.filter(number=number, source="open311").exists()


def test_a_required_attribute_is_kept_in_the_description(zone, hotline):
    _user, secret = hotline
    client = Client()
    response = post(client, **form(zone, secret, service_code="scattered"))
    assert response.status_code == 400
    assert json.loads(response.content) == [
        {"code": 400, "description": "请提供属性 attribute[enterprise_name]。"}
    ]

    response = post(
        client, **form(zone, secret, service_code="scattered", **{"attribute[enterprise_name]": "某某五金厂"})
    )
    assert response.status_code == 201
    problem = Problem.objects.get(number=json.loads(response.content)[0]["service_request_id"])
    assert problem.description.endswith("\n涉及企业:某某五金厂")


def test_a_retried_post_with_an_idempotency_key_reports_once(zone, hotline):
    _user, secret = hotline
    client = Client()
    data = form(zone, secret)
    headers = {"Idempotency-Key": "hotline-20261118-0001"}
    first = client.post(f"{ROOT}requests.json", data, headers=headers)
    assert first.status_code == 201
    again = client.post(
        f"{ROOT}requests.xml", data, headers=headers
    )  # the answer was lost: the client retries
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    [answer] = json.loads(first.content)
    assert (
        SafeET.fromstring(again.content).findtext("request/service_request_id")
        == answer["service_request_id"]
    )
    assert Problem.objects.count() == 1
    # The same key for another report is refused; a refused report stores no answer for its key.
    other = client.post(f"{ROOT}requests.json", {**data, "description": "另一处垃圾"}, headers=headers)
    assert other.status_code == 400 and "幂等键" in json.loads(other.content)[0]["description"]
    refused = {"Idempotency-Key": "hotline-20261118-0002"}
    assert (
        client.post(f"{ROOT}requests.json", {**data, "service_code": "nope"}, headers=refused).status_code
        == 400
    )
    assert client.post(f"{ROOT}requests.json", data, headers=refused).status_code == 201
    assert Problem.objects.count() == 2


@pytest.mark.parametrize("key", [None, "", "sc_not-a-key"])
def test_without_a_valid_key_nothing_is_reported(client, zone, hotline, key):
    data = form(zone, key or "")
    if key is None:
        del data["api_key"]
    response = post(client, **data)
    assert response.status_code == 403
    assert json.loads(response.content) == [{"code": 403, "description": "api_key 缺失、无效或已吊销。"}]
    response = post(client, "xml", **data)
    assert response.status_code == 403
    assert xml_errors(SafeET.fromstring(response.content)) == [("403", "api_key 缺失、无效或已吊销。")]
    assert not Problem.objects.exists()


def test_a_revoked_key_reports_nothing(client, zone, hotline):
    user, secret = hotline
    revoke_token(user, user.api_tokens.get())
    assert post(client, **form(zone, secret)).status_code == 403


def test_bad_input_is_a_400_with_the_spec_errors(client, zone, hotline):
    _user, secret = hotline
    cases = {
        "unknown service": ({"service_code": "nope"}, "未知的 service_code:nope"),
        "no service": ({"service_code": ""}, "请提供 service_code。"),
        "outside the zone": (
            {"lat": str(zone.outside[0]), "long": str(zone.outside[1])},
            "lat: 该位置不在园区范围内。",
        ),
        "not a number": ({"lat": "north"}, "lat 和 long 须同时填写,且为十进制度数(WGS 84)。"),
        # We do not geocode: an address alone does not say where the problem is.
        "address only": ({"lat": "", "long": ""}, "lat: 请在地图上标出问题位置,或使用当前位置。"),
        "no description": ({"description": ""}, "description: 请描述问题。"),
    }
    for name, (changes, description) in cases.items():
        response = post(client, **form(zone, secret, **changes))
        assert response.status_code == 400, name
        assert {"code": 400, "description": description} in json.loads(response.content), name
        response = post(client, "xml", **form(zone, secret, **changes))
        assert response.status_code == 400, name
        assert ("400", description) in xml_errors(SafeET.fromstring(response.content)), name
    assert not Problem.objects.exists()


# -- GET a request, and tokens ---------------------------------------------------------------------------


def reported(zone, **fields):
    return report(zone, source="open311", reporter_name="张三", reporter_phone="13800000000", **fields)


def test_a_request_by_id_shows_no_personal_data(client, zone):
    problem = reported(zone, address="梁滩河虎溪桥", photos=[jpeg()])
    lifecycle.accept_problem(zone.env_reviewer, problem, "已安排保洁船今日打捞")
    problem.refresh_from_db()

    response, [value] = get_json(client, f"requests/{problem.number}.json")
    assert response.status_code == 200
    assert value["service_request_id"] == problem.number
    assert value["status"] == "open"
    assert value["status_notes"] == "已安排保洁船今日打捞"
    assert value["service_code"] == "river" and value["service_name"] == "河道污染"
    assert value["agency_responsible"] == "生态环境局"
    assert value["requested_datetime"].endswith("+08:00")
    assert datetime.datetime.fromisoformat(value["updated_datetime"]) >= datetime.datetime.fromisoformat(
        value["requested_datetime"]
    )
    assert value["expected_datetime"] == f"{problem.due_date.isoformat()}T23:59:59+08:00"
    assert value["address"] == "梁滩河虎溪桥"
    assert (value["lat"], value["long"]) == zone.inside
    photo = problem.photos.get()
    assert value["media_url"] == f"http://testserver/problems/photos/{photo.pk}/"
    body = response.content.decode()
    for secret in ("张三", "13800000000", problem.follow_up_code, zone.citizen.username):
        assert secret not in body

    response, root = get_xml(client, f"requests/{problem.number.lower()}.xml")
    [request] = root.findall("request")
    assert request.findtext("service_request_id") == problem.number
    assert request.findtext("status") == "open"
    assert request.findtext("agency_responsible") == "生态环境局"
    assert float(request.findtext("lat")) == zone.inside[0]
    assert "13800000000" not in response.content.decode()


def test_a_request_without_photo_or_department(client, zone):
    problem = reported(zone, category=zone.unrouted)
    _response, [value] = get_json(client, f"requests/{problem.number}.json")
    assert value["media_url"] == "" and value["agency_responsible"] == ""
    assert value["service_notice"] == "等待指挥中心派遣。"
    assert value["status_notes"] == "" and value["expected_datetime"] == ""


def test_status_notes_never_show_internal_notes(client, zone):
    problem = reported(zone)
    lifecycle.return_problem(zone.env_reviewer, problem, "内部:不属于本局职责,请改派建设局")
    lifecycle.dispatch_problem(zone.dispatcher, problem, zone.environment, "内部:请生态环境局牵头")
    _response, [value] = get_json(client, f"requests/{problem.number}.json")
    assert value["status_notes"] == ""
    assert "内部" not in get_xml(client, f"requests/{problem.number}.xml")[0].content.decode()
    lifecycle.accept_problem(zone.env_reviewer, problem, "已安排人员处理")
    _response, [value] = get_json(client, f"requests/{problem.number}.json")
    assert value["status_notes"] == "已安排人员处理"


def test_unknown_and_internal_requests_are_404(client, zone):
    inspection = report(zone, zone.inspector, source="quality_inspection")
    for number in ("WT000", inspection.number):
        response, value = get_json(client, f"requests/{number}.json")
        assert response.status_code == 404
        assert value == [{"code": 404, "description": f"没有编号为 {number} 的服务请求。"}]
        response, root = get_xml(client, f"requests/{number}.xml")
        assert response.status_code == 404 and xml_errors(root)[0][0] == "404"


def test_a_token_is_the_request_id(client, zone):
    problem = reported(zone)
    _response, value = get_json(client, f"tokens/{problem.number}.json")
    assert value == [{"service_request_id": problem.number, "token": problem.number}]
    _response, root = get_xml(client, f"tokens/{problem.number}.xml")
    assert root.findtext("request/service_request_id") == problem.number
    assert root.findtext("request/token") == problem.number
    response, value = get_json(client, "tokens/nope.json")
    assert response.status_code == 404 and value[0]["code"] == 404


# -- GET requests ----------------------------------------------------------------------------------------


def numbers_json(client, **params) -> list[str]:
    response, value = get_json(client, "requests.json", **params)
    assert response.status_code == 200, value
    return [row["service_request_id"] for row in value]


def numbers_xml(client, **params) -> list[str]:
    response, root = get_xml(client, "requests.xml", **params)
    assert response.status_code == 200, response.content
    return [request.findtext("service_request_id") for request in root.findall("request")]


def both(client, **params) -> list[str]:
    found = numbers_json(client, **params)
    assert numbers_xml(client, **params) == found
    return found


@pytest.fixture
def history(zone):
    """Four requests over four months, newest first in the answers; one dismissed; one internal finding."""
    now = clock.now()
    made = {}
    for name, days_ago, category in (
        ("old", 120, zone.river),
        ("spring", 60, zone.site),
        ("recent", 10, zone.unrouted),
        ("today", 0, zone.river),
    ):
        with time_machine.travel(now - datetime.timedelta(days=days_ago), tick=False):
            made[name] = reported(zone, category=category)
    lifecycle.dismiss_problem(zone.dispatcher, made["recent"], "重复反映,已在处理")
    made["internal"] = report(zone, zone.inspector, source="quality_inspection")
    return {name: Problem.objects.get(pk=problem.pk) for name, problem in made.items()}


def test_the_list_defaults_to_the_last_90_days_of_public_requests(client, zone, history):
    assert both(client) == [history[n].number for n in ("today", "recent", "spring")]


def test_the_list_answers_in_a_fixed_number_of_queries_and_as_the_single_request(
    client, zone, history, django_assert_max_num_queries
):
    # A merged request names its survivor; more rows, with photos and several departments, add no query.
    survivor = history["today"]
    duplicate = reported(zone, point=zone.points[zone.second], photos=[jpeg()])
    lifecycle.merge_problem(zone.dispatcher, duplicate, survivor, "同一处垃圾")
    for _ in range(3):
        reported(zone, point=zone.points[zone.second], photos=[jpeg()])
    with django_assert_max_num_queries(8):  # session-less: the rows, categories, departments, survivors
        _response, listed = get_json(client, "requests.json")
    assert len(listed) == 7
    for row in listed:
        _response, [single] = get_json(client, f"requests/{row['service_request_id']}.json")
        assert single == row
    merged = next(row for row in listed if row["service_request_id"] == duplicate.number)
    assert merged["status"] == "closed" and survivor.number in merged["service_notice"]


def test_the_list_filters_by_status(client, zone, history):
    assert both(client, status="closed") == [history["recent"].number]
    assert both(client, status="open") == [history["today"].number, history["spring"].number]
    assert len(both(client, status="open,closed")) == 3
    response, value = get_json(client, "requests.json", status="pending")
    assert response.status_code == 400 and value[0]["description"] == "status 只能是 open 或 closed。"
    _response, [closed] = get_json(client, f"requests/{history['recent'].number}.json")
    assert closed["status"] == "closed" and closed["status_notes"] == "重复反映,已在处理"


def test_the_list_filters_by_service_code(client, zone, history):
    assert both(client, service_code="river") == [history["today"].number]
    assert both(client, service_code="river,site-safety") == [
        history["today"].number,
        history["spring"].number,
    ]
    response, value = get_json(client, "requests.json", service_code="river,nope")
    assert response.status_code == 400
    assert value == [{"code": 400, "description": "未知的 service_code:nope"}]
    response, root = get_xml(client, "requests.xml", service_code="nope")
    assert response.status_code == 400 and xml_errors(root) == [("400", "未知的 service_code:nope")]


def test_the_list_filters_by_dates(client, zone, history):
    now = clock.now()
    start = (now - datetime.timedelta(days=130)).isoformat()
    end = (now - datetime.timedelta(days=50)).isoformat()
    assert both(client, start_date=start, end_date=end) == [history["spring"].number, history["old"].number]
    # One end alone spans 90 days from it; UTC ("Z") and days alone are understood.
    utc = (now - datetime.timedelta(days=130)).astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert both(client, start_date=utc) == [history["spring"].number, history["old"].number]
    assert both(client, end_date=(now - datetime.timedelta(days=50)).date().isoformat()) == [
        history["spring"].number,
        history["old"].number,
    ]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"start_date": "yesterday"}, "start_date 不是 ISO 8601 时间,例如 2026-01-01T00:00:00+08:00。"),
        ({"end_date": "2026-13-45"}, "end_date 不是 ISO 8601 时间,例如 2026-01-01T00:00:00+08:00。"),
        ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "start_date 不能晚于 end_date。"),
        ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "查询的时间范围不能超过 90 天。"),
    ],
)
def test_bad_dates_are_a_400(client, zone, params, description):
    response, value = get_json(client, "requests.json", **params)
    assert response.status_code == 400 and value == [{"code": 400, "description": description}]
    response, root = get_xml(client, "requests.xml", **params)
    assert response.status_code == 400 and xml_errors(root) == [("400", description)]


def test_ids_override_every_other_filter(client, zone, history):
    wanted = [history["old"].number, history["today"].number.lower(), history["internal"].number, "WT000"]
    found = both(client, service_request_id=",".join(wanted), status="closed", service_code="other")
    assert found == [history["today"].number, history["old"].number]


def test_the_list_stops_at_1000_in_one_query(client, zone, django_assert_max_num_queries):
    """1001 public requests in the period: the newest 1000 come back, read in one query whatever their
    number (the notes, update times and photos are subqueries, not a query a row)."""
    now = clock.now()
    Problem.objects.bulk_create(
        Problem(
            number=f"WT2026{index:08d}",
            title="河面漂浮垃圾",
            description="漂浮垃圾",
            category=zone.river,
            source=Problem.Source.OPEN311,
            status=S.REPORTED,
            latitude=zone.inside[0],
            longitude=zone.inside[1],
            follow_up_code=f"C{index:07d}",
            reported_at=now - datetime.timedelta(minutes=index),
        )
        for index in range(1001)
    )
    with django_assert_max_num_queries(2):
        found = numbers_json(client)
    assert len(found) == 1000
    assert found[0] == "WT202600000000" and "WT202600001000" not in found
    assert len(numbers_xml(client)) == 1000


def test_other_methods_and_addresses_answer_in_the_spec_format(client, zone):
    response = client.post(ROOT + "services.json")
    assert response.status_code == 405 and json.loads(response.content)[0]["code"] == 405
    response = client.get(ROOT + "nothing-here.xml")
    assert response.status_code == 404 and xml_errors(SafeET.fromstring(response.content))[0][0] == "404"


def test_a_client_supplied_angle_bracket_is_escaped_by_the_xml_library(client, zone):
    problem = reported(zone, description="<script>alert(1)</script> & 垃圾")
    response = client.get(f"{ROOT}requests/{problem.number}.xml")
    assert b"<script>" not in response.content
    assert (
        SafeET.fromstring(response.content).findtext("request/description")
        == "<script>alert(1)</script> & 垃圾"
    )


# -- the georeport client over HTTP ----------------------------------------------------------------------


@pytest.fixture
def served(transactional_db, live_server, zone, hotline):
    _user, secret = hotline
    return f"{live_server.url}{ROOT}", secret


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_and_a_form_post_reports(served, zone, fmt):
    root, secret = served
    api = GeoReport(root, output_format=fmt)
    services = api.get_service_list()
    assert {service["service_code"] for service in services} == {"river", "site-safety", "other", "scattered"}
    definition = api.get_service_definition("river")
    assert definition["service_code"] == "river"

    # georeport cannot POST: a form POST with requests, as its users do.
    answer = requests.post(f"{root}requests.{fmt}", data=form(zone, secret), timeout=10)
    assert answer.status_code == 201
    if fmt == "json":
        number = answer.json()[0]["service_request_id"]
    else:
        number = SafeET.fromstring(answer.content).findtext("request/service_request_id")

    request = api.get_service_request(number)
    assert request["service_request_id"] == number and request["status"] == "open"
    assert request["agency_responsible"] == "生态环境局"
    found = api.get_service_requests(status="open", service_code="river")
    # xmltodict answers a lone <request> as a dict, a list only for several.
    found = found if isinstance(found, list) else [found]
    assert [row["service_request_id"] for row in found] == [number]

    refused = requests.post(f"{root}requests.{fmt}", data=form(zone, "sc_wrong"), timeout=10)
    assert refused.status_code == 403
    with pytest.raises(requests.HTTPError):
        api.get_service_definition("nope")
