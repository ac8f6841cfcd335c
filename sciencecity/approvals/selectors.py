"""Reads of bundled approval that the services, pages, API and commands share.

The situation guide (`selected_items`), the complete notice of what is needed (`material_notice`, 一次告知),
the merged form (`merged_form`, 一张表单) and the dependency graph of the selected items. What they need of the
catalog comes from `sciencecity.catalog.compiled`: a published version compiled once per process, so that
they read no catalog row once it is (the selected items' departments, which are not catalog rows, are read
in one query); a draft's rows are read as they are, a fixed number of queries whatever the size of the
bundle. Either way a page can show them without care.
"""

import datetime
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from sciencecity.catalog import compiled
from sciencecity.catalog.models import FormField, MaterialSpec, ServiceItem, SituationQuestion

from .models import CHECK_ALPHABET, CHECK_LENGTH, Certificate, LicencePermit

YES_NO = ("yes", "no")
_BOOLEAN_ANSWERS = {True: "yes", False: "no"}


# --- the situation guide (情形引导) -------------------------------------------------------------------


def normalize_answers(bundle, answers, *, complete: bool = True, questions=None, rules=None) -> dict:
    """Check `answers` ({question code: value}) against the bundle's questions and return them normalized.

    Yes/no answers are "yes" or "no" (booleans are accepted); a single choice is one offered value; a multiple
    choice is a list of offered values (one value alone is accepted). With `complete`, every question that a
    situation rule depends on must be answered. Raises one ValidationError listing every problem, keyed by
    question code (unknown codes under their own code).
    """
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationError(_("情形回答的格式不正确。"), code="invalid_answers")
    if questions is None:
        questions = compiled.questions(bundle)
    by_code = {question.code: question for question in questions}
    errors: dict[str, list] = {}
    normalized = {}
    for code, value in answers.items():
        question = by_code.get(code)
        if question is None:
            errors[str(code)] = [
                ValidationError(
                    _("没有编码为“%(code)s”的情形问题。"), code="unknown_question", params={"code": code}
                )
            ]
            continue
        try:
            normalized[code] = _normalize_answer(question, value)
        except ValidationError as error:
            errors[code] = [error]
    if complete:
        if rules is None:
            rules = compiled.rules(bundle)
        needed = {code for rule in rules for code in rule.conditions}
        for question in questions:
            if question.code in needed and question.code not in normalized and question.code not in errors:
                errors[question.code] = [
                    ValidationError(
                        _("请回答情形问题“%(question)s”。"),
                        code="missing_answer",
                        params={"question": question.text},
                    )
                ]
    if errors:
        raise ValidationError(errors)
    return normalized


def _normalize_answer(question: SituationQuestion, value):
    offered = question.allowed_values()
    not_offered = ValidationError(
        _("“%(value)s”不是情形问题“%(question)s”的选项。"),
        code="invalid_choice",
        params={"value": value, "question": question.text},
    )
    if question.kind == SituationQuestion.Kind.MULTIPLE:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not values:
            raise ValidationError(
                _("情形问题“%(question)s”至少选择一项。"),
                code="missing_answer",
                params={"question": question.text},
            )
        chosen = []
        for one in values:
            if not isinstance(one, str) or one not in offered:
                raise ValidationError(
                    _("“%(value)s”不是情形问题“%(question)s”的选项。"),
                    code="invalid_choice",
                    params={"value": one, "question": question.text},
                )
            if one not in chosen:
                chosen.append(one)
        return chosen
    if question.kind == SituationQuestion.Kind.YES_NO and isinstance(value, bool):
        value = _BOOLEAN_ANSWERS[value]
    if not isinstance(value, str) or value not in offered:
        raise not_offered
    return value


def rule_holds(conditions: dict, answers: dict) -> bool:
    """Whether every condition holds; a multiple-choice answer holds when any chosen value is accepted."""
    for code, accepted in conditions.items():
        answer = answers.get(code)
        chosen = answer if isinstance(answer, list) else [answer]
        if not any(value in accepted for value in chosen if value is not None):
            return False
    return True


def selected_items(bundle, answers, *, complete: bool = True) -> list[ServiceItem]:
    """The bundle's mandatory items plus the situational items that the answers select, in bundle order, each
    with its department.

    Answers are validated first (see `normalize_answers`); with `complete=False` (a draft being filled in) an
    unanswered question simply selects nothing. One query (the departments) once the version is compiled;
    three otherwise.
    """
    questions = compiled.questions(bundle)
    rules = compiled.rules(bundle)
    answers = normalize_answers(bundle, answers, complete=complete, questions=questions, rules=rules)
    chosen = {pk for rule in rules if rule_holds(rule.conditions, answers) for pk in rule.item_ids}
    uses = compiled.uses(bundle)
    return compiled.with_departments(use.item for use in uses if use.mandatory or use.item.pk in chosen)


