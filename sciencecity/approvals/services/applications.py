"""The applicant's side of an application: start, answer, fill the merged form, provide materials, submit,
withdraw; and the administrator's cancellation.

Every function runs in one transaction, fetches the application through `Application.objects.for_user(user)`
with a row lock (an application outside the user's scope is `NotFound`), checks the transition table,
writes, audits, and notifies. `user` None is the platform itself (the demo generator): no scope, every row
of the tables allowed; except where a person must be named (starting an application, a correction notice,
the records of a task), which refuse None.

Locking order, everywhere in bundled approval: the application first, then its tasks and materials. Every
write on an application or one of its tasks locks the application row, so two actions on the same
application never interleave and never deadlock.
"""

import datetime
import secrets
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.audit.services import snapshot
from sciencecity.catalog import compiled
from sciencecity.catalog.models import Bundle, CatalogVersion, FormField, MaterialSpec
from sciencecity.catalog.validators import FORM_NUMBER_LIMIT
from sciencecity.notifications import services as notifications
from sciencecity.projects.models import Project
from sciencecity.projects.services import escort
from sciencecity.text import reject_control_characters
from sciencecity.workdays import clock
from sciencecity.workdays.calendar import deadline_after
from sciencecity.workdays.display import deadline_text
from sciencecity.workflow.errors import fetch_in_scope, field_error, not_found
from sciencecity.workflow.prepared import insert, update_fields

from .. import selectors, transitions
from ..files import check_upload, store_upload
from ..models import (
    HELD_NOTE,
    Application,
    ApplicationItem,
    CorrectionNotice,
    ReviewTask,
    SubmittedMaterial,
    TaskPause,
)
from ..target_dates import target_date_problems
from .numbers import application_number

A = Application.Status
M = SubmittedMaterial
DRAFT_NUMBER_PREFIX = "CG"  # 草稿: a placeholder until the first submission takes a real number
EDITABLE = (A.DRAFT, A.CORRECTION)
APPLICATION_FIELDS = [
    "status",
    "number",
    "submitted_at",
    "accepted_at",
    "concluded_at",
    "intake_deadline",
    "intake_deadline_provisional",
    "promised_deadline",
    "promised_deadline_provisional",
    "submission_count",
    "closed_reason",
]


# --- shared helpers (intake and review use them too) ----------------------------------------------------


def today() -> datetime.date:
    return clock.today()


def application_snapshot(application) -> dict:
    return snapshot(application, fields=APPLICATION_FIELDS)


def _scoped(model, user):
    return model.objects if user is None else model.objects.for_user(user)


def lock_application(user, application) -> Application:
    """The application, re-read under a row lock through the user's scope; `NotFound` outside it."""
    pk = application.pk if isinstance(application, Application) else application
    return fetch_in_scope(_scoped(Application, user), pk, lock=True)


