"""Every write to the enterprise file (一企一档) beyond the registry row: what the enterprise keeps up to date
itself (its size, chain, people and yearly figures; permission `enterprises.keep_own_file` on its own file,
or the administrators' `enterprises.change_enterprise`), the qualifications the zone's administration records
(`enterprises.add_qualification`), and the innovation platforms (`enterprises.add_innovationplatform`).

Each function checks everything before it writes, writes in one transaction under a lock of the enterprise,
and records the audit trail. `user=None` is the platform itself (the demo, imports).

The flags `Enterprise.is_high_tech` and `is_tech_based` follow the qualifications where the enterprise has a
qualification of that kind on record: true while one is valid, false once all have expired (the morning scan
calls `follow_qualifications`). An enterprise without any such record keeps the flag the registry gave it.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.workdays import clock

from .models import Chain, Enterprise, EnterpriseYear, InnovationPlatform, Qualification, Size

# Sent after the transaction that changed an enterprise's file commits (the policies' verdicts follow it).
file_changed = Signal()  # sender: Enterprise, enterprise_id
KEEP = "enterprises.keep_own_file"
CHANGE = "enterprises.change_enterprise"
QUALIFY = "enterprises.add_qualification"
PLATFORMS = "enterprises.add_innovationplatform"
PROFILE_FIELDS = (
    "size",
    "chain",
    "industry",
    "founded_on",
    "registered_capital",
    "employees",
    "rd_staff",
    "address",
    "contact_phone",
)
FLAGS = {Qualification.Kind.HIGH_TECH: "is_high_tech", Qualification.Kind.TECH_BASED: "is_tech_based"}
MAX_PEOPLE = 1_000_000
MAX_AMOUNT = Decimal("999999999999.99")
FIRST_YEAR = 1949


def may_keep(user, enterprise: Enterprise) -> bool:
    """The enterprise's own people keep its file; administrators may correct any."""
    if user is None:
        return True
    if user.has_perm(CHANGE):
        return True
    return bool(user.enterprise_id and user.enterprise_id == enterprise.pk and user.has_perm(KEEP))


def _require_keeper(user, enterprise: Enterprise) -> None:
    if not may_keep(user, enterprise):
        raise PermissionDenied(_("只有本企业人员或管理员可以维护企业档案。"))


def _locked(enterprise: Enterprise) -> Enterprise:
    return Enterprise.objects.select_for_update().get(pk=enterprise.pk)


def _changed(enterprise_id: int) -> None:
    # Sent inside the write's transaction: a receiver's background work commits with it (workflow.queue).
    file_changed.send(sender=Enterprise, enterprise_id=enterprise_id)


