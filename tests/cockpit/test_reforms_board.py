"""The cockpit's reform figures (改革成效) include the merged review (三评合一) against the separate reviews it
replaces, and the 一业一证 bundles beside the construction ones."""

import json
import re

import pytest
from django.urls import reverse

from .conftest import JUNE

pytestmark = pytest.mark.django_db


def test_the_board_shows_the_merged_review_and_the_licence_bundles(client, cockpit_world):
    client.force_login(cockpit_world.leader)
    html = client.get(reverse("cockpit:board"), {"period": JUNE}).content.decode()
    assert '<tr data-kind="merged_item" data-code="eia-three-in-one">' in html
    for code in ("open-pharmacy", "open-restaurant", "open-laboratory", "start-construction"):
        assert f'<tr data-kind="bundle" data-code="{code}">' in html, code
    data = json.loads(re.search(r'id="cockpit-data"[^>]*>(.*?)</script>', html, re.S).group(1))
    merged = [row for row in data["reform"] if row["labels"] == ["分别审批", "合并审批"]]
    assert len(merged) == 1
    assert merged[0]["separately"] == {"steps": 13, "materials": 9, "days": 15}
    assert merged[0]["bundled"] == {"steps": 5, "materials": 4, "days": 10}