def require_permission(user, permission: str, message: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(message)


def require_applicant(user, application) -> None:
    """Only an applicant of the application's own enterprise acts for it (the platform always may)."""
    if user is None:
        return
    require_permission(user, "approvals.submit_application", _("您没有办理本企业申请的权限。"))
    if user.enterprise_id != application.enterprise_id:
        if user.enterprise_id:
            raise not_found(Application)
        raise PermissionDenied(_("只有本企业的申请人可以办理该申请。"))


def require_editor(user, application) -> None:
    """Who may change a draft: its enterprise's applicants, and the escort specialist who prepared it by
    help-and-do (帮办代办) while it is a draft and the enterprise's consent is in force. Submitting,
    withdrawing and answering the departments stay the enterprise's own (`require_applicant`)."""
    if user is not None and application.prepared_by_id is not None and application.prepared_by_id == user.pk:
        if application.status != A.DRAFT:
            raise PermissionDenied(_("申请已由企业提交,代办人不能再修改。"))
        if not user.has_perm("approvals.prepare_application") or not escort.may_help(
            user, application.project
        ):
            raise PermissionDenied(_("企业的帮办代办授权已失效或您已不在护航团队中,不能再修改该申请。"))
        return
    require_applicant(user, application)


def refuse_unless_editable(application, action: str) -> None:
    if application.status not in EDITABLE:
        raise transitions.IllegalTransition(
            application,
            action,
            _("办件当前状态为“%(state)s”,只有草稿或待补正的办件可以修改。")
            % {"state": application.get_status_display()},
        )


def window_clerks():
    return get_user_model().objects.filter(is_active=True, groups__name="window_clerk").distinct()


def department_staff(department_id, roles=("department_reviewer", "department_head")):
    return (
        get_user_model()
        .objects.filter(is_active=True, department_id=department_id, groups__name__in=roles)
        .distinct()
    )


def department_staff_by_department(department_ids, roles=("department_reviewer", "department_head")) -> dict:
    """{department id: [its active staff in `roles`]} for several departments in one query (what
    `department_staff` gives for each), for an action that notifies several departments at once."""
    staff: dict[int, list] = {}
    if not department_ids:
        return staff
    people = (
        get_user_model()
        .objects.filter(is_active=True, department_id__in=department_ids, groups__name__in=roles)
        .distinct()
        .order_by("pk")
        .only("pk", "department_id")  # recipients of notifications: who, not their whole row
    )
    for user in people:
        staff.setdefault(user.department_id, []).append(user)
    return staff


def has_real_number(application) -> bool:
    return not application.number.startswith(DRAFT_NUMBER_PREFIX)


def application_bundle(application) -> Bundle:
    """The application's bundle; once its catalog version is compiled in this process, a copy of the compiled
    row, kept on the application (`application.bundle` then reads nothing either)."""
    if not Application.bundle.is_cached(application):
        bundle = compiled.bundle_copy(application.bundle_id)
        if bundle is not None:
            application.bundle = bundle
    return application.bundle


def requirements(application, *, complete: bool = True):
    """(items, notice, form) of the application as it stands: the selected items, the complete notice and
    the merged form with its values. Once the application's catalog version is compiled in this process (see
    `sciencecity.catalog.compiled`), this reads no catalog row: only the items' departments, the enterprise,
    the project and the certificates held."""
    bundle = application_bundle(application)
    items = selectors.selected_items(bundle, application.answers, complete=complete)
    enterprise, project = application.enterprise, application.project
    notice = selectors.material_notice(bundle, items, enterprise, project)
    form = selectors.merged_form(bundle, items, enterprise, project, saved=application.form_data)
    return items, notice, form


def current_materials(application) -> dict[str, SubmittedMaterial]:
    """{spec code: the current material row} of the application, each with its spec: the compiled one when
    the application's catalog version is compiled in this process, else read with the rows."""
    specs = compiled.material_specs(application.bundle_id)
    rows = application.materials.filter(is_current=True)
    if specs is None:
        return {row.spec.code: row for row in rows.select_related("spec")}
    rows = list(rows.order_by())  # no join for the model's ordering by spec code: ordered here instead
    for row in rows:
        if row.spec_id in specs:
            row.spec = specs[row.spec_id]
    return {row.spec.code: row for row in sorted(rows, key=lambda row: row.spec.code)}


def close_open_work(application, user, day: datetime.date) -> list[ReviewTask]:
    """Withdrawal and cancellation: cancel the open tasks (the "cancel" row, taken by the platform), end
    their open pauses on `day`, and mark the pending items cancelled. Returns the cancelled tasks."""
    tasks = list(
        ReviewTask.objects.select_for_update()
        .filter(application=application, status__in=ReviewTask.OPEN_STATUSES)
        .order_by("pk")
    )
    for task in tasks:
        before, after = transitions.apply(task, "cancel", None)
        task.save(update_fields=["status", "updated_at"])
        record(user, "approvals.cancel_task", task, before={"status": before}, after={"status": after})
    TaskPause.objects.filter(task__in=tasks, ended_on__isnull=True).update(ended_on=day)
    ApplicationItem.objects.filter(application=application, outcome=ApplicationItem.Outcome.PENDING).update(
        outcome=ApplicationItem.Outcome.CANCELLED
    )
    return tasks


# --- start and edit a draft -------------------------------------------------------------------------


@transaction.atomic
def start_application(user, project, bundle, *, idempotency_key: str = "") -> Application:
    """An applicant starts a draft application of one of its enterprise's projects for a bundle of the
    catalog version in force today. With `idempotency_key`, a repeated call returns the same draft."""
    if user is None:
        raise ValueError("an application is started by a person, its applicant")
    require_permission(user, "approvals.submit_application", _("您没有申请办理一件事的权限。"))
    project_pk = project.pk if isinstance(project, Project) else project
    project = fetch_in_scope(Project.objects.for_user(user), project_pk)
    if user.enterprise_id != project.enterprise_id:
        raise not_found(Project)
    key = (idempotency_key or "").strip()
    if len(key) > 80:
        raise ValidationError(_("幂等键不能超过 80 个字符。"), code="invalid_idempotency_key")
    bundle_pk = bundle.pk if isinstance(bundle, Bundle) else bundle
    if key:
        existing = _started_with(user, key)
        if existing is not None:
            return _same_start(existing, project.pk, bundle_pk)
    bundle = bundle_in_force(user, bundle_pk)
    application = Application(
        number=f"{DRAFT_NUMBER_PREFIX}{secrets.token_hex(7).upper()}",
        enterprise_id=project.enterprise_id,
        project=project,
        bundle=bundle,
        applicant=user,
        status=A.DRAFT,
        creation_key=key,
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        # The same key was used by a concurrent call that committed first: that one's draft is the answer.
        existing = _started_with(user, key) if key else None
        if existing is None:
            raise
        return _same_start(existing, project.pk, bundle_pk)
    record(
        user,
        "approvals.start_application",
        application,
        after={**application_snapshot(application), "project": project.pk, "bundle": bundle.pk},
    )
    return application


def bundle_in_force(user, bundle_pk) -> Bundle:
    """The bundle `bundle_pk` as `user` may see it, if it belongs to the catalog version in force today."""
    bundle = fetch_in_scope(Bundle.objects.for_user(user).select_related("version"), bundle_pk)
    in_force = CatalogVersion.objects.effective_on(today())
    if in_force is None or bundle.version_id != in_force.pk:
        raise ValidationError(
            _("“%(bundle)s”所属的目录版本 v%(number)s 当前未生效,请选择现行目录中的一件事。"),
            code="bundle_not_in_force",
            params={"bundle": bundle.display_name, "number": bundle.version.number},
        )
    return bundle


def _started_with(user, key):
    return Application.objects.filter(applicant=user, creation_key=key).first()


def _same_start(existing, project_pk, bundle_pk):
    if existing.project_id != project_pk or existing.bundle_id != bundle_pk:
        raise ValidationError(_("该幂等键已用于另一项申请,请勿重复使用。"), code="idempotency_key_reused")
    return existing


@transaction.atomic
def save_answers(user, application, answers: dict) -> Application:
    """Save the answers to the situation questions (a draft, or during correction). Answers are checked
    against the questions; some may still be missing (they are required at submission)."""
    application = lock_application(user, application)
    require_editor(user, application)
    refuse_unless_editable(application, "save_answers")
    normalized = selectors.normalize_answers(application_bundle(application), answers, complete=False)
    before = application.answers
    if normalized == before:
        return application
    application.answers = normalized
    application.save(update_fields=["answers", "updated_at"])
    record(
        user, "approvals.save_answers", application, before={"answers": before}, after={"answers": normalized}
    )
    return application


# --- the merged form ---------------------------------------------------------------------------------


# The platform's own bounds on every number of a merged form, whatever the catalog says (FORM_NUMBER_LIMIT,
# from the catalog's validators): no amount, area or count of a construction project comes near them, and
# "1e1000000" (9 bytes) must not become a million-digit value in the application's JSON.
MAX_DECIMAL_PLACES = 6
MAX_NUMBER_TEXT = 40


def _check_bounds(form_field: FormField, number) -> None:
    low = form_field.min_value if form_field.min_value is not None else -FORM_NUMBER_LIMIT
    high = form_field.max_value if form_field.max_value is not None else FORM_NUMBER_LIMIT
    if not low <= number <= high:
        raise ValidationError(
            _("应在 %(min)s 到 %(max)s 之间。"), code="out_of_range", params={"min": low, "max": high}
        )


def form_rule_errors(bundle, fields: dict, values: dict) -> dict:
    """{field code: [errors]} for the bundle's rules between fields (`FormRule`) that `values` (cleaned, by
    code; `fields` the FormFields by code) break; a rule with a side left empty is not checked."""
    errors: dict = {}
    for rule in compiled.form_rules(bundle):
        value, other = values.get(rule.field), values.get(rule.other)
        if value is None or other is None or rule.field not in fields or rule.other not in fields:
            continue
        if not rule.holds(_comparable(fields[rule.field], value), _comparable(fields[rule.other], other)):
            errors.setdefault(rule.field, []).append(ValidationError(rule.display_message, code="form_rule"))
    return errors


def _comparable(form_field: FormField, value):
    """Numbers as Decimals (a decimal is stored as text); dates stay ISO text, which sorts as they do."""
    if form_field.kind in (FormField.Kind.NUMBER, FormField.Kind.DECIMAL):
        return Decimal(str(value))
    return value


def _is_empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def clean_form_value(form_field: FormField, value):
    """The value as stored in `form_data` (JSON), or a ValidationError saying why it is not acceptable."""
    kind = form_field.kind
    K = FormField.Kind
    if _is_empty(value):
        if form_field.required:
            raise ValidationError(_("此项为必填项。"), code="required")
        return None
    if kind in (K.TEXT, K.TEXTAREA):
        if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
            raise ValidationError(_("请输入文字。"), code="invalid")
        text = reject_control_characters(str(value).strip(), multiline=kind == K.TEXTAREA)
        limit = 200 if kind == K.TEXT else 5000
        if len(text) > limit:
            raise ValidationError(
                _("不能超过 %(limit)s 个字符。"), code="max_length", params={"limit": limit}
            )
        return text
    if kind == K.NUMBER:
        if isinstance(value, bool) or len(str(value)) > MAX_NUMBER_TEXT:
            raise ValidationError(_("请输入整数。"), code="invalid")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValidationError(_("请输入整数。"), code="invalid") from None
        if number < 0:
            raise ValidationError(_("不能为负数。"), code="negative")
        _check_bounds(form_field, number)
        return number
    if kind == K.DECIMAL:
        if isinstance(value, bool | float):
            value = str(value) if isinstance(value, float) else "x"
        text = str(value).strip().replace(",", "")
        if len(text) > MAX_NUMBER_TEXT:  # "1e1000000" is short, but what it stands for is not: see below
            raise ValidationError(_("请输入数字。"), code="invalid")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("请输入数字。"), code="invalid") from None
        if not number.is_finite():
            raise ValidationError(_("请输入数字。"), code="invalid")
        if number < 0:
            raise ValidationError(_("不能为负数。"), code="negative")
        _check_bounds(form_field, number)
        if number != number.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES), rounding=ROUND_DOWN):
            raise ValidationError(
                _("最多保留 %(places)s 位小数。"),
                code="decimal_places",
                params={"places": MAX_DECIMAL_PLACES},
            )
        return format(number, "f")
    if kind == K.DATE:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(_("请输入有效日期,格式为 YYYY-MM-DD。"), code="invalid") from None
    if kind == K.CHOICE:
        offered = [str(choice["value"]) for choice in form_field.choices]
        if str(value) not in offered:
            raise ValidationError(
                _("“%(value)s”不是有效的选项。"), code="invalid_choice", params={"value": value}
            )
        return str(value)
    if kind == K.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1", "是"):
            return True
        if text in ("false", "no", "0", "否"):
            return False
        raise ValidationError(_("请选择是或否。"), code="invalid")
    raise ValidationError(_("无法识别的字段类型。"), code="invalid")  # pragma: no cover - catalog validates


