"""The demo's enterprise files (一企一档): each enterprise's size, chain, founding, people and the last three
years' figures, as the enterprise would keep them; the high-tech and tech-based enterprises' qualifications
with their certificates and validity (a few high-tech certificates run out within three months); and the
zone's innovation platforms in the seeds' proportions (290 with 12 national, scaled like the enterprises),
hosted by tech enterprises or by the universities and institutes of the zone. Through `enterprises.profile`,
on the day each thing happened."""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from sciencecity.accounts.models import User
from sciencecity.enterprises import profile
from sciencecity.enterprises.models import Chain, Enterprise, InnovationPlatform, Size
from sciencecity.workdays import clock

from .projects import _moment

PLATFORMS = 36  # 290 / 8, like the enterprises
NATIONAL = 2  # 12 / 8, rounded
CHAINS = {
    "集成电路": Chain.INFORMATION,
    "电子信息": Chain.INFORMATION,
    "软件信息": Chain.INFORMATION,
    "生物医药": Chain.BIOMEDICINE,
    "智能网联汽车": Chain.EQUIPMENT,
    "高端装备": Chain.EQUIPMENT,
    "新能源": Chain.ENERGY,
    "新材料": Chain.MATERIALS,
    "科技服务": Chain.SERVICES,
}
INSTITUTIONS = (
    "重庆大学",
    "西南大学",
    "中国科学院重庆绿色智能技术研究院",
    "北京理工大学重庆创新中心",
    "重庆医科大学",
)
PLATFORM_NAMES = {
    InnovationPlatform.Kind.KEY_LAB: (
        "{topic}重点实验室",
        ("超瞬态物质科学", "微纳光电", "先进材料", "脑科学与类脑"),
    ),
    InnovationPlatform.Kind.ENGINEERING_CENTER: (
        "{topic}工程技术研究中心",
        ("智能传感", "新能源汽车", "生物制药"),
    ),
    InnovationPlatform.Kind.TECH_CENTER: ("{host}企业技术中心", ()),
    InnovationPlatform.Kind.NEW_RD: ("{topic}研究院", ("集成电路", "智能网联", "工业软件")),
    InnovationPlatform.Kind.INCUBATOR: ("科学谷{topic}孵化器", ("硬科技", "生命科学", "数字经济")),
    InnovationPlatform.Kind.MAKERSPACE: ("{topic}众创空间", ("大学城", "青年", "西永")),
}


@dataclass
class EnterpriseFilesSummary:
    files: int = 0
    years: int = 0
    qualifications: int = 0
    platforms: int = 0
    national: int = 0


def create_files(seed: int, steps) -> EnterpriseFilesSummary:
    rng = random.Random(f"{seed}:enterprises")
    today = clock.today()
    summary = EnterpriseFilesSummary()
    enterprises = list(Enterprise.objects.order_by("pk"))
    # The demo applicant's enterprise has not filled in its R&D staff yet: the policies that ask for it say
    # "complete your file" (资料不全) until `applicant` does.
    incomplete = User.objects.filter(username="applicant").values_list("enterprise_id", flat=True).first()
    steps.start(_("企业档案"), len(enterprises))
    for enterprise in enterprises:
        tech = enterprise.is_tech_based or enterprise.is_high_tech
        _profile(rng, enterprise, tech, today, without_rd_staff=enterprise.pk == incomplete)
        summary.years += _years(rng, enterprise, tech, today)
        summary.qualifications += _qualifications(rng, enterprise, today)
        summary.files += 1
        steps.advance()
    hosts = [enterprise for enterprise in enterprises if enterprise.is_high_tech]
    summary.platforms, summary.national = _platforms(rng, hosts, today)
    return summary


def _profile(rng, enterprise, tech, today, *, without_rd_staff=False) -> None:
    size = rng.choices(Size.values, weights=(3, 12, 45, 40) if tech else (8, 20, 40, 32))[0]
    employees = {"large": (1000, 5000), "medium": (300, 999), "small": (20, 299), "micro": (3, 19)}[size]
    people = rng.randint(*employees)
    rd_staff = round(people * rng.uniform(0.1, 0.45)) if tech else round(people * rng.uniform(0, 0.05))
    founded = today - datetime.timedelta(days=rng.randint(400, 20 * 365))
    with clock.frozen_at(_moment(today - datetime.timedelta(days=rng.randint(5, 200)), 15)):
        profile.update_profile(
            None,
            enterprise,
            size=size,
            chain=CHAINS.get(enterprise.industry, "") if tech else "",
            founded_on=founded,
            registered_capital=Decimal(rng.choice((100, 200, 500, 1000, 2000, 5000, 10000))),
            employees=people,
            rd_staff=rd_staff if not without_rd_staff else None,
        )


