"""The audit trail as a supervisor reads it: each action by its name in the current language, and each change
as "what: before → after" in words.

Audit events store what the services recorded: codes and ids ("approvals.accept_application",
{"status": "submitted", "assignee": 18, "spec": "site-plan"}). `AuditReader` turns them into text:

- a key that is a field of the event's target model is named by the field's verbose name (translated); the
  few keys that are not fields are named in `EXTRA_KEYS`;
- a choice is shown by its label, a user, department, task or certificate by its name, a material or item
  code by the catalog name of the application's version, a date and time in the local time zone;
- lists and dicts (the tasks created, the outcomes of the items, the answers to the situation questions) are
  summarised in words; internal ids (of opinions, deliveries, ratings) and file hashes are left out;
- the event's object is named by what it is now (the application by its current number, not the draft code
  it had when the event was recorded).

The names are read for all the page's events at once, in a fixed number of queries however many events there
are. The recorded data itself stays available, as recorded, in `raw_before` and `raw_after` (the page's
"技术详情", and the admin).
"""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department
from sciencecity.audit import labels
from sciencecity.catalog.models import (
    Bundle,
    FormField,
    MaterialSpec,
    ServiceItem,
    SituationQuestion,
)
from sciencecity.i18n import join_list
from sciencecity.projects.models import Project
from sciencecity.workflow.transitions import action_label

from ..models import (
    Application,
    ApplicationItem,
    Certificate,
    CorrectionNotice,
    Delivery,
    Rating,
    ReviewTask,
    SubmittedMaterial,
)
from ..services.applications import DRAFT_NUMBER_PREFIX

ACTIONS = {
    "approvals.start_application": _("创建申请"),
    "approvals.save_answers": _("情形回答"),
    "approvals.save_form": _("保存申请表"),
    "approvals.upload_material": _("上传材料"),
    "approvals.pledge_material": _("告知承诺"),
    "approvals.record_verdicts": _("审核意见"),
    "approvals.request_correction": _("一次性告知补正"),
    "approvals.create_tasks": _("审批任务"),
    "approvals.release_task": _("启动审查"),
    "approvals.claim_task": _("认领"),
    "approvals.add_opinion": _("审查意见"),
    "approvals.record_site_inspection": _("现场勘验"),
    "approvals.request_supplement": _("要求补充材料"),
    "approvals.answer_supplement": _("答复补充材料"),
    "approvals.reassign_task": _("改派"),
    "approvals.extend_deadline": _("延长期限"),
    "approvals.escalate_task": _("督办"),
    "approvals.issue_certificate": _("出具证照"),
    "approvals.revoke_certificate": _("撤销证照"),
    "approvals.deliver_application": _("统一出件"),
    "approvals.rate_application": _("服务评价"),
    "approvals.supply_tolerated_material": _("补交容缺材料"),
    "approvals.accept_supplied_gap": _("容缺材料已补齐"),
    "approvals.reject_supplied_gap": _("退回补交材料"),
}


