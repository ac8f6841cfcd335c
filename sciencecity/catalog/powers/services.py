"""Every write to the power list: one power (created or changed), its withdrawal and restoration, and a
whole spreadsheet imported all or nothing.

Each function runs in one transaction, locks the power it changes, checks the user's permission (`user`
None is the platform itself: commands and the demo generator), validates the row as the model does, and
records an audit event. A power's status moves only along `TRANSITIONS`: a power in force is withdrawn
(收回, with the day and the reason), a withdrawn one may be devolved again (恢复). Powers are never deleted:
the list keeps what was devolved and what was taken back.
"""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sciencecity.accounts.models import Department
from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.catalog.models import ServiceItem
from sciencecity.workdays import clock
from sciencecity.workflow.transitions import TransitionTable

from . import sheets
from .models import DevolvedPower, PowerItem

S = DevolvedPower.Status
ADD = "catalog.add_devolvedpower"
CHANGE = "catalog.change_devolvedpower"
WITHDRAW = "catalog.withdraw_devolvedpower"

TRANSITIONS = TransitionTable(
    DevolvedPower,
    [
        (S.IN_FORCE, "withdraw", S.WITHDRAWN, WITHDRAW),
        (S.WITHDRAWN, "restore", S.IN_FORCE, WITHDRAW),
    ],
    {"withdraw": gettext_lazy("收回"), "restore": gettext_lazy("恢复下放")},
)

# The names of the audited actions, for the audit trail (`audit.labels`, registered in `CatalogConfig.ready`).
ACTIONS = {
    "catalog.create_power": gettext_lazy("新增下放权力"),
    "catalog.change_power": gettext_lazy("修改下放权力"),
    "catalog.withdraw_power": gettext_lazy("收回下放权力"),
    "catalog.restore_power": gettext_lazy("恢复下放权力"),
    "catalog.import_powers": gettext_lazy("导入下放权力清单"),
}


def power_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


# The fields a power is written with (the status fields move only through the transitions).
FIELDS = (
    "code",
    "position",
    "name",
    "name_en",
    "kind",
    "law",
    "article",
    "basis",
    "original_authority",
    "decision_number",
    "decision_title",
    "devolved_on",
    "department",
    "note",
)
SHOWN = [*FIELDS, "status", "withdrawn_on", "status_note"]


def _require(user, permission: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(_("您没有维护下放权力清单的权限。"))


def _state(power: DevolvedPower, codes) -> dict:
    return {**snapshot(power, fields=SHOWN), "items": sorted(codes)}


def unknown_item_codes(codes) -> list[str]:
    """The codes that no service item of any catalog version has (one query)."""
    codes = set(codes)
    if not codes:
        return []
    known = set(ServiceItem.objects.filter(code__in=codes).values_list("code", flat=True).distinct())
    return sorted(codes - known)


def _check_items(codes) -> list[str]:
    codes = list(dict.fromkeys(code.strip() for code in codes if code and code.strip()))
    unknown = unknown_item_codes(codes)
    if unknown:
        raise ValidationError(
            {"item_codes": _("事项目录中没有编码为 %(codes)s 的事项。") % {"codes": "、".join(unknown)}}
        )
    return codes


def _set_items(power: DevolvedPower, codes: list[str], before: list[str]) -> None:
    wanted, held = set(codes), set(before)
    if held - wanted:
        PowerItem.objects.filter(power=power, item_code__in=held - wanted).delete()
    if wanted - held:
        PowerItem.objects.bulk_create([PowerItem(power=power, item_code=c) for c in sorted(wanted - held)])


def _write(user, power: DevolvedPower | None, values: dict, codes: list[str]) -> tuple[DevolvedPower, str]:
    """Create or change one power with `values` (of FIELDS) and its item codes; returns the power and
    "created", "updated" or "" (nothing changed). The caller holds the transaction and the lock."""
    if power is None:
        power = DevolvedPower(**values)
        power.full_clean()
        power.save()
        _set_items(power, codes, [])
        record(user, "catalog.create_power", power, after=_state(power, codes))
        return power, "created"
    before_codes = list(power.item_links.values_list("item_code", flat=True))
    before = _state(power, before_codes)
    for name, value in values.items():
        setattr(power, name, value)
    power.full_clean()
    after = _state(power, codes)
    if after == before:
        return power, ""
    power.save()
    _set_items(power, codes, before_codes)
    record(user, "catalog.change_power", power, before=before, after=after)
    return power, "updated"


@transaction.atomic
def save_power(user, power: DevolvedPower | None = None, *, item_codes=(), **values) -> DevolvedPower:
    """Create a power (`power` None) or change one: `values` are fields of FIELDS, `item_codes` the codes
    of the items implementing it (every one known to the catalog)."""
    _require(user, ADD if power is None else CHANGE)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"not fields of a power: {sorted(unknown)}")
    codes = _check_items(item_codes)
    if power is not None:
        power = DevolvedPower.objects.select_for_update().get(pk=power.pk)
    power, _change = _write(user, power, values, codes)
    return power