# --- the complete notice (一次告知) --------------------------------------------------------------------


@dataclass
class NoticeEntry:
    """One material of the de-duplicated set, with what the items that use it say about it.

    `held_how` is "enterprise", "project" or "certificate" when the platform already holds it (免提交), and
    `held_value` then the value read (or the certificate's number). `produced_by` is a selected item of this
    same application that issues the certificate this material asks for: it will exist when that item is
    approved, so the applicant hands nothing in.
    """

    spec: MaterialSpec
    items: list[ServiceItem] = field(default_factory=list)
    required: bool = False
    gap_tolerated: bool = False
    pledge_allowed: bool = False
    held_how: str = ""
    held_value: str = ""
    certificate: Certificate | None = None
    produced_by: ServiceItem | None = None

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def held_by_platform(self) -> bool:
        return bool(self.held_how)

    @property
    def needs_submission(self) -> bool:
        """Whether the applicant must provide it (upload, or pledge where allowed)."""
        return self.required and not self.held_by_platform and self.produced_by is None


def reusable_certificates(enterprise_id, project_id, codes) -> dict[str, Certificate]:
    """For each certificate type code, the newest valid certificate held by the enterprise for the project.

    The same choice as `services.certificates.find_reusable_certificate`, for many codes in one query.
    """
    found: dict[str, Certificate] = {}
    if not codes:
        return found
    # The newest of each code ranked in the database (a window filtered to rank 1): an enterprise that has
    # held a permit through years of applications sends one row per code, not its whole history.
    newest_first = Window(
        RowNumber(), partition_by=[F("certificate_code")], order_by=[F("issued_at").desc(), F("id").desc()]
    )
    rows = (
        Certificate.objects.valid()
        .filter(enterprise_id=enterprise_id, project_id=project_id, certificate_code__in=set(codes))
        .annotate(rank=newest_first)
        .filter(rank=1)
    )
    for certificate in rows:
        found[certificate.certificate_code] = certificate
    return found


def _registry_value(obj, field_name: str) -> str:
    if obj is None or not field_name:
        return ""
    value = getattr(obj, field_name, None)
    if value is None:
        return ""
    return _plain(value)


