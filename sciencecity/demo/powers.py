"""The 418 devolved municipal powers (下放市级行政权力) of the demo, written through the power list's services.

The list is generated from `data/powers.yaml`, a table of laws × articles × the zone departments that
exercise them: licences and the other kinds as named there, penalties as "对……的行政处罚" and inspections as
"对……的行政检查". The table holds more penalties than the list keeps (a real list is about two thirds
penalties): the seed drops penalties at random until the list has exactly the decision's 418, so the same
seed gives the same list. Names are unique; codes are the kind's prefix and a number (CF-001 …), positions
follow the kinds in the order power lists use. The licences and filings that the demo catalog's items
implement are linked to those items by code, so the review tasks of the demo's applications are their usage.
A few powers were withdrawn since (the table says when and why).
"""

import datetime
import random
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from sciencecity.accounts.models import Department
from sciencecity.catalog.powers import services
from sciencecity.catalog.powers.models import DevolvedPower, PowerKind

DATA = Path(__file__).resolve().parent / "data" / "powers.yaml"
PREFIX = {
    PowerKind.LICENSE: "XK",
    PowerKind.PENALTY: "CF",
    PowerKind.COERCION: "QZ",
    PowerKind.LEVY: "ZS",
    PowerKind.PAYMENT: "JF",
    PowerKind.INSPECTION: "JC",
    PowerKind.CONFIRMATION: "QR",
    PowerKind.REWARD: "JL",
    PowerKind.ADJUDICATION: "CJ",
    PowerKind.OTHER: "QT",
}
ORDER = list(PREFIX)


@dataclass
class PowersSummary:
    powers: int = 0
    in_force: int = 0
    withdrawn: int = 0
    linked: int = 0


def _name(kind: str, text: str) -> str:
    if kind == PowerKind.PENALTY:
        return f"对{text}的行政处罚"
    if kind == PowerKind.INSPECTION:
        return f"对{text}的行政检查"
    return text


def table() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def power_rows(seed: int, data: dict | None = None) -> list[dict]:
    """The list as plain rows (no database): code, position, name, kind, law, article, authority,
    department code, item codes; `data["total"]` rows in all, in the list's order."""
    data = data or table()
    rng = random.Random(f"{seed}-powers")
    candidates = []
    for law in data["laws"]:
        authority = law.get("authority") or data["authorities"][law["department"]]
        for kind in ORDER:
            for entry in law.get(kind.value, ()):
                article, text, *items = entry
                codes = items[0] if items else []
                candidates.append(
                    {
                        "name": _name(kind, text),
                        "kind": kind.value,
                        "law": law["law"],
                        "article": article,
                        "original_authority": authority,
                        "department": law["department"],
                        "item_codes": [codes] if isinstance(codes, str) else list(codes),
                    }
                )
    names = [row["name"] for row in candidates]
    if len(set(names)) != len(names):
        raise ValueError("the power table names a power twice")
    extra = len(candidates) - data["total"]
    kept_back = {row["name"] for row in data.get("withdrawn", ())}
    penalties = [
        i
        for i, row in enumerate(candidates)
        if row["kind"] == PowerKind.PENALTY and row["name"] not in kept_back
    ]
    if extra < 0 or extra > len(penalties):
        raise ValueError(f"the power table has {len(candidates)} powers for a list of {data['total']}")
    dropped = set(rng.sample(penalties, extra))
    rows = [row for i, row in enumerate(candidates) if i not in dropped]
    rows.sort(key=lambda row: ORDER.index(PowerKind(row["kind"])))  # stable: the table's order within a kind
    numbers: dict[str, int] = {}
    for position, row in enumerate(rows, start=1):
        numbers[row["kind"]] = numbers.get(row["kind"], 0) + 1
        row["position"] = position
        row["code"] = f"{PREFIX[PowerKind(row['kind'])]}-{numbers[row['kind']]:03d}"
    return rows


def create_powers(seed: int, steps) -> PowersSummary:
    """Write the list through `catalog.powers.services` (as the platform: `user` None), then the withdrawals."""
    data = table()
    rows = power_rows(seed, data)
    decision = data["decision"]
    departments = {department.code: department for department in Department.objects.all()}
    steps.start(_("下放市级行政权力"), len(rows))
    by_name = {}
    for row in rows:
        power = services.save_power(
            None,
            item_codes=row["item_codes"],
            code=row["code"],
            position=row["position"],
            name=row["name"],
            kind=row["kind"],
            law=row["law"],
            article=row["article"],
            original_authority=row["original_authority"],
            decision_number=decision["number"],
            decision_title=decision["title"],
            devolved_on=decision["date"],
            department=departments[row["department"]],
        )
        by_name[power.name] = power
        steps.advance()
    for withdrawal in data.get("withdrawn", ()):
        day = withdrawal["day"]
        services.withdraw_power(
            None,
            by_name[withdrawal["name"]],
            on=day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day),
            reason=withdrawal["reason"],
        )
    powers = DevolvedPower.objects.all()
    return PowersSummary(
        powers=powers.count(),
        in_force=powers.in_force().count(),
        withdrawn=powers.filter(status=DevolvedPower.Status.WITHDRAWN).count(),
        linked=powers.filter(item_links__isnull=False).distinct().count(),
    )