@transaction.atomic
def withdraw_power(
    user, power: DevolvedPower, *, on: datetime.date | None = None, reason: str
) -> DevolvedPower:
    """收回: the municipal government took the power back (or the law that founded it was repealed)."""
    power = DevolvedPower.objects.select_for_update().get(pk=power.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"status_note": _("请说明收回的依据或原因。")})
    if len(reason) > 300:
        raise ValidationError({"status_note": _("不能超过 %(limit)d 个字。") % {"limit": 300}})
    on = on or clock.today()
    if on < power.devolved_on:
        raise ValidationError({"withdrawn_on": _("收回日期不能早于下放日期。")})
    before = snapshot(power, fields=["status", "withdrawn_on", "status_note"])
    TRANSITIONS.apply(power, "withdraw", user)
    power.withdrawn_on, power.status_note = on, reason
    power.save(update_fields=["status", "withdrawn_on", "status_note", "updated_at"])
    record(
        user,
        "catalog.withdraw_power",
        power,
        before=before,
        after=snapshot(power, fields=["status", "withdrawn_on", "status_note"]),
    )
    return power


@transaction.atomic
def restore_power(user, power: DevolvedPower, *, reason: str = "") -> DevolvedPower:
    """恢复下放: a withdrawn power is devolved again."""
    power = DevolvedPower.objects.select_for_update().get(pk=power.pk)
    before = snapshot(power, fields=["status", "withdrawn_on", "status_note"])
    TRANSITIONS.apply(power, "restore", user)
    power.withdrawn_on, power.status_note = None, (reason or "").strip()[:300]
    power.save(update_fields=["status", "withdrawn_on", "status_note", "updated_at"])
    record(
        user,
        "catalog.restore_power",
        power,
        before=before,
        after=snapshot(power, fields=["status", "withdrawn_on", "status_note"]),
    )
    return power


# --- the whole list from a spreadsheet ----------------------------------------------------------------------


@dataclass
class ImportOutcome:
    errors: list = field(default_factory=list)  # [sheets.RowError], in row order
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    restored: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "restored": self.restored,
        }


def _departments() -> dict[str, Department]:
    """Departments by code, name and English name, as compared (`sheets.header_key`)."""
    found = {}
    for department in Department.objects.all():
        for key in (department.code, department.name, department.name_en):
            if key:
                found.setdefault(sheets.header_key(key), department)
    return found


def _check_rows(read: sheets.ReadSheet) -> None:
    """What a row cannot say on its own: duplicates in the file, departments, item codes, withdrawal dates."""
    departments = _departments()
    codes_seen, names_seen = {}, {}
    every_item = {c for row in read.rows for c in (row.values.get("item_codes") or ())}
    unknown_items = set(unknown_item_codes(every_item))
    for row in read.rows:
        values = row.values
        if values["code"]:
            if values["code"] in codes_seen:
                read.fail(row, "code", _("与第 %(row)s 行的编码重复。") % {"row": codes_seen[values["code"]]})
            else:
                codes_seen[values["code"]] = row.number
        typed = values["department"]
        if typed:
            department = departments.get(sheets.header_key(typed))
            if department is None:
                read.fail(row, "department", _("没有编码或名称为“%(value)s”的部门。") % {"value": typed})
            values["department"] = department
        if values["name"] and values["department"]:
            key = (values["name"], values["department"].pk)
            if key in names_seen:
                read.fail(
                    row,
                    "name",
                    _("与第 %(row)s 行重复:同一实施部门的同名权力。") % {"row": names_seen[key]},
                )
            else:
                names_seen[key] = row.number
        wrong = sorted(set(values.get("item_codes") or ()) & unknown_items)
        if wrong:
            read.fail(
                row, "item_codes", _("事项目录中没有编码为 %(codes)s 的事项。") % {"codes": "、".join(wrong)}
            )
        status = values.get("status") or S.IN_FORCE
        values["status"] = status
        if status == S.WITHDRAWN:
            if values.get("withdrawn_on") is None:
                read.fail(row, "withdrawn_on", _("已收回的权力须填写收回日期。"))
            elif values["devolved_on"] and values["withdrawn_on"] < values["devolved_on"]:
                read.fail(row, "withdrawn_on", _("收回日期不能早于下放日期。"))
            if not values.get("status_note"):
                read.fail(row, "status_note", _("请说明收回的依据或原因。"))
        elif values.get("withdrawn_on") is not None:
            read.fail(row, "withdrawn_on", _("有效的权力不应填写收回日期。"))


