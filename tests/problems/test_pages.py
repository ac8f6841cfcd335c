"""The problem pages: reporting (signed in and without an account, rate-limited), the lists, the problem page
and its actions, the public follow-up page, the statistics, the ledger and its Excel export, the areas' map."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sciencecity.problems.models import Problem
from sciencecity.problems.services import lifecycle

from .conftest import jpeg, report

S = Problem.Status


def login(client, user):
    client.force_login(user)
    return client


def report_form(zone, **extra):
    lat, lon = zone.inside
    return {
        "category": zone.river.pk,
        "title": "河面漂浮垃圾",
        "description": "梁滩河桥下河面大量漂浮垃圾。",
        "latitude": f"{lat}",
        "longitude": f"{lon}",
        "address": "梁滩河曾家段",
        **extra,
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_report_form_speaks_both_languages(client, zone, language):
    client.cookies["django_language"] = language
    response = client.get(reverse("problems:report"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    text = response.content.decode()
    assert 'capture="environment"' in text and 'accept="image/*"' in text
    assert ("报告问题" in text) if language == "zh-hans" else ("Report a problem" in text)


def test_a_citizen_reports_without_an_account_and_follows_by_code(client, zone):
    response = client.post(
        reverse("problems:report"),
        report_form(zone, reporter_phone="13800000000", photos=[jpeg(gps=True)]),
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert problem.reporter is None and problem.source == "citizen"
    follow = client.get(response["Location"])
    assert problem.follow_up_code in follow.content.decode()
    assert "env-reviewer" not in follow.content.decode()  # officials' names are not shown publicly
    # The session that reported may see its photo; another may not.
    photo = problem.photos.get()
    assert client.get(reverse("problems:photo", args=[photo.pk])).status_code == 200
    from django.test import Client

    assert Client().get(reverse("problems:photo", args=[photo.pk])).status_code == 404


def test_bad_reports_say_what_is_wrong_and_save_nothing(client, zone):
    bad_photo = report_form(zone, reporter_phone="13800000000")
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad_photo["photos"] = [SimpleUploadedFile("a.jpg", b"not an image", content_type="image/jpeg")]
    response = client.post(reverse("problems:report"), bad_photo)
    assert response.status_code == 400 and "不是可识别的图片" in response.content.decode()
    outside = report_form(zone, reporter_phone="13800000000", latitude="31.000000", longitude="108.000000")
    response = client.post(reverse("problems:report"), outside)
    assert response.status_code == 400 and "不在园区范围内" in response.content.decode()
    no_phone = report_form(zone)
    assert client.post(reverse("problems:report"), no_phone).status_code == 400
    assert not Problem.objects.exists()


def test_reports_without_an_account_are_rate_limited(client, zone, settings):
    settings.PROBLEM_ANONYMOUS_REPORTS_PER_HOUR = 2
    for _ in range(2):
        assert (
            client.post(reverse("problems:report"), report_form(zone, reporter_phone="138")).status_code
            == 302
        )
    response = client.post(reverse("problems:report"), report_form(zone, reporter_phone="138"))
    assert response.status_code == 429
    assert Problem.objects.count() == 2
    # Signed in, the limit does not apply.
    login(client, zone.citizen)
    assert client.post(reverse("problems:report"), report_form(zone)).status_code == 302


def test_department_worklist_dispatch_queue_and_scope(client, zone):
    mine = report(zone)
    theirs = report(zone, point=zone.points[zone.second])
    waiting = report(zone, category=zone.unrouted, title="无人认领的问题")
    login(client, zone.env_reviewer)
    page = client.get(reverse("problems:worklist")).content.decode()
    assert mine.number in page and theirs.number not in page
    assert client.get(reverse("problems:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("problems:queue")).status_code == 403
    login(client, zone.dispatcher)
    queue = client.get(reverse("problems:queue")).content.decode()
    assert waiting.number in queue and mine.number not in queue
    rows = client.get(reverse("problems:list"), {"status": "dispatched"}, HTTP_HX_REQUEST="true")
    assert 'id="problem-results"' in rows.content.decode() and "<html" not in rows.content.decode()


def test_the_loop_on_the_problem_page(client, zone):
    problem = report(zone)
    login(client, zone.env_reviewer)
    page = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert 'id="act-accept"' in page and 'id="act-return"' in page
    response = client.post(reverse("problems:act", args=[problem.pk, "accept"]), {"accept-note": ""})
    assert response.status_code == 302
    # Rectified without the required evidence: the form says so, nothing changes.
    response = client.post(reverse("problems:act", args=[problem.pk, "rectify"]), {"rectify-note": "已清理"})
    assert response.status_code == 400 and "佐证照片" in response.content.decode()
    response = client.post(
        reverse("problems:act", args=[problem.pk, "rectify"]),
        {"rectify-note": "已清理", "rectify-photos": [jpeg()]},
    )
    assert response.status_code == 302
    # Accepting again is refused with the state's sentence, as a message.
    response = client.post(
        reverse("problems:act", args=[problem.pk, "accept"]), {"accept-note": ""}, follow=True
    )
    assert "不能执行" in response.content.decode()
    login(client, zone.inspector)
    page = client.get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert 'id="act-verify"' in page
    client.post(
        reverse("problems:act", args=[problem.pk, "verify"]), {"verify-passed": "1", "verify-note": "已到位"}
    )
    problem.refresh_from_db()
    assert problem.status == S.CLOSED


def test_dispatch_merge_and_split_from_the_page(client, zone):
    a = report(zone, category=zone.unrouted)
    b = report(zone, category=zone.unrouted)
    c = report(zone, category=zone.unrouted)
    login(client, zone.dispatcher)
    client.post(
        reverse("problems:act", args=[a.pk, "dispatch"]), {"dispatch-department": zone.environment.pk}
    )
    client.post(reverse("problems:act", args=[b.pk, "merge"]), {"merge-into": a.number})
    client.post(
        reverse("problems:act", args=[c.pk, "split"]),
        {
            "split-title_1": "排污口",
            "split-department_1": zone.environment.pk,
            "split-title_2": "渣土",
            "split-department_2": zone.construction.pk,
        },
    )
    statuses = dict(Problem.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("pk", "status"))
    assert statuses == {a.pk: S.DISPATCHED, b.pk: S.MERGED, c.pk: S.SPLIT}
    assert Problem.objects.filter(parent=c).count() == 2


def test_statistics_ledger_export_and_map(client, zone):
    problem = report(zone, category=zone.ledger, enterprise=zone.enterprise, title="无证小作坊废水直排")
    lifecycle.accept_problem(zone.env_reviewer, problem)
    lifecycle.rectify_problem(zone.env_reviewer, problem, "已取缔并拆除设备。", [jpeg()])
    lifecycle.verify_problem(zone.dispatcher, problem, True)
    report(zone)
    login(client, zone.leader)
    page = client.get(reverse("problems:statistics"))
    assert page.status_code == 200
    figures = page.context["figures"].zone
    assert (figures.reported, figures.closed, figures.closed_loop_rate) == (2, 1, 50.0)
    ledger = client.get(reverse("problems:ledger"))
    assert problem.number in ledger.content.decode()
    export = client.get(reverse("problems:ledger"), {"format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[1][0] == problem.number and rows[1][1] == zone.enterprise.name
    assert rows[1][5] == "已取缔并拆除设备。"
    geojson = client.get(reverse("problems:areas"))
    assert geojson["Content-Type"] == "application/geo+json"
    assert geojson.json()["type"] == "FeatureCollection"
