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

What any trail shares (the changes "before → after", choices, dates, users and departments by name, the
technical details, one query per kind of row named) is the audit app's `audit.trail.TrailReader`;
`AuditReader` adds what only approvals knows. `register_trail_readings` tells the audit app's own reader (the
audit API's readable changes) what approvals records as codes and ids.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.models import Department
from sciencecity.audit import trail
from sciencecity.audit.trail import Reading, TrailReader, Value, clipped, dash, pairs
from sciencecity.audit.trail import model_of as _model_of
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
    "approvals.prepare_application": _("帮办代办:代为准备申请"),
    "approvals.save_answers": _("情形回答"),
    "approvals.save_form": _("保存申请表"),
    "approvals.set_target_date": _("填写目标交付日期"),
    "approvals.change_target_date": _("调整目标交付日期"),
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
    "approvals.issue_industry_licence": _("核发行业综合许可证"),
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
ITEMS = "items"  # a list of service item codes
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
    "permits": KeyReading(_("载明的许可"), ITEMS),
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


# --- the approvals' trail -----------------------------------------------------------------------------------

LISTED = 5  # a list longer than this names its first LISTED entries and counts the rest
LISTED_ENTRIES = 3  # the same for the situation questions and form fields changed (long texts)


def _codes(value) -> list[str]:
    return [str(code) for code in value] if isinstance(value, list | tuple) else []


class AuditReader(TrailReader):
    """Reads the audit events of one application (its own, its tasks', materials', certificates', …) as
    people do: the audit app's `TrailReader` (what changed, choices, dates, users and departments by name,
    the technical details), with the approvals' own readings of what it records as codes within the
    application's catalog version, and of the lists it records."""

    def __init__(self, application, *, tasks=(), materials=(), certificates=()):
        super().__init__()
        self.application = application
        self.tasks = {task.pk: task for task in tasks}
        self.materials = {material.pk: material for material in materials}
        self.certificates = {certificate.pk: certificate for certificate in certificates}
        self.specs = {}
        self.items = {}
        self.questions = {}
        self.fields = {}

    # -- reading the names, a fixed number of queries ------------------------------------------------------

    def load(self, events) -> None:
        events = list(events)
        super().load(events)  # users and departments
        wanted = {SPEC: set(), ITEM: set(), CERTIFICATE: set()}
        needs = set()
        for event in events:
            model = _model_of(event)
            for key, value in pairs(event):
                self._collect(model, key, value, wanted, needs, event.action)
        version = self.application.bundle.version_id
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

    def _collect(self, model, key, value, wanted, needs, action) -> None:
        if action == "approvals.record_verdicts":
            wanted[SPEC].add(key)
            return
        kind = key_reading(model, key).kind
        if (kind == CERTIFICATE and isinstance(value, int)) or (
            kind in (SPEC, ITEM) and isinstance(value, str)
        ):
            wanted[kind].add(value)
        elif kind == SPECS:
            wanted[SPEC].update(_codes(value))
        elif kind == ITEMS:
            wanted[ITEM].update(_codes(value))
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
        elif kind in (ANSWERS, FORM):
            needs.add(kind)

    # -- how a key is read -----------------------------------------------------------------------------------

    def key_reading(self, event, key) -> Reading:
        if event.action == "approvals.record_verdicts":  # {material code: [verdict, note]}
            return Reading(self._spec(key), self._verdict)
        return self.reading(_model_of(event), key)

    def reading(self, model, key) -> Reading:
        reading = key_reading(model, key)
        if reading.kind == HIDDEN:
            return Reading("", None)
        label = str(reading.label) if reading.label is not None else ""
        if reading.kind == CHOICE:
            return Reading(label, self.choice_reader(reading.choices))
        refs = None
        if reading.kind == USER:
            refs = _rows_of(get_user_model())
        elif reading.kind == DEPARTMENT:
            refs = _rows_of(Department)
        elif reading.kind == TASKS:
            refs = _task_departments
        read = getattr(self, f"_read_{reading.kind}", None) or self._read_text
        return Reading(label, read, refs, entries=reading.kind in (ANSWERS, FORM))

    # -- naming things ---------------------------------------------------------------------------------------

    def _spec(self, code) -> str:
        return str(self.specs[code]) if code in self.specs else str(code)

    def _item(self, code) -> str:
        return str(self.items[code]) if code in self.items else str(code)

    def _certificate(self, certificate) -> str:
        if certificate.task_id is None:  # an industry licence (一业一证): its own names
            return f"{certificate.display_name} {certificate.number}"
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

    def _read_text(self, value):
        if isinstance(value, list | dict):  # a structure nobody named yet: how many entries it has
            return [Value(ngettext("%(count)s 项", "%(count)s 项", len(value)) % {"count": len(value)})]
        return [Value(clipped(str(value)), True)]

    def _read_user(self, pk):
        return [Value(self.name(get_user_model(), pk), True)]

    def _read_department(self, pk):
        return [Value(self.name(Department, pk))]

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
        return [Value(number, True) for number in _codes(numbers)] or dash()

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

    def _read_items(self, codes):
        return [Value(self._listed(self._item(code) for code in _codes(codes)))]

    def _read_date(self, value):
        return self.read_date(value)

    def _read_datetime(self, value):
        return self.read_datetime(value)

    def _read_bool(self, value):
        return self.read_bool(value)

    def _read_number(self, value):
        return self.read_number(value)

    def _read_passed(self, value):
        return [Value(gettext("符合要求") if value else gettext("不符合要求"))]

    def _read_bytes(self, value):
        return [Value(str(filesizeformat(value)))]

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
        return values or dash()

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
                department = self.row(Department, task.get("department"))
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


def _rows_of(model):
    def refs(value):
        return [(model, value)] if isinstance(value, int) and not isinstance(value, bool) else []

    return refs


def _task_departments(tasks):
    """The departments named by the tasks made at acceptance."""
    if not isinstance(tasks, list):
        return []
    return [
        (Department, task["department"])
        for task in tasks
        if isinstance(task, dict) and isinstance(task.get("department"), int)
    ]


# --- the approvals' models in the audit app's own trail (the API's readable changes) --------------------------


def _code(value, reader):
    return str(value)


def register_trail_readings() -> None:
    """Tell the audit app's `TrailReader` what it cannot learn from the approvals' models (in `ready`): the
    codes recorded for materials and items (shown as codes: the catalog version is the application's), the
    internal ids and hashes left out, and the relations that names of tasks, materials, deliveries and
    ratings read."""
    for model in (
        Application,
        ReviewTask,
        SubmittedMaterial,
        Certificate,
        CorrectionNotice,
        Delivery,
        Rating,
    ):
        for key, reading in RECORDED_AS.items():
            if reading.kind == HIDDEN:
                trail.register(model, key, trail.HIDDEN)
        trail.register(model, "spec", trail.Formatter(_code, RECORDED_AS["spec"].label))
        trail.register(model, "item", trail.Formatter(_code, RECORDED_AS["item"].label))
    trail.register_rows(ReviewTask, "application", "item")
    trail.register_rows(SubmittedMaterial, "application", "spec")
    trail.register_rows(Delivery, "application")
    trail.register_rows(Rating, "application")