def _years(rng, enterprise, tech, today) -> int:
    written = 0
    revenue = Decimal(rng.randint(300, 60000))
    founded = enterprise.founded_on.year if enterprise.founded_on else 2000
    for year in range(today.year - 3, today.year):
        if year < founded:
            continue
        revenue = (revenue * Decimal(str(rng.uniform(0.9, 1.35)))).quantize(Decimal("0.01"))
        share = rng.uniform(0.03, 0.12) if tech else rng.uniform(0, 0.02)
        reported = min(datetime.date(year + 1, 3, rng.randint(1, 28)), today - datetime.timedelta(days=1))
        with clock.frozen_at(_moment(reported, 10)):
            profile.set_year(
                None,
                enterprise,
                year,
                revenue=revenue,
                rd_spending=(revenue * Decimal(str(share))).quantize(Decimal("0.01")),
                taxes=(revenue * Decimal(str(rng.uniform(0.02, 0.08)))).quantize(Decimal("0.01")),
            )
        written += 1
    return written


def _qualifications(rng, enterprise, today) -> int:
    granted = []  # (since, kind, until, certificate number)
    if enterprise.is_high_tech:
        # Recognized for three years; a few run out within three months (the officers see them coming).
        days_left = rng.randint(20, 90) if rng.random() < 0.1 else rng.randint(120, 1000)
        until = today + datetime.timedelta(days=days_left)
        since = until - datetime.timedelta(days=3 * 365 - 1)
        granted.append((since, "high_tech", until, f"GR{since.year}500{rng.randint(10000, 99999)}"))
    if enterprise.is_tech_based:
        since = min(datetime.date(today.year, rng.randint(1, max(1, today.month)), 1), today)
        granted.append(
            (
                since,
                "tech_based",
                datetime.date(today.year, 12, 31),
                f"{today.year}500106{rng.randint(1000, 9999)}",
            )
        )
    if enterprise.is_high_tech and rng.random() < 0.25:
        since = today - datetime.timedelta(days=rng.randint(30, 600))
        granted.append((since, "specialized", since + datetime.timedelta(days=3 * 365), ""))
        if rng.random() < 0.2:  # the best of them are national "little giants"
            later = since + datetime.timedelta(days=rng.randint(0, (today - since).days))
            granted.append((later, "little_giant", later + datetime.timedelta(days=3 * 365), ""))
    if (enterprise.is_high_tech or enterprise.is_tech_based) and rng.random() < 0.05:
        since = datetime.date(today.year - 1, 9, 1)
        granted.append((since, "gazelle", since + datetime.timedelta(days=2 * 365), ""))
    # In the order they were granted: each is recorded on its day, when the flags follow what is valid then.
    for since, kind, until, number in sorted(granted):
        with clock.frozen_at(_moment(since, 9)):
            profile.add_qualification(
                None, enterprise, kind, valid_from=since, valid_until=until, certificate_number=number
            )
    return len(granted)


def _platforms(rng, hosts, today) -> tuple[int, int]:
    kinds = list(PLATFORM_NAMES)
    weights = (4, 5, 8, 3, 4, 5)
    used = set()
    national = 0
    for number in range(PLATFORMS):
        kind = rng.choices(kinds, weights=weights)[0]
        level = (
            InnovationPlatform.Level.NATIONAL if number < NATIONAL else rng.choice(("municipal", "district"))
        )
        if number < NATIONAL:
            # The zone's national platforms: a key laboratory of a university, and an enterprise technology
            # centre of one of the high-tech enterprises.
            kind = InnovationPlatform.Kind.KEY_LAB if number == 0 else InnovationPlatform.Kind.TECH_CENTER
        pattern, topics = PLATFORM_NAMES[kind]
        by_institution = kind == InnovationPlatform.Kind.KEY_LAB or (kind == InnovationPlatform.Kind.NEW_RD)
        host = None if by_institution or not hosts else rng.choice(hosts)
        name = pattern.format(topic=rng.choice(topics) if topics else "", host=host.name if host else "")
        prefix = {"national": "", "municipal": "重庆市", "district": "高新区"}[level]
        name = f"{prefix}{name}"
        if name in used:
            name = f"{name}({number})"
        used.add(name)
        recognized = today - datetime.timedelta(days=rng.randint(60, 8 * 365))
        with clock.frozen_at(_moment(recognized, 11)):
            profile.register_platform(
                None,
                name=name,
                kind=kind,
                level=level,
                enterprise=host,
                institution=rng.choice(INSTITUTIONS) if host is None else "",
                recognized_on=recognized,
            )
        national += level == InnovationPlatform.Level.NATIONAL
    return PLATFORMS, national