@transaction.atomic
def save_form(user, application, data: dict) -> Application:
    """Save values of the merged form (a draft, or during correction), each checked by its field's kind.

    Only the given fields change; a field left out keeps its saved or prefilled value. An empty value clears a
    saved one (and is an error for a required field). Raises one ValidationError keyed by field code.
    """
    application = lock_application(user, application)
    require_editor(user, application)
    refuse_unless_editable(application, "save_form")
    if not isinstance(data, dict):
        raise ValidationError(_("表单内容的格式不正确。"), code="invalid_form")
    bundle = application_bundle(application)
    fields = {form_field.code: form_field for form_field in compiled.form_fields(bundle)}
    errors = {}
    cleaned = {}
    for code, value in data.items():
        form_field = fields.get(code)
        if form_field is None:
            errors[str(code)] = [ValidationError(_("表单中没有该字段。"), code="unknown_field")]
            continue
        try:
            cleaned[code] = clean_form_value(form_field, value)
        except ValidationError as error:
            errors[code] = [error]
    before = dict(application.form_data)
    after = dict(before)
    for code, value in cleaned.items():
        if value is None:
            after.pop(code, None)
        else:
            after[code] = value
    # The rules between fields, over what is saved and what is valid of this save: every error at once.
    for code, messages in form_rule_errors(bundle, fields, after).items():
        errors.setdefault(code, messages)
    if errors:
        raise ValidationError(errors)
    if after == before:
        return application
    application.form_data = after
    application.save(update_fields=["form_data", "updated_at"])
    record(user, "approvals.save_form", application, before={"form_data": before}, after={"form_data": after})
    return application


