"""Every cockpit page reads as Chinese in Chinese mode and as English in English mode (outside the records'
own data, marked `data-user-text`); the monthly report is Chinese whatever the reader's language."""

import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from sciencecity.cockpit.periods import parse_period
from sciencecity.cockpit.services import generate_report, request_report
from tests.pages.visible_text import chinese_runs, english_words, visible_text

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
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    leaks = {}
    for url in pages():
        response = client.get(url)
        assert response.status_code == 200, url
        html = re.sub(r"<title>.*?</title>", "", response.content.decode(), flags=re.S)
        text = visible_text(html)
        found = english_words(text) if language == "zh-hans" else chinese_runs(text)
        if found:
            leaks[url] = sorted(set(found))[:12]
    assert not leaks, leaks
