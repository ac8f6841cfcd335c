"""Every cockpit page reads as Chinese in Chinese mode and as English in English mode (outside the records'
own data, marked `data-user-text`); the monthly report is Chinese whatever the reader's language."""

import pytest
from django.urls import reverse

from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.services import generate_report, request_report
from tests.pages.visible_text import language_leaks

from .conftest import JUNE

pytestmark = pytest.mark.django_db


def pages():
    figures = reverse("cockpit:records", args=["problems_overdue"])
    return [
        f"{reverse('cockpit:board')}?period={JUNE}",
        f"{reverse('cockpit:board')}?period=2026",
        f"{reverse('cockpit:board')}?period=2026-Q2",
        f"{figures}?period={JUNE}",
        f"{figures}?period={JUNE}&by=department&value=ecology",
        f"{reverse('cockpit:records', args=['key_projects'])}?period={JUNE}",
        f"{reverse('cockpit:records', args=['applications_days'])}?period={JUNE}",
        f"{reverse('cockpit:records', args=['fund_disbursed'])}?period={JUNE}",
        reverse("cockpit:reports"),
        reverse("approvals:leaders_overview"),
    ]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_cockpit_page_speaks_one_language(client, cockpit_world, language):
    report = request_report(cockpit_world.leader, parse_period("2026-05"))
    generate_report(report.pk)
    client.force_login(cockpit_world.leader)
    leaks = language_leaks(client, pages(), language)
    assert not leaks, leaks