def form_errors(form, bundle) -> dict:
    """{field code: [errors]} of the merged form as it would be submitted (saved values over prefills): each
    field by its kind and bounds, then the bundle's rules between fields."""
    errors, values = {}, {}
    for entry in form:
        try:
            values[entry.code] = clean_form_value(entry.field, entry.value)
        except ValidationError as error:
            errors[entry.code] = [error]
    fields = {entry.code: entry.field for entry in form}
    for code, messages in form_rule_errors(bundle, fields, values).items():
        errors.setdefault(code, []).extend(messages)
    return errors


# --- materials -------------------------------------------------------------------------------------


def bundle_spec(application, spec_code: str) -> MaterialSpec:
    """The material spec `spec_code` used by an item of the application's bundle."""
    spec = (
        MaterialSpec.objects.filter(
            version_id=application.bundle.version_id,
            code=spec_code,
            item_uses__item__bundle_uses__bundle_id=application.bundle_id,
        )
        .distinct()
        .first()
    )
    if spec is None:
        raise field_error(
            "material", _("“%(code)s”不是本一件事所需的材料。") % {"code": spec_code}, "unknown_material"
        )
    return spec


def replace_current_material(application, spec, **fields) -> SubmittedMaterial:
    """Retire the current row of `spec` (its history stays) and add a new current one."""
    SubmittedMaterial.objects.select_for_update().filter(
        application=application, spec=spec, is_current=True
    ).update(is_current=False)
    material = SubmittedMaterial(application=application, spec=spec, is_current=True, **fields)
    return material