def approvals_action_name(action: str) -> str | None:
    """The name of an action of bundled approval (registered with `audit.labels` in `ApprovalsConfig.ready`);
    a transition recorded as "approvals.<action>_application" or "_task" is named by its transitions table;
    None for another app's action or one nobody named yet."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    if not action.startswith("approvals."):
        return None
    name = action.removeprefix("approvals.").removesuffix("_application").removesuffix("_task")
    label = action_label(name)
    # The transitions table's labels are its msgids; translating them here works whether it is lazy or not.
    return gettext(label) if label != name else None


# --- how each recorded key is read ---------------------------------------------------------------------------

# Kinds of recorded values.
TEXT = "text"  # shown as recorded: data people entered
NUMBER = "number"
HIDDEN = "hidden"  # internal ids and file hashes: in the technical details only
CHOICE = "choice"
DATE = "date"
DATETIME = "datetime"
BOOL = "bool"
PASSED = "passed"  # a site inspection's conclusion
BYTES = "bytes"
USER = "user"
DEPARTMENT = "department"
PROJECT = "project"
BUNDLE = "bundle"
TASK = "task"
CERTIFICATE = "certificate"
CERTIFICATE_NUMBERS = "certificate_numbers"
APPLICATION_NUMBER = "application_number"
SPEC = "spec"  # a material's code
SPECS = "specs"  # a list of material codes
ITEM = "item"  # a service item's code
GAPS = "gaps"  # {material code: due date}
PROBLEMS = "problems"  # [{"material": code, "problem": text}]
OUTCOMES = "outcomes"  # {item code: outcome}
TASKS = "tasks"  # the tasks made at acceptance: [{"task", "item", "department", "depends_on"}]
ANSWERS = "answers"  # {question code: answer}
FORM = "form"  # {form field code: value}


@dataclass(frozen=True)
class KeyReading:
    label: object  # a (lazy) text, or None for a key without a name (shown as its code)
    kind: str
    choices: tuple = ()


def _field_label(model, name):
    return model._meta.get_field(name).verbose_name


# Keys whose recorded value is not the model field's value (a code for a foreign key, a renamed field, data
# kept for the record only), whatever the target.
RECORDED_AS = {
    "spec": KeyReading(_field_label(SubmittedMaterial, "spec"), SPEC),
    "item": KeyReading(_field_label(ReviewTask, "item"), ITEM),
    "name": KeyReading(_field_label(SubmittedMaterial, "original_name"), TEXT),
    "size": KeyReading(_("文件大小"), BYTES),
    "sha256": KeyReading(None, HIDDEN),
    "event": KeyReading(None, HIDDEN),
    "delivery": KeyReading(None, HIDDEN),
    "rating": KeyReading(None, HIDDEN),
    "today": KeyReading(None, HIDDEN),  # the day of the deadline scan: the event's time says it
    "triggered_by": KeyReading(None, HIDDEN),  # the event's actor
    "answers": KeyReading(_field_label(Application, "answers"), ANSWERS),
    "form_data": KeyReading(_field_label(Application, "form_data"), FORM),
}
# Keys that are no field of the target: recorded beside the snapshot of the fields.
EXTRA_KEYS = {
    "gaps": KeyReading(_("容缺材料"), GAPS),
    "problems": KeyReading(_field_label(CorrectionNotice, "problems"), PROBLEMS),
    "note": KeyReading(_field_label(CorrectionNotice, "note"), TEXT),
    "outcomes": KeyReading(_field_label(ApplicationItem, "outcome"), OUTCOMES),
    "method": KeyReading(_field_label(Delivery, "method"), CHOICE, tuple(Delivery.Method.choices)),
    "certificates": KeyReading(_("证照"), CERTIFICATE_NUMBERS),
    "score": KeyReading(_field_label(Rating, "score"), NUMBER),
    "comment": KeyReading(_field_label(Rating, "comment"), TEXT),
    "tasks": KeyReading(_("审批任务"), TASKS),
    "text": KeyReading(_("内容"), TEXT),
    "reason": KeyReading(_("理由"), TEXT),
    "resolution": KeyReading(_("整改情况"), TEXT),
    "pause_from": KeyReading(_("暂停计时"), DATE),
    "pause_to": KeyReading(_("恢复计时"), DATE),
    "materials": KeyReading(_("材料"), SPECS),
    "date": KeyReading(_("勘查日期"), DATE),
    "passed": KeyReading(_("勘查结论"), PASSED),
    "due_date": KeyReading(_("整改期限"), DATE),
    "department": KeyReading(_("审批部门"), DEPARTMENT),
    "project": KeyReading(_("项目"), PROJECT),
    "bundle": KeyReading(_("一件事"), BUNDLE),
    "verdict": KeyReading(_("审核意见"), CHOICE, tuple(SubmittedMaterial.Verdict.choices)),
    "promised_deadline": KeyReading(_("承诺期限"), DATE),
    "warning_level": KeyReading(_("预警级别"), CHOICE, tuple(ReviewTask.Warning.choices)),
}


def _reading_of_field(field) -> KeyReading:
    label = field.verbose_name
    if field.choices:
        return KeyReading(label, CHOICE, tuple(field.flatchoices))
    if isinstance(field, models.ForeignKey):
        related = field.related_model
        if related is get_user_model():
            return KeyReading(label, USER)
        kinds = {
            Department: DEPARTMENT,
            ReviewTask: TASK,
            Certificate: CERTIFICATE,
            Bundle: BUNDLE,
            Project: PROJECT,
        }
        return KeyReading(label, kinds.get(related, HIDDEN))  # another row's id: in the details only
    if isinstance(field, models.DateTimeField):
        return KeyReading(label, DATETIME)
    if isinstance(field, models.DateField):
        return KeyReading(label, DATE)
    if isinstance(field, models.BooleanField):
        return KeyReading(label, BOOL)
    if isinstance(field, models.IntegerField | models.DecimalField | models.FloatField):
        return KeyReading(label, NUMBER)
    return KeyReading(label, TEXT)


def key_reading(model, key: str) -> KeyReading:
    """How the recorded `key` of an event on `model` is named and read."""
    if key in RECORDED_AS:
        return RECORDED_AS[key]
    if model is Application and key == "number":
        return KeyReading(_field_label(Application, "number"), APPLICATION_NUMBER)
    if model is not None:
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:  # a key recorded beside the fields
            field = None
        if field is not None and getattr(field, "concrete", False) and not field.many_to_many:
            return _reading_of_field(field)
    return EXTRA_KEYS.get(key, KeyReading(None, TEXT))


# --- what a page shows ----------------------------------------------------------------------------------------


@dataclass
class Value:
    text: str
    data: bool = False  # data people entered (names, notes, numbers): marked so, shown as recorded


@dataclass
class Change:
    label: str  # the key's name, or "" when the key has none (its code is shown in `key`)
    key: str
    before: list[Value] | None  # None when the value was only recorded after the action
    after: list[Value]


EMPTY = (None, "", [], {})
LISTED = 5  # a list longer than this names its first LISTED entries and counts the rest
LISTED_ENTRIES = 3  # the same for the situation questions and form fields changed (long texts)


def _dash() -> list[Value]:
    return [Value("—")]


def _codes(value) -> list[str]:
    return [str(code) for code in value] if isinstance(value, list | tuple) else []


class AuditReader:
    """Reads the audit events of one application (its own, its tasks', materials', certificates', …) as
    people do. `describe(events)` sets on each event `label` (the action), `object_label` (what it acted on),
    `changes` (a list of `Change`) and `raw_before`/`raw_after` (the data as recorded, as JSON)."""

    def __init__(self, application, *, tasks=(), materials=(), certificates=()):
        self.application = application
        self.tasks = {task.pk: task for task in tasks}
        self.materials = {material.pk: material for material in materials}
        self.certificates = {certificate.pk: certificate for certificate in certificates}
        self.users = {}
        self.departments = {}
        self.specs = {}
        self.items = {}
        self.questions = {}
        self.fields = {}

    # -- reading the names, a fixed number of queries ------------------------------------------------------

    def _load(self, events) -> None:
        wanted = {USER: set(), DEPARTMENT: set(), SPEC: set(), ITEM: set(), CERTIFICATE: set()}
        needs = set()
        for event in events:
            model = _model_of(event)
            for key, value in self._pairs(event):
                self._collect(model, key, value, wanted, needs, event.action)
        version = self.application.bundle.version_id
        User = get_user_model()
        if ids := {pk for pk in wanted[USER] if pk not in self.users}:
            self.users.update({user.pk: user for user in User.objects.filter(pk__in=ids)})
        if ids := wanted[DEPARTMENT]:
            self.departments = {row.pk: row for row in Department.objects.filter(pk__in=ids)}
        if codes := wanted[SPEC]:
            self.specs = {
                row.code: row for row in MaterialSpec.objects.filter(version_id=version, code__in=codes)
            }
        if codes := wanted[ITEM]:
            self.items = {
                row.code: row for row in ServiceItem.objects.filter(version_id=version, code__in=codes)
            }
        if ids := {pk for pk in wanted[CERTIFICATE] if pk not in self.certificates}:
            self.certificates.update(
                {row.pk: row for row in Certificate.objects.filter(pk__in=ids).select_related("task__item")}
            )
        if ANSWERS in needs:
            self.questions = {
                row.code: row
                for row in SituationQuestion.objects.filter(bundle_id=self.application.bundle_id)
            }
        if FORM in needs:
            self.fields = {
                row.code: row for row in FormField.objects.filter(bundle_id=self.application.bundle_id)
            }

    @staticmethod
    def _pairs(event):
        for side in (event.before, event.after):
            if isinstance(side, dict):
                yield from side.items()

    def _collect(self, model, key, value, wanted, needs, action) -> None:
        if action == "approvals.record_verdicts":
            wanted[SPEC].add(key)
            return
        kind = key_reading(model, key).kind
        if (kind in (USER, DEPARTMENT, CERTIFICATE) and isinstance(value, int)) or (
            kind in (SPEC, ITEM) and isinstance(value, str)
        ):
            wanted[kind].add(value)
        elif kind == SPECS:
            wanted[SPEC].update(_codes(value))
        elif kind == GAPS and isinstance(value, dict):
            wanted[SPEC].update(value)
        elif kind == PROBLEMS and isinstance(value, list):
            wanted[SPEC].update(p.get("material") for p in value if isinstance(p, dict) and p.get("material"))
        elif kind == OUTCOMES and isinstance(value, dict):
            wanted[ITEM].update(value)
        elif kind == TASKS and isinstance(value, list):
            for task in value:
                if isinstance(task, dict):
                    wanted[ITEM].add(task.get("item"))
                    wanted[ITEM].update(_codes(task.get("depends_on")))
                    if isinstance(task.get("department"), int):
                        wanted[DEPARTMENT].add(task["department"])
        elif kind in (ANSWERS, FORM):
            needs.add(kind)

    # -- naming things ---------------------------------------------------------------------------------------

    def _spec(self, code) -> str:
        return str(self.specs[code]) if code in self.specs else str(code)

    def _item(self, code) -> str:
        return str(self.items[code]) if code in self.items else str(code)

    def _certificate(self, certificate) -> str:
        name = certificate.task.item.display_certificate_name or certificate.name
        return f"{name} {certificate.number}"

    @staticmethod
    def _listed(names, listed=LISTED) -> str:
        names = [str(name) for name in names]
        if len(names) <= listed:
            return join_list(names)
        return gettext("%(names)s 等共 %(count)s 项") % {
            "names": join_list(names[:listed]),
            "count": len(names),
        }

    def object_label(self, event) -> tuple[str, bool]:
        """What the event acted on, named as it is now; (text, whether it is data shown as recorded)."""
        model = _model_of(event)
        try:
            pk = int(event.target_id)
        except (TypeError, ValueError):
            pk = None
        application = self.application
        if model is Application and pk == application.pk:
            return f"{Application._meta.verbose_name} {application.number}", False
        if model is ReviewTask and pk in self.tasks:
            return f"{ReviewTask._meta.verbose_name} · {self.tasks[pk].item}", False
        if model is SubmittedMaterial and pk in self.materials:
            return f"{SubmittedMaterial._meta.verbose_name} · {self.materials[pk].spec}", False
        if model is Certificate and pk in self.certificates:
            return f"{Certificate._meta.verbose_name} · {self._certificate(self.certificates[pk])}", False
        if model in (CorrectionNotice, Delivery, Rating):
            return str(model._meta.verbose_name), False
        return event.target_repr, True

    # -- reading values --------------------------------------------------------------------------------------

    def value(self, reading: KeyReading, value) -> list[Value]:
        """A recorded value in words: one `Value`, or several for a list (shown separated)."""
        if value in EMPTY:
            return _dash()
        read = getattr(self, f"_read_{reading.kind}", None)
        if reading.kind == CHOICE:
            labels = {str(key): label for key, label in reading.choices}
            return [Value(str(labels[str(value)]))] if str(value) in labels else [Value(str(value), True)]
        if read is not None:
            return read(value)
        if isinstance(value, list | dict):  # a structure nobody named yet: how many entries it has
            return [Value(ngettext("%(count)s 项", "%(count)s 项", len(value)) % {"count": len(value)})]
        text = str(value)
        return [Value(text if len(text) <= 300 else text[:297] + "…", True)]

    def _read_user(self, pk):
        user = self.users.get(pk)
        return [Value(str(user) if user else f"#{pk}", True)]

    def _read_department(self, pk):
        department = self.departments.get(pk)
        return [Value(str(department) if department else f"#{pk}")]

    def _read_project(self, pk):
        project = self.application.project
        return [Value(str(project) if pk == project.pk else f"#{pk}", True)]

    def _read_bundle(self, pk):
        bundle = self.application.bundle
        return [Value(str(bundle) if pk == bundle.pk else f"#{pk}")]

    def _read_task(self, pk):
        task = self.tasks.get(pk)
        return [Value(str(task.item) if task else f"#{pk}")]

    def _read_certificate(self, pk):
        certificate = self.certificates.get(pk)
        return [Value(self._certificate(certificate) if certificate else f"#{pk}", True)]

    def _read_certificate_numbers(self, numbers):
        return [Value(number, True) for number in _codes(numbers)] or _dash()

    def _read_application_number(self, number):
        if str(number).startswith(DRAFT_NUMBER_PREFIX):  # the draft's placeholder, not a number to quote
            return [Value(gettext("草稿"))]
        return [Value(str(number), True)]

    def _read_spec(self, code):
        return [Value(self._spec(code))]

    def _read_specs(self, codes):
        return [Value(self._listed(self._spec(code) for code in _codes(codes)))]

    def _read_item(self, code):
        return [Value(self._item(code))]

    def _read_date(self, value):
        day = value if isinstance(value, datetime.date) else parse_date(str(value))
        return [Value(day.isoformat() if day else str(value))]

    def _read_datetime(self, value):
        moment = value if isinstance(value, datetime.datetime) else parse_datetime(str(value))
        if moment is None:
            return [Value(str(value))]
        if settings.USE_TZ and timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return [Value(formats.date_format(moment, "Y-m-d H:i"))]

    def _read_bool(self, value):
        return [Value(gettext("是") if value else gettext("否"))]

    def _read_passed(self, value):
        return [Value(gettext("符合要求") if value else gettext("不符合要求"))]

    def _read_bytes(self, value):
        return [Value(str(filesizeformat(value)))]

    def _read_number(self, value):
        return [Value(str(value))]

    def _read_gaps(self, gaps):
        if not isinstance(gaps, dict):
            return [Value(str(gaps), True)]
        return [
            Value(gettext("%(material)s(%(date)s 前补交)") % {"material": self._spec(code), "date": due})
            for code, due in gaps.items()
        ]

    def _read_problems(self, problems):
        if not isinstance(problems, list):
            return [Value(str(problems), True)]
        values = []
        for problem in problems:
            if isinstance(problem, dict):
                text = str(problem.get("problem", ""))
                if problem.get("material"):
                    text = gettext("%(material)s:%(problem)s") % {
                        "material": self._spec(problem["material"]),
                        "problem": text,
                    }
                values.append(Value(text, True))
        return values or _dash()

    def _read_outcomes(self, outcomes):
        if not isinstance(outcomes, dict):
            return [Value(str(outcomes), True)]
        labels = dict(ApplicationItem.Outcome.choices)
        return [
            Value(
                gettext("%(item)s:%(outcome)s")
                % {"item": self._item(code), "outcome": labels.get(outcome, outcome)}
            )
            for code, outcome in outcomes.items()
        ]

    def _read_tasks(self, tasks):
        if not isinstance(tasks, list):
            return [Value(str(tasks), True)]
        entries = []
        for task in tasks:
            if isinstance(task, dict):
                name = self._item(task.get("item"))
                department = self.departments.get(task.get("department"))
                entries.append(
                    gettext("%(item)s(%(department)s)") % {"item": name, "department": department}
                    if department
                    else name
                )
        return [Value(self._listed(entries))]

    def _read_answers(self, answers):
        # The questions answered (long texts: the first few); the answers themselves are in the details.
        return self._entries(self.questions, answers)

    def _read_form(self, data):
        return self._entries(self.fields, data)

    def _entries(self, rows, values):
        if not isinstance(values, dict):
            return [Value(str(values), True)]
        names = [str(rows[code]) if code in rows else str(code) for code in values]
        return [Value(self._listed(names, LISTED_ENTRIES))]

    def _verdict(self, value) -> list[Value]:
        verdict, note = (list(value) + ["", ""])[:2] if isinstance(value, list | tuple) else (value, "")
        labels = dict(SubmittedMaterial.Verdict.choices)
        values = [Value(str(labels.get(verdict, verdict or "—")))]
        if note:
            # The notes the platform writes are message ids (models.HELD_NOTE): shown translated, as on the pages.
            values.append(Value(gettext(str(note)), True))
        return values

    # -- one event -------------------------------------------------------------------------------------------

    def changes(self, event) -> list[Change]:
        """What changed, in words: "before → after" for what both sides recorded and differ, the value for what
        only the after side recorded (empty values left out); keys with nothing to read (ids, hashes) skipped.
        For the answers and the form, only the entries that changed are named."""
        before, after = _as_dict(event.before), _as_dict(event.after)
        changes = []
        for key in dict.fromkeys([*before, *after]):
            label, read = self._key(event, key)
            if read is None:
                continue
            change = Change(label, "" if label else key, None, [])
            if key in before and key in after:
                old, new = before[key], after[key]
                if old == new:
                    continue
                if (
                    isinstance(old, dict)
                    and isinstance(new, dict)
                    and read in (self._read_answers, self._read_form)
                ):
                    change.after = read(
                        {code: value for code, value in new.items() if old.get(code) != value}
                    )
                else:
                    change.before, change.after = self._read(read, old), self._read(read, new)
            elif key in after:
                if after[key] in EMPTY:
                    continue
                change.after = self._read(read, after[key])
            else:
                change.before, change.after = self._read(read, before[key]), _dash()
            changes.append(change)
        return changes

    def _key(self, event, key):
        """(label, reader) of a recorded key; the reader is None for a key left out."""
        if event.action == "approvals.record_verdicts":  # {material code: [verdict, note]}
            return self._spec(key), self._verdict
        reading = key_reading(_model_of(event), key)
        if reading.kind == HIDDEN:
            return "", None
        label = str(reading.label) if reading.label is not None else ""
        if reading.kind == CHOICE or not hasattr(self, f"_read_{reading.kind}"):
            return label, lambda value, reading=reading: self.value(reading, value)
        return label, getattr(self, f"_read_{reading.kind}")

    @staticmethod
    def _read(read, value):
        return _dash() if value in EMPTY else read(value)

    def describe(self, events) -> list:
        events = list(events)
        self._load(events)
        for event in events:
            event.label = labels.action_display(event.action)
            event.object_label, event.object_is_data = self.object_label(event)
            event.changes = self.changes(event)
            event.raw_before = _raw(event.before)
            event.raw_after = _raw(event.after)
        return events


def _as_dict(data) -> dict:
    if isinstance(data, dict):
        return data
    return {} if data is None else {"": data}


def _model_of(event):
    """The model of the event's target, from the content types' cache (no query per event)."""
    if not event.target_type_id:
        return None
    return ContentType.objects.get_for_id(event.target_type_id).model_class()


def _raw(data) -> str:
    if data is None:
        return ""
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True, cls=DjangoJSONEncoder)