def import_powers(user, file, *, dry_run: bool = False) -> ImportOutcome:
    """Check every row of the spreadsheet in `file` and, when all are right, write them in one transaction:
    a power is found by its code (created when new, changed when its cells differ), its status follows the
    file (withdrawn or restored through the transitions). When any row is wrong nothing is written and every
    error is returned (row, column, reason); a dry run checks and writes nothing either way. Powers the file
    does not name are left as they are. The import is audited as a whole, besides each power's own events."""
    _require(user, ADD)
    _require(user, CHANGE)
    _require(user, WITHDRAW)
    try:
        read = sheets.read_workbook(file)
    except sheets.SheetFileError as error:
        return ImportOutcome(errors=[sheets.RowError(None, "", str(error))], dry_run=dry_run)
    outcome = ImportOutcome(rows=len(read.rows), dry_run=dry_run)
    if not any(error.row == 1 for error in read.errors):  # a missing column: no row was read
        _check_rows(read)
    if read.errors:
        outcome.errors = sorted(read.errors, key=lambda e: e.row or 0)
        return outcome
    with transaction.atomic():
        existing = {
            power.code: power
            for power in DevolvedPower.objects.select_for_update().filter(
                code__in=[row.values["code"] for row in read.rows]
            )
        }
        for row in read.rows:
            _import_row(user, read, row, existing.get(row.values["code"]), outcome)
        outcome.errors = sorted(read.errors, key=lambda e: e.row or 0)
        if outcome.errors or dry_run:
            transaction.set_rollback(True)
        else:
            record(user, "catalog.import_powers", None, after=outcome.counts())
    if outcome.errors:
        outcome.created = outcome.updated = outcome.unchanged = outcome.withdrawn = outcome.restored = 0
    return outcome


def _import_row(user, read, row, power, outcome: ImportOutcome) -> None:
    values = row.values
    # An empty cell is an empty text; an empty position keeps the power's place (0 for a new one).
    fields = {name: "" if values.get(name) is None else values[name] for name in FIELDS}
    if values.get("position") is None:
        fields["position"] = power.position if power is not None else 0
    try:
        with transaction.atomic():
            power, change = _write(user, power, fields, values.get("item_codes") or [])
            if values["status"] != power.status:
                if values["status"] == S.WITHDRAWN:
                    withdraw_power(user, power, on=values["withdrawn_on"], reason=values["status_note"])
                    outcome.withdrawn += 1
                else:
                    restore_power(user, power, reason=values.get("status_note") or "")
                    outcome.restored += 1
            elif power.status == S.WITHDRAWN and (
                power.withdrawn_on != values["withdrawn_on"] or power.status_note != values["status_note"]
            ):
                before = snapshot(power, fields=["withdrawn_on", "status_note"])
                power.withdrawn_on, power.status_note = values["withdrawn_on"], values["status_note"]
                power.save(update_fields=["withdrawn_on", "status_note", "updated_at"])
                after = snapshot(power, fields=list(before))
                record(user, "catalog.change_power", power, before=before, after=after)
                change = change or "updated"
    except ValidationError as error:
        messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        for name, texts in messages.items():
            known = name if any(c.field == name for c in sheets.COLUMNS) else None
            for message in texts:
                read.fail(row, known, message)
        return
    outcome.created += change == "created"
    outcome.updated += change == "updated"
    outcome.unchanged += change == ""