def save_uploaded_material(user, application, spec, uploaded_file, **fields) -> SubmittedMaterial:
    """Check, store and record an uploaded file as the current material `spec` (inside a transaction)."""
    checked = check_upload(spec, uploaded_file)
    material = replace_current_material(application, spec, source=M.Source.UPLOAD, uploaded_by=user, **fields)
    store_upload(material, uploaded_file, checked, fallback=spec.code)
    material.save()
    return material


def material_snapshot(material) -> dict:
    return {
        "spec": material.spec.code,
        "source": material.source,
        "verdict": material.verdict,
        "name": material.original_name,
        "size": material.size,
        "sha256": material.sha256,
        "certificate": material.certificate_id,
        "data_value": material.data_value,
        "gap_due_date": material.gap_due_date,
    }


@transaction.atomic
def upload_material(user, application, spec_code: str, uploaded_file) -> SubmittedMaterial:
    """Upload a file for a material of the bundle (a draft, or during correction). The file is checked by
    size and content; a new upload replaces the current one and keeps the old one in the history."""
    application = lock_application(user, application)
    require_editor(user, application)
    refuse_unless_editable(application, "upload_material")
    spec = _asked_spec(application, spec_code)
    material = save_uploaded_material(user, application, spec, uploaded_file)
    record(user, "approvals.upload_material", material, after=material_snapshot(material))
    return material


