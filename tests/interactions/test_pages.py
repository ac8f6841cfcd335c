"""The register's pages: an official records an interaction by the enterprise's credit code (bad input is shown
on the form and saves nothing), the enterprise confirms or disputes, a supervisor searches the flagged ones and
adds a finding; everyone else is refused; every page in one language."""

import datetime

import pytest
from django.urls import reverse

from sciencecity.interactions.models import Finding, Interaction
from tests.pages.visible_text import language_leaks

from .test_register import record

pytestmark = pytest.mark.django_db
NEW = reverse("interactions:new")
LIST = reverse("interactions:list")


def form_data(register, **changes):
    return {
        "enterprise": register.visited.credit_code,
        "kind": "visit",
        "occurred_on": "2026-11-23",
        "place": "企业会议室",
        "purpose": "了解环评手续办理进度",
        "encouraged": [register.visit.pk],
        "officials_present": "张伟(科长)",
        **changes,
    }


def test_an_official_records_an_interaction(client, register):
    client.force_login(register.official)
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, form_data(register))
    interaction = Interaction.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "interactions:detail", args=[interaction.pk]
    )
    assert interaction.enterprise == register.visited and not interaction.flagged
    page = client.get(response.url).content.decode()
    assert interaction.number in page and "了解环评手续办理进度" in page


def test_the_enterprise_by_its_full_name_and_a_forbidden_item(client, register):
    client.force_login(register.official)
    data = form_data(register, enterprise=register.visited.name, forbidden=[register.gifts.pk])
    response = client.post(NEW, data, follow=True)
    assert "已提示纪检监督人员" in response.content.decode()
    assert Interaction.objects.get().forbidden


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"enterprise": "不存在的公司"}, "没有找到这家企业"),
        ({"encouraged": []}, "请至少勾选一个清单条目"),
        ({"occurred_on": "2026-12-01"}, "日期不能晚于今天"),
        ({"place": ""}, "该字段是必填项"),
    ],
)
def test_bad_input_shows_on_the_form_and_saves_nothing(client, register, changes, message):
    client.force_login(register.official)
    response = client.post(NEW, form_data(register, **changes))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Interaction.objects.exists()


def test_the_enterprise_confirms_or_disputes_on_the_record_page(client, register):
    interaction = record(register)
    client.force_login(register.enterprise_user)
    page = client.get(reverse("interactions:detail", args=[interaction.pk])).content.decode()
    assert "确认属实" in page and "提出异议" in page
    dispute = reverse("interactions:act", args=[interaction.pk, "dispute"])
    assert client.post(dispute, {"note": ""}).status_code == 400  # a dispute needs a reason
    client.post(dispute, {"note": "当天没有来访"})
    interaction.refresh_from_db()
    assert interaction.response == "disputed" and interaction.response_note == "当天没有来访"
    again = client.post(reverse("interactions:act", args=[interaction.pk, "confirm"]), follow=True)
    assert "不能" in again.content.decode() or "不允许" in again.content.decode()


def test_a_supervisor_searches_the_flagged_and_adds_a_finding(client, register):
    on_time = record(register)
    late = record(register, occurred_on=datetime.date(2026, 11, 10), purpose="安全检查")
    client.force_login(register.supervisor)
    listed = client.get(LIST, {"flagged": "on"}).content.decode()
    assert late.number in listed and on_time.number not in listed
    assert on_time.number in client.get(LIST, {"q": "环评"}).content.decode()
    url = reverse("interactions:act", args=[late.pk, "finding"])
    client.post(url, {"kind": "concern", "text": "请说明逾期原因"})
    assert Finding.objects.get().text == "请说明逾期原因"
    assert client.post(url, {"kind": "concern", "text": ""}).status_code == 400


def test_the_search_exports_to_excel_and_text_stays_text(client, register):
    import io

    from openpyxl import load_workbook

    record(register, purpose='=HYPERLINK("http://example.com")')
    record(register, occurred_on=datetime.date(2026, 11, 10), items=[register.gifts])
    client.force_login(register.supervisor)
    response = client.get(LIST, {"flagged": "on", "format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.values)
    assert rows[0][0] == "登记编号" and len(rows) == 2  # the flagged one only
    assert rows[1][14:16] == ("是", "是")
    everything = load_workbook(io.BytesIO(b"".join(client.get(LIST, {"format": "xlsx"}).streaming_content)))
    cells = [row[6] for row in everything.active.iter_rows(min_row=2)]
    formula = next(cell for cell in cells if str(cell.value).startswith("="))
    assert formula.data_type == "s"  # a typed "=…" is text, not a formula


def test_others_are_refused(client, register):
    interaction = record(register)
    client.force_login(register.other_user)
    assert client.get(reverse("interactions:detail", args=[interaction.pk])).status_code == 404
    assert client.get(NEW).status_code == 403
    client.force_login(register.outsider)
    assert client.get(reverse("interactions:detail", args=[interaction.pk])).status_code == 404
    post = client.post(
        reverse("interactions:act", args=[interaction.pk, "finding"]), {"kind": "note", "text": "x"}
    )
    assert post.status_code == 404 and not Finding.objects.exists()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_page_speaks_one_language(client, register, language):
    interaction = record(
        register, items=[register.visit, register.gifts], occurred_on=datetime.date(2026, 11, 10)
    )
    from sciencecity.interactions import services

    services.add_finding(register.supervisor, interaction, "concern", "请说明")
    leaks = {}
    for user, urls in (
        (
            register.supervisor,
            [LIST, f"{LIST}?flagged=on", reverse("interactions:detail", args=[interaction.pk])],
        ),
        (register.official, [NEW, reverse("interactions:lists")]),
        (register.enterprise_user, [reverse("interactions:detail", args=[interaction.pk])]),
    ):
        client.force_login(user)
        leaks.update(language_leaks(client, urls, language))
    assert not leaks, leaks


def test_the_form_suggests_enterprises_as_the_official_types(client, register):
    url = reverse("interactions:enterprise_options")
    client.force_login(register.official)
    found = client.get(url, {"enterprise": "芯片"}).content.decode()
    assert register.visited.name in found and register.other.name not in found
    assert (
        register.other.name
        in client.get(url, {"enterprise": register.other.credit_code[:8]}).content.decode()
    )
    assert "<option" not in client.get(url, {"enterprise": "芯"}).content.decode()  # two characters at least
    client.force_login(register.enterprise_user)
    assert client.get(url, {"enterprise": "芯片"}).status_code == 403


def test_a_supervisor_finds_the_records_not_yet_looked_into(client, register):
    looked = record(register, occurred_on=datetime.date(2026, 11, 10))
    waiting = record(register, occurred_on=datetime.date(2026, 11, 11))
    from sciencecity.interactions import services

    services.add_finding(register.supervisor, looked, "cleared", "已核查")
    client.force_login(register.supervisor)
    page = client.get(LIST, {"flagged": "on", "unreviewed": "on"}).content.decode()
    assert waiting.number in page and looked.number not in page
    assert "3 个工作日内登记" in page
    client.force_login(register.official)
    assert 'name="unreviewed"' not in client.get(LIST).content.decode()  # the supervisors' filter
