"""The enterprise file's pages: the zone's list for civil servants, one page per enterprise with what the
capabilities contribute, edited by the enterprise's own people (errors shown, nothing saved), qualifications by
administrators, platforms; in Chinese and in English; another enterprise's file is not found."""

import datetime

from django.urls import reverse

from sciencecity.enterprises import profile
from sciencecity.enterprises.models import Enterprise, InnovationPlatform
from tests.factories import ProjectFactory

from .test_file import firm  # noqa: F401  (the fixture)


def test_the_enterprise_keeps_its_file_on_its_page(firm, client):  # noqa: F811
    enterprise = firm["enterprise"]
    ProjectFactory(enterprise=enterprise, name="超瞬态实验装置配套厂房")
    client.force_login(firm["own"])
    assert client.get(reverse("enterprises:mine")).url == reverse("enterprises:file", args=[enterprise.pk])
    page = client.get(reverse("enterprises:file", args=[enterprise.pk])).content.decode()
    assert "重庆超瞬态科技有限公司" in page and "超瞬态实验装置配套厂房" in page and "更新企业档案" in page
    assert "登记企业资质" not in page  # administrators record qualifications
    assert (
        reverse("problems:report") in page and "提出企业诉求" in page
    )  # a demand becomes a closed-loop problem
    bad = client.post(
        reverse("enterprises:profile", args=[enterprise.pk]),
        {"size": "small", "employees": "10", "rd_staff": "20", "founded_on": "2019-03-01"},
    )
    assert bad.status_code == 400 and "研发人员不能多于从业人员" in bad.content.decode()
    assert Enterprise.objects.get(pk=enterprise.pk).employees is None
    good = client.post(
        reverse("enterprises:profile", args=[enterprise.pk]),
        {
            "size": "small",
            "chain": "materials",
            "employees": "85",
            "rd_staff": "30",
            "founded_on": "2019-03-01",
        },
    )
    assert good.status_code == 302 and Enterprise.objects.get(pk=enterprise.pk).employees == 85
    years = client.post(
        reverse("enterprises:years", args=[enterprise.pk]),
        {"year": "2025", "revenue": "5000", "rd_spending": "400"},
    )
    assert years.status_code == 302
    page = client.get(reverse("enterprises:file", args=[enterprise.pk])).content.decode()
    assert "5000.00" in page and "8%" in page
    other = firm["other"].enterprise
    assert client.get(reverse("enterprises:file", args=[other.pk])).status_code == 404
    assert client.post(reverse("enterprises:profile", args=[other.pk]), {"employees": "1"}).status_code == 404


def test_civil_servants_list_and_administrators_record_qualifications_and_platforms(firm, client):  # noqa: F811
    client.force_login(firm["clerk"])
    listing = client.get(reverse("enterprises:list"), {"q": "重庆超瞬态"}).content.decode()
    assert "重庆超瞬态科技有限公司" in listing
    page = client.get(reverse("enterprises:file", args=[firm["enterprise"].pk])).content.decode()
    assert "更新企业档案" not in page
    refused = client.post(reverse("enterprises:profile", args=[firm["enterprise"].pk]), {"employees": "1"})
    assert refused.status_code == 302 and Enterprise.objects.get(pk=firm["enterprise"].pk).employees is None
    client.force_login(firm["admin"])
    url = reverse("enterprises:qualifications", args=[firm["enterprise"].pk])
    bad = client.post(url, {"kind": "high_tech", "valid_from": "2030-01-01"})
    assert bad.status_code == 400 and "认定日期不能晚于今天" in bad.content.decode()
    client.post(url, {"kind": "high_tech", "valid_from": "2025-11-30", "certificate_number": "GR2025"})
    assert Enterprise.objects.get(pk=firm["enterprise"].pk).is_high_tech
    platform = {
        "name": "新材料工程技术研究中心",
        "kind": "engineering_center",
        "level": "municipal",
        "credit_code": "91500000000000000X",
        "recognized_on": "2024-05-01",
    }
    unknown = client.post(reverse("enterprises:platforms"), platform)
    assert unknown.status_code == 400 and "没有统一社会信用代码为" in unknown.content.decode()
    made = client.post(
        reverse("enterprises:platforms"), {**platform, "credit_code": firm["enterprise"].credit_code}
    )
    assert made.status_code == 302 and InnovationPlatform.objects.get().enterprise == firm["enterprise"]
    listing = client.get(reverse("enterprises:platforms"), {"level": "municipal"}).content.decode()
    assert "新材料工程技术研究中心" in listing


def test_the_file_speaks_english(firm, client):  # noqa: F811
    profile.register_platform(
        None,
        name="Lab",
        kind="key_lab",
        level="national",
        enterprise=firm["enterprise"],
        recognized_on=datetime.date(2022, 1, 1),
    )
    client.force_login(firm["own"])
    page = client.get(
        reverse("enterprises:file", args=[firm["enterprise"].pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert (
        "Yearly figures" in page and "Innovation platforms" in page and "Update the enterprise file" in page
    )
