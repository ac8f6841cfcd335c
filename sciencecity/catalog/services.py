"""Every write to the catalog: import a version, publish it, copy it into a new draft, edit draft rows.

A version is created whole from validated plain data (`yaml_io.parse_catalog`), inside one transaction, so a
failing import leaves nothing behind. Publishing validates the stored draft with the same validators that
check a file, so a draft edited in the admin cannot be published in a state that a file could not be imported
in. Each function records an audit event in its transaction.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sciencecity.accounts.models import Department
from sciencecity.audit import record
from sciencecity.audit.services import snapshot

from .models import (
    Bundle,
    BundleItem,
    CatalogVersion,
    FormField,
    FormRule,
    ItemDependency,
    ItemMaterial,
    ItemStep,
    MaterialSpec,
    ReplacedItem,
    ServiceItem,
    SituationQuestion,
    SituationRule,
)
from .selectors import current_version, version_counts
from .validators import CatalogImportError, validate_catalog_data
from .yaml_io import parse_catalog, version_to_data

__all__ = [
    "CatalogImportError",
    "VersionStateError",
    "copy_version_to_draft",
    "current_version",
    "delete_catalog_object",
    "import_catalog",
    "publish_version",
    "save_catalog_row",
]


class VersionStateError(ValidationError):
    """The version is not in a state that allows the action (e.g. publishing a published version)."""


def _require(user, permission):
    """`user` None is the system (commands, the demo generator); a person needs the permission."""
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied(
            _("您没有执行此操作的权限(需要 %(permission)s)。") % {"permission": permission}
        )


@transaction.atomic
def import_catalog(text_or_stream, *, user=None, publish=False, valid_from=None) -> CatalogVersion:
    """Create a new draft version (the next number) from a YAML catalog; publish it too if asked.

    Raises CatalogImportError listing every problem, with nothing written.
    """
    _require(user, "catalog.add_catalogversion")
    data = parse_catalog(text_or_stream)
    version = create_version_from_data(data, user=user)
    record(
        user, "catalog.import_version", version, after={"number": version.number, **version_counts(version)}
    )
    if publish:
        publish_version(version, user=user, valid_from=valid_from)
    elif valid_from is not None:
        version.valid_from = valid_from
        version.save(update_fields=["valid_from"])
    return version


@transaction.atomic
def publish_version(version, *, user, valid_from: datetime.date | None = None) -> CatalogVersion:
    """Publish a draft: validate it as a file would be, fix its validity start, make it immutable.

    `valid_from` defaults to the date in the draft, else today. `version` is updated in place and returned.
    """
    _require(user, "catalog.publish_catalogversion")
    locked = CatalogVersion.objects.select_for_update().get(pk=version.pk)
    if locked.is_published:
        raise VersionStateError(
            _("目录版本 v%(number)s 已经发布,不能再次发布。") % {"number": locked.number},
            code="already_published",
        )
    validate_catalog_data(version_to_data(locked))
    before = snapshot(locked, fields=["status", "valid_from", "published_at", "published_by"])
    locked.status = CatalogVersion.Status.PUBLISHED
    locked.valid_from = valid_from or locked.valid_from or timezone.localdate()
    locked.published_at = timezone.now()
    locked.published_by = user if user is not None and user.is_authenticated else None
    locked.save(update_fields=["status", "valid_from", "published_at", "published_by"])
    record(
        user,
        "catalog.publish_version",
        locked,
        before=before,
        after=snapshot(locked, fields=["status", "valid_from", "published_at", "published_by"]),
    )
    for field in ("status", "valid_from", "published_at", "published_by_id"):
        setattr(version, field, getattr(locked, field))
    return version


@transaction.atomic
def copy_version_to_draft(version, *, user, label: str | None = None) -> CatalogVersion:
    """A new draft with the same content as `version` (usually a published one), for editing in the admin.

    The copy goes through the file's data and validators, so it is exactly what exporting and importing
    would give; its validity start is left empty until it is published.
    """
    _require(user, "catalog.add_catalogversion")
    data = validate_catalog_data(version_to_data(version))
    data["version"]["valid_from"] = None
    data["version"]["label"] = (label or _("%(label)s(修订)") % {"label": version.label})[
        : CatalogVersion._meta.get_field("label").max_length
    ]
    copy = create_version_from_data(data, user=user)
    record(
        user,
        "catalog.copy_version",
        copy,
        before={"source": version.number},
        after={"number": copy.number, **version_counts(copy)},
    )
    return copy


def create_version_from_data(data: dict, *, user=None) -> CatalogVersion:
    """Write validated plain data as a new draft version; call inside a transaction (the functions above do)."""
    departments = {department.code: department for department in Department.objects.all()}
    number = (CatalogVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
    meta = data["version"]
    version = CatalogVersion.objects.create(
        number=number,
        label=meta["label"],
        valid_from=meta.get("valid_from"),
        note=meta.get("note") or "",
        created_by=user if user is not None and user.is_authenticated else None,
    )
    materials = MaterialSpec.objects.bulk_create(
        MaterialSpec(
            version=version,
            code=material["code"],
            name=material["name"],
            name_en=material["name_en"],
            description=material["description"],
            description_en=material["description_en"],
            source=material["source"],
            source_field=material["source_field"],
            certificate_code=material["certificate_code"],
            formats=material["formats"],
            max_size_mb=material["max_size_mb"],
        )
        for material in data["materials"]
    )
    material_by_code = {material.code: material for material in materials}
    items = ServiceItem.objects.bulk_create(
        ServiceItem(
            version=version,
            code=item["code"],
            name=item["name"],
            name_en=item["name_en"],
            description=item["description"],
            department=departments[item["department"]],
            stage=item["stage"],
            line=item["line"],
            kind=item["kind"],
            legal_limit_days=item["legal_limit_days"],
            promised_limit_days=item["promised_limit_days"],
            pledge_allowed=item["pledge_allowed"],
            certificate_code=(item["certificate"] or {}).get("code", ""),
            certificate_name=(item["certificate"] or {}).get("name", ""),
            certificate_name_en=(item["certificate"] or {}).get("name_en", ""),
        )
        for item in data["items"]
    )
    item_by_code = {item.code: item for item in items}
    ItemStep.objects.bulk_create(
        ItemStep(
            item=item_by_code[item["code"]],
            position=position,
            name=step["name"],
            name_en=step["name_en"],
            limit_days=step["limit_days"],
        )
        for item in data["items"]
        for position, step in enumerate(item["steps"], start=1)
    )
    ItemMaterial.objects.bulk_create(
        ItemMaterial(
            item=item_by_code[item["code"]],
            material=material_by_code[use["material"]],
            required=use["required"],
            gap_tolerated=use["gap_tolerated"],
            pledge_allowed=use["pledge_allowed"],
        )
        for item in data["items"]
        for use in item["materials"]
    )
    ReplacedItem.objects.bulk_create(
        ReplacedItem(item=item_by_code[item["code"]], replaced=item_by_code[code], position=position)
        for item in data["items"]
        for position, code in enumerate(item.get("replaces") or [])
    )
    for bundle_data in data["bundles"]:
        _create_bundle(version, bundle_data, departments, item_by_code)
    return version


def _create_bundle(version, data, departments, item_by_code):
    bundle = Bundle.objects.create(
        version=version,
        code=data["code"],
        name=data["name"],
        name_en=data["name_en"],
        description=data["description"],
        description_en=data["description_en"],
        lead_department=departments[data["lead_department"]],
        licence_code=(data.get("licence") or {}).get("code", ""),
        licence_name=(data.get("licence") or {}).get("name", ""),
        licence_name_en=(data.get("licence") or {}).get("name_en", ""),
        promised_limit_days=data["promised_limit_days"],
        intake_limit_days=data["intake_limit_days"],
        target_date_label=data["target_date_label"],
        target_date_label_en=data["target_date_label_en"],
    )
    BundleItem.objects.bulk_create(
        BundleItem(
            bundle=bundle, item=item_by_code[use["item"]], mandatory=use["mandatory"], position=position
        )
        for position, use in enumerate(data["items"])
    )
    SituationQuestion.objects.bulk_create(
        SituationQuestion(
            bundle=bundle,
            code=question["code"],
            text=question["text"],
            text_en=question["text_en"],
            help_text=question["help_text"],
            help_text_en=question["help_text_en"],
            kind=question["kind"],
            options=[_stored_option(option) for option in question["options"]],
            position=position,
        )
        for position, question in enumerate(data["questions"])
    )
    rules = SituationRule.objects.bulk_create(
        SituationRule(bundle=bundle, conditions=rule["when"], position=position)
        for position, rule in enumerate(data["rules"])
    )
    SituationRule.items.through.objects.bulk_create(
        SituationRule.items.through(situationrule=rule, serviceitem=item_by_code[code])
        for rule, rule_data in zip(rules, data["rules"], strict=True)
        for code in rule_data["select"]
    )
    ItemDependency.objects.bulk_create(
        ItemDependency(bundle=bundle, item=item_by_code[code], depends_on=item_by_code[prerequisite])
        for code, prerequisites in data["dependencies"].items()
        for prerequisite in prerequisites
    )
    fields = FormField.objects.bulk_create(
        FormField(
            bundle=bundle,
            code=field["code"],
            label=field["label"],
            label_en=field["label_en"],
            kind=field["kind"],
            required=field["required"],
            choices=[_stored_option(option) for option in field["choices"]],
            prefill=field["prefill"],
            min_value=field["min"],
            max_value=field["max"],
            position=position,
        )
        for position, field in enumerate(data["form"])
    )
    FormRule.objects.bulk_create(
        FormRule(
            bundle=bundle,
            field=rule["field"],
            operator=rule["op"],
            other=rule["other"],
            message=rule["message"],
            message_en=rule["message_en"],
            position=position,
        )
        for position, rule in enumerate(data["form_rules"])
    )
    FormField.items.through.objects.bulk_create(
        FormField.items.through(formfield=field, serviceitem=item_by_code[code])
        for field, field_data in zip(fields, data["form"], strict=True)
        for code in field_data["items"]
    )
    return bundle


def _stored_option(option):
    stored = {"value": option["value"], "label": option["label"]}
    if option.get("label_en"):
        stored["label_en"] = option["label_en"]
    return stored


# -- draft editing (the admin) ----------------------------------------------------------------------------


@transaction.atomic
def save_catalog_row(obj, *, user, change: bool):
    """Save a row of a draft version, or a draft's own details, edited by hand; published ones refuse."""
    if (
        isinstance(obj, CatalogVersion)
        and CatalogVersion.objects.filter(pk=obj.pk, status=CatalogVersion.Status.PUBLISHED).exists()
    ):
        raise VersionStateError(
            _("目录版本 v%(number)s 已发布,不能修改;请先复制为新的草稿版本。") % {"number": obj.number},
            code="published",
        )
    obj.save()  # a row of a published version raises PublishedVersionError here
    record(user, "catalog.change_row" if change else "catalog.add_row", obj, after=_row_snapshot(obj))
    return obj


@transaction.atomic
def delete_catalog_object(obj, *, user):
    """Delete a draft version, or one row of a draft; published versions and their rows refuse."""
    record(user, "catalog.delete_row", obj, before=_row_snapshot(obj))
    obj.delete()  # the models' guards refuse anything of a published version (and roll the event back)


def _row_snapshot(obj):
    data = snapshot(obj, fields=[field.name for field in obj._meta.concrete_fields])
    data["model"] = obj._meta.model_name
    return data