def _amount(errors: dict, field: str, value, *, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            errors[field] = _("请填写此项。")
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        errors[field] = _("请输入金额(万元)。")
        return None
    if number < 0:
        errors[field] = _("金额不能为负数。")
    elif number > MAX_AMOUNT:
        errors[field] = _("金额过大。")
    return number


def _people(errors: dict, field: str, value) -> int | None:
    if value in (None, ""):
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PEOPLE:
        errors[field] = _("人数应为 0 到 %(max)s 之间的整数。") % {"max": MAX_PEOPLE}
        return None
    return value


def _clean_profile(enterprise: Enterprise, fields: dict) -> dict:
    errors, cleaned = {}, {}
    today = clock.today()
    for name, value in fields.items():
        if name == "size":
            if value not in ("", *Size.values):
                errors[name] = _("请选择企业规模。")
            cleaned[name] = value
        elif name == "chain":
            if value not in ("", *Chain.values):
                errors[name] = _("请选择所属产业链。")
            cleaned[name] = value
        elif name == "founded_on":
            if value is not None and not isinstance(value, datetime.date):
                errors[name] = _("请填写日期。")
            elif value is not None and not datetime.date(FIRST_YEAR, 1, 1) <= value <= today:
                errors[name] = _("成立日期应在 %(first)s 年至今天之间。") % {"first": FIRST_YEAR}
            cleaned[name] = value
        elif name == "registered_capital":
            cleaned[name] = _amount(errors, name, value, required=False)
        elif name in ("employees", "rd_staff"):
            cleaned[name] = _people(errors, name, value)
        else:  # texts
            text = (value or "").strip()
            limit = Enterprise._meta.get_field(name).max_length
            if len(text) > limit:
                errors[name] = _("最多 %(limit)s 个字。") % {"limit": limit}
            cleaned[name] = text
    employees = cleaned.get("employees", enterprise.employees)
    rd_staff = cleaned.get("rd_staff", enterprise.rd_staff)
    if "rd_staff" not in errors and employees is not None and rd_staff is not None and rd_staff > employees:
        errors["rd_staff"] = _("研发人员不能多于从业人员(%(employees)s 人)。") % {"employees": employees}
    if errors:
        raise ValidationError(errors)
    return cleaned


def update_profile(user, enterprise: Enterprise, **fields) -> Enterprise:
    """Change what the enterprise keeps in its file; a change that changes nothing writes nothing."""
    unknown = sorted(set(fields) - set(PROFILE_FIELDS))
    if unknown:
        raise TypeError(f"unknown profile fields: {', '.join(unknown)}")
    _require_keeper(user, enterprise)
    with transaction.atomic():
        enterprise = _locked(enterprise)
        cleaned = _clean_profile(enterprise, fields)
        before = snapshot(enterprise, fields=list(cleaned))
        for name, value in cleaned.items():
            setattr(enterprise, name, value)
        after = snapshot(enterprise, fields=list(cleaned))
        if after == before:
            return enterprise
        enterprise.profile_updated_at = clock.now()
        enterprise.save(update_fields=[*cleaned, "profile_updated_at", "updated_at"])
        changed = [name for name in cleaned if before.get(name) != after.get(name)]
        _changed(enterprise.pk)
        record(
            user,
            "enterprises.update_profile",
            enterprise,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return enterprise


def set_year(user, enterprise: Enterprise, year, *, revenue, rd_spending, taxes=None) -> EnterpriseYear:
    """Record (or correct) the enterprise's figures of a finished or current year."""
    _require_keeper(user, enterprise)
    errors = {}
    today = clock.today()
    first = enterprise.founded_on.year if enterprise.founded_on else 2000
    if not isinstance(year, int) or isinstance(year, bool) or not max(first, 2000) <= year <= today.year:
        errors["year"] = _("年度应在 %(first)s 年至 %(last)s 年之间。") % {
            "first": max(first, 2000),
            "last": today.year,
        }
    revenue = _amount(errors, "revenue", revenue)
    rd_spending = _amount(errors, "rd_spending", rd_spending)
    taxes = _amount(errors, "taxes", taxes, required=False)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        enterprise = _locked(enterprise)
        row = EnterpriseYear.objects.filter(enterprise=enterprise, year=year).first()
        before = snapshot(row, fields=["revenue", "rd_spending", "taxes"]) if row else None
        row = row or EnterpriseYear(enterprise=enterprise, year=year)
        row.revenue, row.rd_spending, row.taxes = revenue, rd_spending, taxes
        row.recorded_at = clock.now()
        after = snapshot(row, fields=["revenue", "rd_spending", "taxes"])
        if before == after:
            return row
        row.save()
        Enterprise.objects.filter(pk=enterprise.pk).update(profile_updated_at=clock.now())
        _changed(enterprise.pk)
        record(
            user,
            "enterprises.set_year_figures",
            enterprise,
            before={"year": year, **before} if before else None,
            after={"year": year, **after},
        )
    return row


def _follow(enterprise: Enterprise, today: datetime.date) -> list[str]:
    """Set the flags of the kinds the enterprise has on record to whether one is valid today; the changed ones."""
    changed = []
    records = list(enterprise.qualifications.filter(kind__in=list(FLAGS)))
    for kind, flag in FLAGS.items():
        of_kind = [row for row in records if row.kind == kind]
        if not of_kind:
            continue
        valid = any(row.valid_on(today) for row in of_kind)
        if getattr(enterprise, flag) != valid:
            setattr(enterprise, flag, valid)
            changed.append(flag)
    return changed


def add_qualification(
    user,
    enterprise: Enterprise,
    kind: str,
    *,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    certificate_number: str = "",
) -> Qualification:
    """Record a qualification the enterprise was granted (by the zone's administration)."""
    if user is not None and not user.has_perm(QUALIFY):
        raise PermissionDenied(_("只有管理员可以登记企业资质。"))
    errors = {}
    if kind not in Qualification.Kind.values:
        errors["kind"] = _("未知的资质:%(kind)s。") % {"kind": str(kind)[:40]}
    if not isinstance(valid_from, datetime.date):
        errors["valid_from"] = _("请填写认定日期。")
    elif valid_from > clock.today():
        errors["valid_from"] = _("认定日期不能晚于今天。")
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = _("有效期不能早于认定日期。")
    certificate_number = (certificate_number or "").strip()
    if len(certificate_number) > 60:
        errors["certificate_number"] = _("最多 %(limit)s 个字。") % {"limit": 60}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        enterprise = _locked(enterprise)
        if enterprise.qualifications.filter(kind=kind, valid_from=valid_from).exists():
            raise ValidationError({"valid_from": _("该资质在这一天的认定已登记。")})
        qualification = Qualification.objects.create(
            enterprise=enterprise,
            kind=kind,
            certificate_number=certificate_number,
            valid_from=valid_from,
            valid_until=valid_until,
            recorded_by=user,
        )
        changed = _follow(enterprise, clock.today())
        if changed:
            enterprise.save(update_fields=[*changed, "updated_at"])
        _changed(enterprise.pk)
        record(
            user,
            "enterprises.add_qualification",
            enterprise,
            after={
                "qualification": kind,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat() if valid_until else None,
                **{flag: getattr(enterprise, flag) for flag in changed},
            },
        )
    return qualification


def follow_qualifications(today: datetime.date | None = None) -> int:
    """The morning scan's part: the flags of enterprises whose qualification began or ended. Idempotent."""
    today = today or clock.today()
    recent = today - datetime.timedelta(days=7)  # a missed morning or two is caught up
    touched = (
        Qualification.objects.filter(kind__in=list(FLAGS))
        .filter(Q(valid_until__range=(recent, today)) | Q(valid_from__range=(recent, today)))
        .values_list("enterprise_id", flat=True)
        .distinct()
    )
    count = 0
    for enterprise_id in sorted(set(touched)):
        with transaction.atomic():
            enterprise = Enterprise.objects.select_for_update().get(pk=enterprise_id)
            changed = _follow(enterprise, today)
            if not changed:
                continue
            enterprise.save(update_fields=[*changed, "updated_at"])
            _changed(enterprise.pk)
            record(
                None,
                "enterprises.follow_qualifications",
                enterprise,
                after={f: getattr(enterprise, f) for f in changed},
            )
            count += 1
    return count


def register_platform(
    user,
    *,
    name: str,
    kind: str,
    level: str,
    recognized_on: datetime.date,
    enterprise: Enterprise | None = None,
    institution: str = "",
    valid_until: datetime.date | None = None,
) -> InnovationPlatform:
    """Register an innovation platform, hosted by an enterprise of the zone or by an institution."""
    if user is not None and not user.has_perm(PLATFORMS):
        raise PermissionDenied(_("只有管理员可以登记创新平台。"))
    errors = {}
    name, institution = (name or "").strip(), (institution or "").strip()
    if not name:
        errors["name"] = _("请填写此项。")
    elif len(name) > 200:
        errors["name"] = _("最多 %(limit)s 个字。") % {"limit": 200}
    if kind not in InnovationPlatform.Kind.values:
        errors["kind"] = _("请选择平台类型。")
    if level not in InnovationPlatform.Level.values:
        errors["level"] = _("请选择级别。")
    if enterprise is None and not institution:
        errors["institution"] = _("请填写依托企业或依托单位。")
    elif len(institution) > 200:
        errors["institution"] = _("最多 %(limit)s 个字。") % {"limit": 200}
    if not isinstance(recognized_on, datetime.date):
        errors["recognized_on"] = _("请填写认定日期。")
    elif recognized_on > clock.today():
        errors["recognized_on"] = _("认定日期不能晚于今天。")
    elif valid_until is not None and valid_until < recognized_on:
        errors["valid_until"] = _("有效期不能早于认定日期。")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        platform = InnovationPlatform.objects.create(
            name=name,
            kind=kind,
            level=level,
            enterprise=enterprise,
            institution=institution,
            recognized_on=recognized_on,
            valid_until=valid_until,
        )
        record(user, "enterprises.register_platform", platform, after=snapshot(platform))
    return platform
