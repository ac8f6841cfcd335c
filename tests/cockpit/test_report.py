"""The monthly report's content: in Chinese whatever the reader's language, every section's figures beside last
year, the charts as bars, the red-lit projects, the overdue problems (longest overdue first) and the month's
pioneers."""

import pytest
from django.utils import translation

from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.report import render_report_html, render_report_pdf

from .conftest import JUNE

pytestmark = pytest.mark.django_db


def test_the_report_holds_the_figures_charts_and_lists(cockpit_world):
    with translation.override("en"):
        html = render_report_html(parse_period(JUNE))
    assert "园区月度报告" in html and "2026年6月" in html
    for heading in ("主要指标", "图表", "红灯项目(1 个)", "超期问题(2 个)", "本月先锋"):
        assert heading in html, heading
    assert "科学大道二期" in html  # the red-lit project
    assert html.index(cockpit_world.last_year_problem.number) < html.index(cockpit_world.overdue.number)
    assert "各部门超期问题" in html and "问题热点(期内新发现)" in html
    assert "审批改革红岩先锋队" in html
    assert "Leaders" not in html  # in Chinese


def test_the_pdf_renders_with_its_pages(cockpit_world):
    content, pages = render_report_pdf(parse_period(JUNE))
    assert content.startswith(b"%PDF") and pages >= 2
