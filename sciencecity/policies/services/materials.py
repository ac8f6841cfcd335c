"""The materials a policy asks for when an enterprise applies (快申快享): data on the policy, each checked when
the policy is saved, and shaped for the approvals' upload check (`approvals.files.check_upload`), which reads
a file's type from its content."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from sciencecity.approvals.files import CONTENT_TYPES


@dataclass(frozen=True)
class MaterialRule:
    """A material a policy asks for, shaped for `approvals.files.check_upload`."""

    code: str
    name: str
    formats: list
    max_size_mb: int


def material_rules(policy) -> list[MaterialRule]:
    return [
        MaterialRule(
            row["code"], row["name"], list(row.get("formats") or []), int(row.get("max_size_mb") or 20)
        )
        for row in policy.materials or []
    ]


def check_materials(rows) -> list[dict]:
    """A policy's materials cleaned, or a ValidationError naming each wrong one ("materials.<n>")."""
    if not isinstance(rows, list) or len(rows) > 20:
        raise ValidationError({"materials": _("申报材料最多 20 项。")})
    errors, cleaned, codes = {}, [], set()
    for number, row in enumerate(rows, 1):
        key = f"materials.{number}"
        if not isinstance(row, dict) or not str(row.get("name") or "").strip():
            errors[key] = _("第 %(n)s 项材料须有名称。") % {"n": number}
            continue
        code = str(row.get("code") or f"m{number}").strip()[:40]
        formats = row.get("formats") or []
        if not isinstance(formats, list) or any(
            str(f).lower() not in CONTENT_TYPES and str(f).lower() != "jpeg" for f in formats
        ):
            errors[key] = _("第 %(n)s 项材料的格式应为以下之一:%(formats)s。") % {
                "n": number,
                "formats": " ".join(CONTENT_TYPES),
            }
            continue
        size = row.get("max_size_mb", 20)
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
            errors[key] = _("第 %(n)s 项材料的大小上限应为 1–100 MB。") % {"n": number}
            continue
        if code in codes:
            errors[key] = _("第 %(n)s 项材料的代码重复。") % {"n": number}
            continue
        codes.add(code)
        cleaned.append(
            {
                "code": code,
                "name": str(row["name"]).strip()[:200],
                "formats": [str(f).lower() for f in formats],
                "max_size_mb": size,
            }
        )
    if errors:
        raise ValidationError(errors)
    return cleaned