def _asked_spec(application, spec_code):
    """The spec of a material the application's notice asks the applicant for, as its answers stand now;
    a material of another item, one the platform holds already (免提交) or one that an item of this very
    application will issue is refused, so that nothing unasked ends up in the file."""
    _items, notice, _form = requirements(application, complete=False)
    entry = next((entry for entry in notice if entry.code == spec_code), None)
    if entry is None:
        bundle_spec(application, spec_code)  # a code unknown to the bundle: its own message
        raise field_error(
            "material", _("“%(code)s”不是本次申请所需的材料。") % {"code": spec_code}, "unknown_material"
        )
    if entry.held_by_platform or entry.produced_by is not None:
        raise field_error(
            "material",
            _("“%(material)s”平台已有或由本次办理出具,无需上传。") % {"material": entry.spec.display_name},
            "not_to_upload",
        )
    return entry.spec


def _notice_entry(application, spec_code):
    _items, notice, _form = requirements(application)
    entry = next((entry for entry in notice if entry.code == spec_code), None)
    if entry is None:
        raise field_error(
            "material", _("“%(code)s”不是本次申请所需的材料。") % {"code": spec_code}, "unknown_material"
        )
    return entry


@transaction.atomic
def pledge_material(user, application, spec_code: str, text: str = "") -> SubmittedMaterial:
    """Replace a material by a pledge (告知承诺), where every item that requires it accepts one."""
    application = lock_application(user, application)
    require_editor(user, application)
    refuse_unless_editable(application, "pledge_material")
    entry = _notice_entry(application, spec_code)
    if not entry.pledge_allowed:
        raise field_error(
            "material",
            _("“%(material)s”不适用告知承诺,请上传材料。") % {"material": entry.spec.display_name},
            "pledge_not_allowed",
        )
    material = replace_current_material(
        application,
        entry.spec,
        source=M.Source.PLEDGE,
        uploaded_by=user,
        data_value=(text or _("申请人承诺:该材料所述条件已具备,如有不实愿承担相应法律责任。"))[:300],
    )
    material.save()
    record(user, "approvals.pledge_material", material, after=material_snapshot(material))
    return material