def _plain(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def material_notice(bundle, items, enterprise, project) -> list[NoticeEntry]:
    """The complete notice (一次告知) for `items`: each material once, in the order the items first need it.

    `required`: some item requires it; `gap_tolerated` / `pledge_allowed`: every item that requires it
    tolerates a gap / accepts a pledge (for a material no item requires, every item that lists it). One query
    whatever the number of items, the certificates held for the project, once the version is compiled; and
    the item materials before.
    """
    item_ids = list(dict.fromkeys(item.pk for item in items))
    by_pk = {item.pk: item for item in items}
    uses_of = compiled.material_uses(bundle, item_ids)
    # In the order the items first need them; an item's own materials by code.
    grouped: dict[int, list[compiled.MaterialUse]] = {}
    for pk in item_ids:
        for use in uses_of[pk]:
            grouped.setdefault(use.material_id, []).append(use)

    producing = {item.certificate_code: item for item in items if item.certificate_code}
    certificate_codes = {
        group[0].material.certificate_code
        for group in grouped.values()
        if group[0].material.source == MaterialSpec.Source.CERTIFICATE and group[0].material.certificate_code
    }
    held_certificates = reusable_certificates(
        getattr(enterprise, "pk", None), getattr(project, "pk", None), certificate_codes
    )

    entries = []
    for group in grouped.values():
        spec = group[0].material
        requiring = [use for use in group if use.required] or group
        entry = NoticeEntry(
            spec=spec,
            items=[by_pk[use.item_id] for use in group],
            required=any(use.required for use in group),
            gap_tolerated=all(use.gap_tolerated for use in requiring),
            pledge_allowed=all(use.pledge_allowed for use in requiring),
        )
        if spec.source == MaterialSpec.Source.ENTERPRISE:
            entry.held_value = _registry_value(enterprise, spec.source_field)
            entry.held_how = "enterprise" if entry.held_value else ""
        elif spec.source == MaterialSpec.Source.PROJECT:
            entry.held_value = _registry_value(project, spec.source_field)
            entry.held_how = "project" if entry.held_value else ""
        elif spec.source == MaterialSpec.Source.CERTIFICATE and spec.certificate_code:
            certificate = held_certificates.get(spec.certificate_code)
            if certificate is not None:
                entry.certificate = certificate
                entry.held_how = "certificate"
                entry.held_value = certificate.number
            else:
                producer = producing.get(spec.certificate_code)
                if producer is not None and all(use.item_id != producer.pk for use in group):
                    entry.produced_by = producer
        entries.append(entry)
    return entries


# --- the merged form (一张表单) ------------------------------------------------------------------------


@dataclass
class FormEntry:
    """A field of the merged form: asked once, used by `items`; `value` is the saved value, else the
    prefilled one (`prefilled` says which)."""

    field: FormField
    items: list[ServiceItem]
    value: object = None
    prefilled: bool = False

    @property
    def code(self) -> str:
        return self.field.code

    @property
    def required(self) -> bool:
        return self.field.required


def prefill_value(path: str, enterprise, project):
    """The value of "enterprise.<field>" or "project.<field>", as stored in form data; None when empty."""
    if not path or "." not in path:
        return None
    source, name = path.split(".", 1)
    obj = {"enterprise": enterprise, "project": project}.get(source)
    value = _registry_value(obj, name)
    return value or None


def merged_form(bundle, items, enterprise, project, saved=None) -> list[FormEntry]:
    """The bundle's form fields that any of `items` uses, in form order, with their values. No query once the
    version is compiled; two before."""
    saved = saved or {}
    item_ids = {item.pk for item in items}
    by_pk = {item.pk: item for item in items}
    field_items = compiled.form_field_items(bundle)
    entries = []
    for form_field in compiled.form_fields(bundle):
        users = [by_pk[pk] for pk in field_items.get(form_field.pk, ()) if pk in item_ids]
        if not users:
            continue
        if form_field.code in saved:
            entry = FormEntry(form_field, users, saved[form_field.code], prefilled=False)
        else:
            value = prefill_value(form_field.prefill, enterprise, project)
            entry = FormEntry(form_field, users, value, prefilled=value is not None)
        entries.append(entry)
    return entries


# --- dependencies between the selected items -----------------------------------------------------------


def dependency_graph(bundle, items) -> dict[int, set[int]]:
    """{item pk: pks of its prerequisites}, restricted to `items` (a prerequisite not selected is ignored).
    No query once the version is compiled; one before."""
    item_ids = {item.pk for item in items}
    prerequisites = compiled.dependencies(bundle)
    return {pk: set(prerequisites.get(pk, frozenset()) & item_ids) for pk in item_ids}


def dependency_waves(graph: dict[int, set[int]]) -> list[list[int]]:
    """The items grouped by the earliest round in which they can start: round 0 has no prerequisites, round
    n waits for something of round n-1. Raises ValueError on a cycle (the catalog validator refuses them)."""
    remaining = {pk: set(prerequisites) for pk, prerequisites in graph.items()}
    waves = []
    done: set[int] = set()
    while remaining:
        wave = sorted(pk for pk, prerequisites in remaining.items() if prerequisites <= done)
        if not wave:
            raise ValueError(f"dependency cycle among items {sorted(remaining)}")
        waves.append(wave)
        done.update(wave)
        for pk in wave:
            del remaining[pk]
    return waves


def dependents_of(graph: dict[int, set[int]]) -> dict[int, set[int]]:
    """The reverse graph: {item pk: pks of the items that wait for it}."""
    reverse: dict[int, set[int]] = defaultdict(set)
    for pk, prerequisites in graph.items():
        for prerequisite in prerequisites:
            reverse[prerequisite].add(pk)
    return dict(reverse)


# --- public verification --------------------------------------------------------------------------------

MAX_CODE_LENGTH = Certificate._meta.get_field("verification_code").max_length


def find_certificate(code: str, number: str = "") -> Certificate | None:
    """The certificate with this verification code (and number, when given), or with this number and the
    short check code printed beside it, for the public verification page and API; None for anything else,
    so that a wrong code and a wrong number look the same."""
    code = (code or "").strip()
    if not code or len(code) > MAX_CODE_LENGTH:
        return None
    short = code.upper().replace("-", "").replace(" ", "")
    if number and len(short) == CHECK_LENGTH and set(short) <= set(CHECK_ALPHABET):
        certificate = (
            Certificate.objects.select_related("department", "enterprise", "project", "task__item")
            .filter(number=number.strip().upper())
            .first()
        )
        if certificate is not None and hmac.compare_digest(certificate.check_code.replace("-", ""), short):
            return certificate
        return None
    certificate = (
        Certificate.objects.select_related("department", "enterprise", "project", "task__item")
        .filter(verification_code=code)
        .first()
    )
    if certificate is not None and number and certificate.number != number.strip().upper():
        return None
    return certificate


def permits_of(certificate: Certificate) -> list:
    """The permits an industry licence (一业一证) stands for, in order, each with its item and its own
    certificate (one query); none for an item's certificate (and no query)."""
    if certificate.kind != Certificate.Kind.INDUSTRY_LICENCE:
        return []
    return list(
        LicencePermit.objects.filter(licence=certificate)
        .select_related("item", "certificate")
        .order_by("position", "id")
    )
