"""The demo's 418 devolved powers: generated from the laws × articles × departments table, deterministic,
no two alike, dominated by penalties and licences, linked to the demo catalog's items, written through the
services."""

from collections import Counter

import pytest

from sciencecity.catalog.models import ServiceItem
from sciencecity.catalog.powers.models import DevolvedPower, PowerItem
from sciencecity.demo import powers as demo_powers

pytestmark = pytest.mark.django_db


class NoSteps:
    def start(self, description, total):
        pass

    def advance(self, amount=1):
        pass


def test_the_list_is_418_believable_distinct_powers_from_the_seed():
    rows = demo_powers.power_rows(2026)
    assert len(rows) == 418
    assert len({row["name"] for row in rows}) == 418 and len({row["code"] for row in rows}) == 418
    assert [row["position"] for row in rows] == list(range(1, 419))
    kinds = Counter(row["kind"] for row in rows)
    assert kinds.most_common(2)[0][0] == "penalty" and kinds["penalty"] > 418 / 2
    assert kinds.most_common(2)[1][0] == "license"
    assert all(
        row["name"].startswith("对") and row["name"].endswith("的行政处罚")
        for row in rows
        if row["kind"] == "penalty"
    )
    laws = {row["law"] for row in rows}
    assert {
        "中华人民共和国城乡规划法",
        "中华人民共和国建筑法",
        "中华人民共和国土地管理法",
        "中华人民共和国消防法",
    } <= laws
    assert rows == demo_powers.power_rows(2026)  # the same seed, the same list
    other = demo_powers.power_rows(7)
    assert len(other) == 418 and {r["name"] for r in other} != {r["name"] for r in rows}


def test_the_demo_writes_the_list_linked_to_the_catalog(world):
    summary = demo_powers.create_powers(2026, NoSteps())
    assert (summary.powers, summary.in_force, summary.withdrawn) == (418, 414, 4)
    assert summary.linked >= 25
    codes = set(PowerItem.objects.values_list("item_code", flat=True))
    assert codes <= set(ServiceItem.objects.filter(version=world.version).values_list("code", flat=True))
    assert {"engineering-planning-permit", "construction-permit", "eia-approval"} <= codes
    departments = Counter(DevolvedPower.objects.values_list("department__code", flat=True))
    assert departments.most_common(1)[0][0] == "housing" and len(departments) == 8
    withdrawn = DevolvedPower.objects.get(name="民用爆炸物品运输许可证核发")
    assert withdrawn.status == "withdrawn" and withdrawn.status_note