def link_held_materials(user, application, notice, current=None) -> list[SubmittedMaterial]:
    """Record what the platform holds (enterprise data, project data, earlier certificates) as materials of
    the application (免提交), for each held material that has no current row yet (`current`: the current
    materials by code, when the caller has read them)."""
    current = current_materials(application) if current is None else current
    linked = []
    for entry in notice:
        if not entry.held_by_platform or entry.code in current:
            continue
        material = SubmittedMaterial(
            application=application,
            spec=entry.spec,
            source={
                "enterprise": M.Source.ENTERPRISE,
                "project": M.Source.PROJECT,
                "certificate": M.Source.CERTIFICATE,
            }[entry.held_how],
            certificate=entry.certificate,
            data_value=entry.held_value[:300],
            uploaded_by=user,
            is_current=True,
            # What the platform itself holds needs no check at the window.
            verdict=M.Verdict.ACCEPTED,
            verdict_note=HELD_NOTE,
        )
        linked.append(material)
    return insert(linked)  # one INSERT for all of them


def missing_materials(notice, current) -> dict[str, list]:
    """{spec code: [error]} for every material the applicant must provide and has not (a tolerated gap is not
    missing: the window decides whether to accept it)."""
    errors = {}
    for entry in notice:
        if not entry.needs_submission or entry.gap_tolerated:
            continue
        material = current.get(entry.code)
        if material is None:
            errors[entry.code] = [
                ValidationError(
                    _("请提交材料“%(material)s”。"),
                    code="missing_material",
                    params={"material": entry.spec.display_name},
                )
            ]
        elif material.verdict == M.Verdict.REJECTED:
            errors[entry.code] = [
                ValidationError(
                    _("材料“%(material)s”需按补正告知重新提交。"),
                    code="material_needs_correction",
                    params={"material": entry.spec.display_name},
                )
            ]
    return errors


# --- submission ----------------------------------------------------------------------------------------


# What a submission changes (one UPDATE of these, not of the whole row with its answers).
SUBMIT_FIELDS = [
    "status",
    "number",
    "form_data",
    "submitted_at",
    "submission_count",
    "submission_key",
    "intake_deadline",
    "intake_deadline_provisional",
    "updated_at",
]


@transaction.atomic
def submit_application(user, application, *, idempotency_key: str) -> Application:
    """Submit a draft, or resubmit after correction, to the window.

    Checks completeness: every situation question a rule depends on answered, every required field of the
    merged form filled, every required material provided (uploaded or pledged) unless the platform holds it,
    an item of this application issues it, or it may be a tolerated gap; otherwise one ValidationError lists
    everything, keyed "answers.<question>", "form.<field>", "materials.<material>" and "target_date" (a
    bundle delivered on a named day: the day must still be one its limits can keep). Takes the application
    number at the first submission and sets the intake deadline.

    `idempotency_key` names this submission: the same key again (a retry, a double click) returns the
    application unchanged. Each resubmission after correction needs a new key.
    """
    application = lock_application(user, application)
    key = (idempotency_key or "").strip()
    if len(key) > 80:
        raise ValidationError(_("幂等键不能超过 80 个字符。"), code="invalid_idempotency_key")
    if key and application.submission_key == key and application.submission_count:
        require_applicant(user, application)
        return application
    action = "resubmit" if application.status == A.CORRECTION else "submit"
    transitions.check(application, action, user)
    require_applicant(user, application)

    try:
        _items, notice, form = requirements(application)
    except ValidationError as error:
        raise ValidationError(
            {f"answers.{code}": messages for code, messages in error.error_dict.items()}
        ) from None
    errors = {f"form.{code}": messages for code, messages in form_errors(form, application.bundle).items()}
    current = current_materials(application)
    errors.update(
        {f"materials.{code}": messages for code, messages in missing_materials(notice, current).items()}
    )
    # A bundle delivered on a named day (交地即领证): the day must still be one its limits can keep.
    if problems := target_date_problems(application.bundle, application.target_date, today()):
        errors["target_date"] = problems
    if errors:
        raise ValidationError(errors)

    before = application_snapshot(application)
    now = clock.now()
    day = timezone.localdate(now)
    link_held_materials(user, application, notice, current)
    transitions.apply(application, action, user)
    if not has_real_number(application):
        application.number = application_number(day)
    application.form_data = {
        entry.code: clean_form_value(entry.field, entry.value) for entry in form if not _is_empty(entry.value)
    }
    application.submitted_at = now
    application.submission_count += 1
    application.submission_key = key
    application.intake_deadline, application.intake_deadline_provisional = deadline_after(
        day, application.bundle.intake_limit_days
    )
    update_fields(application, SUBMIT_FIELDS)
    if action == "resubmit":
        CorrectionNotice.objects.filter(application=application, answered_at__isnull=True).update(
            answered_at=now
        )
    record(
        user,
        f"approvals.{action}_application",
        application,
        before=before,
        after=application_snapshot(application),
    )
    notifications.notify(
        window_clerks(),
        "application_submitted",
        lambda: (
            _("新的办件待受理:%(number)s") % {"number": application.number},
            _("%(enterprise)s 提交了“%(bundle)s”申请(%(kind)s),请在 %(deadline)s 前完成受理。")
            % {
                "enterprise": application.enterprise.name,
                "bundle": application.bundle.display_name,
                "kind": _("补正后重新提交") if action == "resubmit" else _("首次提交"),
                "deadline": deadline_text(
                    application.intake_deadline, application.intake_deadline_provisional
                ),
            },
        ),
        about=application,
    )
    return application


# --- withdrawal and cancellation ----------------------------------------------------------------------------


def refuse_if_changed(application, expected_status, action) -> None:
    """An action taken on the state the user saw: refused if the application has moved on meanwhile (the
    API passes the state it showed, like an HTTP If-Match)."""
    if expected_status and application.status != expected_status:
        raise transitions.IllegalTransition(
            application,
            action,
            _("办件状态已变为“%(state)s”,请刷新后再操作。") % {"state": application.get_status_display()},
        )


@transaction.atomic
def withdraw_application(user, application, reason: str = "", *, expected_status: str = "") -> Application:
    """The applicant withdraws before conclusion: open tasks are cancelled and their pauses end today.
    With `expected_status`, only from that state (a withdrawal racing a resubmission loses cleanly)."""
    application = lock_application(user, application)
    refuse_if_changed(application, expected_status, "withdraw")
    transitions.check(application, "withdraw", user)
    require_applicant(user, application)
    return _close(user, application, "withdraw", (reason or "").strip() or _("申请人撤回"))


@transaction.atomic
def cancel_application(user, application, reason: str, *, expected_status: str = "") -> Application:
    """An administrator cancels (作废) an application before conclusion, with a reason."""
    application = lock_application(user, application)
    refuse_if_changed(application, expected_status, "cancel")
    transitions.check(application, "cancel", user)
    reason = (reason or "").strip()
    if not reason:
        raise field_error("reason", _("请填写作废原因。"), "required")
    return _close(user, application, action="cancel", reason=reason)


def _close(user, application, action, reason):
    before = application_snapshot(application)
    was_in_review = application.status == A.IN_REVIEW
    transitions.apply(application, action, user)
    application.closed_reason = reason
    application.save(update_fields=["status", "closed_reason", "updated_at"])
    tasks = close_open_work(application, user, today()) if was_in_review else []
    record(
        user,
        f"approvals.{action}_application",
        application,
        before=before,
        after=application_snapshot(application),
    )
    if action == "withdraw":
        recipients = list(window_clerks()) if has_real_number(application) else []
    else:
        recipients = [application.applicant, *window_clerks()]
    recipients += [task.assignee for task in tasks]

    def compose():
        if action == "withdraw":
            title = _("办件 %(number)s 已由申请人撤回") % {"number": application.number}
        else:
            title = _("办件 %(number)s 已作废") % {"number": application.number}
        return title, _("原因:%(reason)s") % {"reason": reason}

    notifications.notify(
        recipients,
        "application_withdrawn" if action == "withdraw" else "application_cancelled",
        compose,
        about=application,
    )
    return application
