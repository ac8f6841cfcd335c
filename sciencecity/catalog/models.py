"""The service catalog as versioned data (ARCHITECTURE.md rule 3).

A `CatalogVersion` owns a complete catalog: material specifications, service items and bundles. It is drafted
(imported from YAML or copied from the previous version and edited), then published with a validity start;
a published version never changes, and applications pin the bundle of the version they were submitted under.
No item, bundle or department name appears in Python code: they all live in these rows.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.signals import m2m_changed, pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet
from sciencecity.i18n import in_language

# Upper bounds of the catalog's numbers, stated rather than left to the database: they are what an
# administrator is told in the admin, and the API schema documents the same bounds whatever the backend.
MAX_LIMIT_DAYS = MaxValueValidator(365)  # no statutory time limit runs longer than a year of working days
MAX_POSITION = MaxValueValidator(999)
MAX_MATERIAL_MB = MaxValueValidator(1024)
MAX_VERSION_NUMBER = MaxValueValidator(99999)


class PublishedVersionError(ValidationError):
    """A published catalog version is immutable."""


class TranslatedName(models.Model):
    """Catalog rows are entered in Chinese; an English name is optional and shown in English mode."""

    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_en)


class CatalogVersionQuerySet(ScopedQuerySet):
    def published(self):
        return self.filter(status=CatalogVersion.Status.PUBLISHED)

    def effective_on(self, day):
        """The published version in force on `day`: the latest valid_from not after it, not yet expired."""
        return (
            self.published()
            .filter(valid_from__lte=day)
            .filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=day))
            .order_by("-valid_from", "-number")
            .first()
        )

    def for_user(self, user):
        # Drafts are work in progress of administrators; everyone else sees what is published.
        if user.is_authenticated and user.has_perm("catalog.change_catalogversion"):
            return self.all()
        return self.published()


class CatalogVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    number = models.PositiveIntegerField(_("版本号"), unique=True, validators=[MAX_VERSION_NUMBER])
    label = models.CharField(_("版本名称"), max_length=100)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(
        _("失效日期"), null=True, blank=True, help_text=_("不含当日;为空表示长期有效")
    )
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = CatalogVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("事项目录版本")
        verbose_name_plural = pgettext_lazy("plural", "事项目录版本")
        ordering = ["-number"]
        permissions = [("publish_catalogversion", _("可以发布事项目录版本"))]

    def __str__(self):
        return f"v{self.number} {self.label} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        # The row as stored decides: publishing saves a draft (allowed); nothing saves a published version,
        # neither back to a draft nor with new dates (a published version, once seen, is compiled for good).
        if self.pk is not None:
            number = _published_number(models.Q(pk=self.pk))
            if number is not None:
                raise PublishedVersionError(_published_message(number))
        super().save(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def delete(self, *args, **kwargs):
        # Checked before Django's collector starts, so that a refusal leaves the caller's transaction usable.
        _refuse_deleting_published_version(type(self), self)
        return super().delete(*args, **kwargs)


def _published_number(*conditions) -> int | None:
    """The number of a published version matching any of `conditions` (Q objects on CatalogVersion), else
    None; one query."""
    if not conditions:
        return None
    where = conditions[0]
    for condition in conditions[1:]:
        where |= condition
    return (
        CatalogVersion.objects.filter(where, status=CatalogVersion.Status.PUBLISHED)
        .values_list("number", flat=True)
        .first()
    )


def _published_message(number):
    return _("目录版本 v%(number)s 已发布,不能修改;请先复制为新的草稿版本。") % {"number": number}


class VersionedRow(models.Model):
    """A row that belongs to a catalog version and may change only while that version is a draft.

    Both versions count: the one the row names now and the one of the row as stored, so that a row of a
    published version cannot leave it for a draft either (`version_path` leads from the row to its version).
    """

    version_path = "version"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._refuse_if_published()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_if_published()
        return super().delete(*args, **kwargs)

    def catalog_version(self) -> CatalogVersion:  # pragma: no cover - each subclass says how
        raise NotImplementedError

    def _refuse_if_published(self):
        conditions = []
        version = self.catalog_version()
        if version is not None:
            conditions.append(models.Q(pk=version.pk))
        if self.pk is not None:
            stored = type(self)._base_manager.filter(pk=self.pk).values(self.version_path)
            conditions.append(models.Q(pk__in=stored))
        number = _published_number(*conditions)
        if number is not None:
            raise PublishedVersionError(_published_message(number))


class VersionedQuerySet(ScopedQuerySet):
    """Catalog rows that belong to a version directly: public once published (the bundle guide needs no
    login); drafts are work in progress of those who may edit the catalog."""

    def for_user(self, user):
        if user.is_authenticated and user.has_perm("catalog.change_catalogversion"):
            return self.all()
        return self.filter(version__status=CatalogVersion.Status.PUBLISHED)


class Stage(models.TextChoices):
    """The four stages of the national construction-approval model, plus the parallel (auxiliary) line."""

    LAND_PLANNING = "land_planning", _("立项用地规划许可")
    ENGINEERING_PERMIT = "engineering_permit", _("工程建设许可")
    CONSTRUCTION_PERMIT = "construction_permit", _("施工许可")
    COMPLETION = "completion", _("竣工验收")
    PARALLEL = "parallel", _("并行推进")


class MaterialSpec(VersionedRow, TranslatedName):
    class Source(models.TextChoices):
        UPLOAD = "upload", _("申请人上传")
        ENTERPRISE = "enterprise", _("取自企业信息")
        PROJECT = "project", _("取自项目信息")
        CERTIFICATE = "certificate", _("已取得的证照")

    version = models.ForeignKey(
        CatalogVersion, verbose_name=_("目录版本"), on_delete=models.CASCADE, related_name="materials"
    )
    code = models.SlugField(_("编码"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    formats = models.JSONField(_("接受的格式"), default=list, blank=True, help_text=_('如 ["pdf", "jpg"]'))
    max_size_mb = models.PositiveIntegerField(_("大小上限(MB)"), default=20, validators=[MAX_MATERIAL_MB])
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.UPLOAD)
    source_field = models.CharField(
        _("数据字段"),
        max_length=60,
        blank=True,
        help_text=_("来源为企业或项目信息时,所取的字段,如 credit_code"),
    )
    certificate_code = models.SlugField(
        _("证照类型"),
        max_length=60,
        blank=True,
        help_text=_("来源为已取得证照时,证照类型编码(由某个事项出具)"),
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("材料规格")
        verbose_name_plural = pgettext_lazy("plural", "材料规格")
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="material_code_unique_in_version")
        ]

    @property
    def display_description(self) -> str:
        return in_language(self.description, self.description_en)

    def catalog_version(self):
        return self.version


class ServiceItem(VersionedRow, TranslatedName):
    class Line(models.TextChoices):
        MAIN = "main", _("主线")
        AUXILIARY = "auxiliary", _("辅线")
        TECHNICAL_REVIEW = "technical_review", _("技术审查")

    class Kind(models.TextChoices):
        LICENSE = "license", _("行政许可")
        FILING = "filing", _("备案")
        CONFIRMATION = "confirmation", _("行政确认")
        TECHNICAL_REVIEW = "technical_review", _("技术审查")
        PUBLIC_SERVICE = "public_service", _("公共服务")
        OTHER = "other", _("其他")

    version = models.ForeignKey(
        CatalogVersion, verbose_name=_("目录版本"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.SlugField(_("编码"), max_length=60)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("实施部门"),
        on_delete=models.PROTECT,
        related_name="service_items",
    )
    stage = models.CharField(_("阶段"), max_length=30, choices=Stage.choices)
    line = models.CharField(_("流程线"), max_length=30, choices=Line.choices, default=Line.MAIN)
    kind = models.CharField(_("事项类型"), max_length=30, choices=Kind.choices, default=Kind.LICENSE)
    legal_limit_days = models.PositiveSmallIntegerField(
        _("法定时限(工作日)"),
        null=True,
        blank=True,
        help_text=_("为空表示法律未规定时限"),
        validators=[MAX_LIMIT_DAYS],
    )
    promised_limit_days = models.PositiveSmallIntegerField(
        _("承诺时限(工作日)"), help_text=_("0 表示即办"), validators=[MAX_LIMIT_DAYS]
    )
    pledge_allowed = models.BooleanField(_("可告知承诺"), default=False)
    certificate_code = models.SlugField(_("出具证照类型编码"), max_length=60, blank=True)
    certificate_name = models.CharField(_("出具证照名称"), max_length=200, blank=True)
    certificate_name_en = models.CharField(_("出具证照英文名称"), max_length=300, blank=True)
    description = models.TextField(_("说明"), blank=True)
    # A merged review (三评合一): the separate items of the same version it replaces, each still described with
    # its own steps, materials and limits, so that the reform figures compare them with this one review.
    replaces = models.ManyToManyField(
        "self",
        through="ReplacedItem",
        through_fields=("item", "replaced"),
        symmetrical=False,
        related_name="replaced_by",
        blank=True,
        verbose_name=_("合并替代的事项"),
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务事项")
        verbose_name_plural = pgettext_lazy("plural", "服务事项")
        ordering = ["version", "stage", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="item_code_unique_in_version"),
            models.CheckConstraint(
                condition=models.Q(legal_limit_days__isnull=True)
                | models.Q(promised_limit_days__lte=models.F("legal_limit_days")),
                name="item_promised_within_legal",
            ),
        ]

    @property
    def display_certificate_name(self) -> str:
        return in_language(self.certificate_name, self.certificate_name_en)

    def catalog_version(self):
        return self.version


class ItemStep(VersionedRow, TranslatedName):
    """One of the department's internal steps for an item (受理, 审查, 决定, 制证...)."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField(_("顺序"), validators=[MAX_POSITION])
    limit_days = models.PositiveSmallIntegerField(
        _("时限(工作日)"), null=True, blank=True, validators=[MAX_LIMIT_DAYS]
    )

    version_path = "item__version"

    class Meta:
        verbose_name = _("办理环节")
        verbose_name_plural = pgettext_lazy("plural", "办理环节")
        ordering = ["item", "position"]
        constraints = [models.UniqueConstraint(fields=["item", "position"], name="step_position_unique")]

    def catalog_version(self):
        return self.item.version


class ItemMaterial(VersionedRow):
    """A material that an item needs, and how strictly."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="item_materials"
    )
    material = models.ForeignKey(
        MaterialSpec, verbose_name=_("材料"), on_delete=models.CASCADE, related_name="item_uses"
    )
    required = models.BooleanField(_("必交"), default=True)
    gap_tolerated = models.BooleanField(_("可容缺"), default=False)
    pledge_allowed = models.BooleanField(_("可承诺代替"), default=False)

    version_path = "item__version"

    class Meta:
        verbose_name = _("事项材料")
        verbose_name_plural = pgettext_lazy("plural", "事项材料")
        ordering = ["item", "material__code"]
        constraints = [models.UniqueConstraint(fields=["item", "material"], name="item_material_unique")]

    def __str__(self):
        return f"{self.item.code}: {self.material.code}"

    def catalog_version(self):
        return self.item.version


class ReplacedItem(VersionedRow):
    """A separate item that a merged item's single review replaces (三评合一: one review instead of three).

    The replaced item stays in the catalog with its own steps, materials and limits: they are what the merged
    review is measured against (`approvals.services.reform.merged_item_comparison`)."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("合并后的事项"), on_delete=models.CASCADE, related_name="replaced_links"
    )
    replaced = models.ForeignKey(
        ServiceItem, verbose_name=_("被替代的事项"), on_delete=models.CASCADE, related_name="merged_links"
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0, validators=[MAX_POSITION])

    version_path = "item__version"

    class Meta:
        verbose_name = _("合并替代关系")
        verbose_name_plural = pgettext_lazy("plural", "合并替代关系")
        ordering = ["item", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "replaced"], name="replaced_item_unique"),
            models.CheckConstraint(
                condition=~models.Q(item=models.F("replaced")), name="replaced_item_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.item.code} ⊃ {self.replaced.code}"

    def catalog_version(self):
        return self.item.version


class Bundle(VersionedRow, TranslatedName):
    """一件事: items that an enterprise applies for together, through one window."""

    version = models.ForeignKey(
        CatalogVersion, verbose_name=_("目录版本"), on_delete=models.CASCADE, related_name="bundles"
    )
    code = models.SlugField(_("编码"), max_length=60)
    description = models.TextField(_("适用说明"), blank=True)
    description_en = models.TextField(_("英文适用说明"), blank=True)
    # 一业一证: a bundle that opens a business of an industry issues, at unified delivery, one industry licence
    # (行业综合许可证) listing the permits of its items; empty for a bundle that issues none.
    licence_code = models.SlugField(
        _("行业综合许可证类型编码"),
        max_length=60,
        blank=True,
        help_text=_("填写后,办结出件时核发一张行业综合许可证,载明本次准予的各项许可;为空表示不核发"),
    )
    licence_name = models.CharField(_("行业综合许可证名称"), max_length=200, blank=True)
    licence_name_en = models.CharField(_("行业综合许可证英文名称"), max_length=300, blank=True)
    lead_department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("牵头部门"),
        on_delete=models.PROTECT,
        related_name="led_bundles",
    )
    promised_limit_days = models.PositiveSmallIntegerField(_("承诺时限(工作日)"), validators=[MAX_LIMIT_DAYS])
    intake_limit_days = models.PositiveSmallIntegerField(
        _("受理时限(工作日)"), default=1, validators=[MAX_LIMIT_DAYS]
    )
    # A bundle delivered on a day the applicant names (交地即领证: every certificate on the land handover day):
    # the name of that day, asked when applying; empty for a bundle delivered as soon as it concludes.
    target_date_label = models.CharField(
        _("目标交付日期名称"),
        max_length=60,
        blank=True,
        help_text=_(
            "填写后,申请人须填写该日期(如“交地日期”),各事项在此之前并联审批,窗口于当日统一出件;为空表示不设"
        ),
    )
    target_date_label_en = models.CharField(_("目标交付日期英文名称"), max_length=100, blank=True)
    items = models.ManyToManyField(
        ServiceItem, through="BundleItem", related_name="bundles", verbose_name=_("事项")
    )

    objects = VersionedQuerySet.as_manager()

    class Meta:
        verbose_name = _("一件事")
        verbose_name_plural = pgettext_lazy("plural", "一件事")
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="bundle_code_unique_in_version")
        ]

    @property
    def display_description(self) -> str:
        return in_language(self.description, self.description_en)

    @property
    def issues_licence(self) -> bool:
        """Whether unified delivery issues an industry licence (一业一证) for the bundle's permits."""
        return bool(self.licence_code)

    @property
    def display_licence_name(self) -> str:
        return in_language(self.licence_name, self.licence_name_en)

    @property
    def asks_target_date(self) -> bool:
        """Whether an application names the day its results are delivered on (`target_date_label`)."""
        return bool(self.target_date_label)

    @property
    def display_target_date_label(self) -> str:
        return in_language(self.target_date_label, self.target_date_label_en)

    def catalog_version(self):
        return self.version


class BundleItem(VersionedRow):
    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="bundle_items"
    )
    item = models.ForeignKey(
        ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="bundle_uses"
    )
    mandatory = models.BooleanField(_("必办"), default=True, help_text=_("不勾选表示按情形选办"))
    position = models.PositiveSmallIntegerField(_("顺序"), default=0, validators=[MAX_POSITION])

    version_path = "bundle__version"

    class Meta:
        verbose_name = _("一件事事项")
        verbose_name_plural = pgettext_lazy("plural", "一件事事项")
        ordering = ["bundle", "position", "item__code"]
        constraints = [models.UniqueConstraint(fields=["bundle", "item"], name="bundle_item_unique")]

    def __str__(self):
        return f"{self.bundle.code}: {self.item.code}"

    def catalog_version(self):
        return self.bundle.version


class SituationQuestion(VersionedRow):
    class Kind(models.TextChoices):
        YES_NO = "yes_no", _("是/否")
        SINGLE = "single", _("单选")
        MULTIPLE = "multiple", _("多选")

    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="questions"
    )
    code = models.SlugField(_("编码"), max_length=60)
    text = models.CharField(_("问题"), max_length=300)
    text_en = models.CharField(_("英文问题"), max_length=400, blank=True)
    help_text = models.TextField(_("说明"), blank=True)
    help_text_en = models.TextField(_("英文说明"), blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.YES_NO)
    options = models.JSONField(
        _("选项"),
        default=list,
        blank=True,
        help_text=_('单选、多选的选项,如 [{"value": "report", "label": "报告书"}];是/否题为空'),
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0, validators=[MAX_POSITION])

    version_path = "bundle__version"

    class Meta:
        verbose_name = _("情形问题")
        verbose_name_plural = pgettext_lazy("plural", "情形问题")
        ordering = ["bundle", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "code"], name="question_code_unique_in_bundle")
        ]

    def __str__(self):
        return self.display_text

    @property
    def display_text(self) -> str:
        return in_language(self.text, self.text_en)

    @property
    def display_help_text(self) -> str:
        return in_language(self.help_text, self.help_text_en)

    def allowed_values(self) -> list[str]:
        if self.kind == self.Kind.YES_NO:
            return ["yes", "no"]
        return [str(option["value"]) for option in self.options]

    def catalog_version(self):
        return self.bundle.version


class SituationRule(VersionedRow):
    """When every condition holds, the listed situational items are selected.

    `conditions` maps question codes to the answers that satisfy them, e.g. {"new_civil_building": ["yes"],
    "eia_category": ["report", "table"]}; for a multiple-choice question, any chosen answer in the list counts.
    """

    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="rules"
    )
    conditions = models.JSONField(_("条件"))
    items = models.ManyToManyField(ServiceItem, verbose_name=_("选定事项"), related_name="selected_by_rules")
    position = models.PositiveSmallIntegerField(_("顺序"), default=0, validators=[MAX_POSITION])

    version_path = "bundle__version"

    class Meta:
        verbose_name = _("情形规则")
        verbose_name_plural = pgettext_lazy("plural", "情形规则")
        ordering = ["bundle", "position", "id"]

    def __str__(self):
        return ", ".join(f"{code}∈{values}" for code, values in self.conditions.items())

    def catalog_version(self):
        return self.bundle.version


class ItemDependency(VersionedRow):
    """Within a bundle, `item` cannot start review until `depends_on` is approved."""

    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="dependencies"
    )
    item = models.ForeignKey(ServiceItem, verbose_name=_("事项"), on_delete=models.CASCADE, related_name="+")
    depends_on = models.ForeignKey(
        ServiceItem, verbose_name=_("前置事项"), on_delete=models.CASCADE, related_name="+"
    )

    version_path = "bundle__version"

    class Meta:
        verbose_name = _("事项前置关系")
        verbose_name_plural = pgettext_lazy("plural", "事项前置关系")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "item", "depends_on"], name="dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(item=models.F("depends_on")), name="dependency_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.depends_on.code} → {self.item.code}"

    def catalog_version(self):
        return self.bundle.version


class FormField(VersionedRow):
    """A field of the bundle's merged form (一张表单), asked once and used by every item that needs it."""

    class Kind(models.TextChoices):
        TEXT = "text", _("文本")
        TEXTAREA = "textarea", _("多行文本")
        NUMBER = "number", _("数字")
        DECIMAL = "decimal", _("金额/小数")
        DATE = "date", _("日期")
        CHOICE = "choice", _("选择")
        BOOLEAN = "boolean", _("是/否")

    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="form_fields"
    )
    code = models.SlugField(_("编码"), max_length=60)
    label = models.CharField(_("标签"), max_length=200)
    label_en = models.CharField(_("英文标签"), max_length=300, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.TEXT)
    required = models.BooleanField(_("必填"), default=True)
    choices = models.JSONField(_("选项"), default=list, blank=True)
    prefill = models.CharField(
        _("预填来源"), max_length=80, blank=True, help_text=_("如 enterprise.name、project.total_investment")
    )
    # Bounds of a number or decimal field (both included); every number also has the platform's own bounds.
    min_value = models.BigIntegerField(_("最小值"), null=True, blank=True)
    max_value = models.BigIntegerField(_("最大值"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0, validators=[MAX_POSITION])
    items = models.ManyToManyField(
        ServiceItem, verbose_name=_("使用该字段的事项"), related_name="form_fields"
    )

    version_path = "bundle__version"

    class Meta:
        verbose_name = _("表单字段")
        verbose_name_plural = pgettext_lazy("plural", "表单字段")
        ordering = ["bundle", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["bundle", "code"], name="field_code_unique_in_bundle")]

    def __str__(self):
        return self.display_label

    @property
    def display_label(self) -> str:
        return in_language(self.label, self.label_en)

    def catalog_version(self):
        return self.bundle.version


class FormRule(VersionedRow):
    """A rule between two fields of a bundle's merged form: `field` `operator` `other` must hold whenever both
    have a value (e.g. the planned completion date not before the planned start). Checked when the form is
    saved and at submission; the message is shown on `field`."""

    class Operator(models.TextChoices):
        GT = "gt", _("大于")
        GTE = "gte", _("不小于")
        LT = "lt", _("小于")
        LTE = "lte", _("不大于")

    bundle = models.ForeignKey(
        Bundle, verbose_name=_("一件事"), on_delete=models.CASCADE, related_name="form_rules"
    )
    field = models.SlugField(_("字段"), max_length=60)
    operator = models.CharField(_("关系"), max_length=10, choices=Operator.choices)
    other = models.SlugField(_("比较字段"), max_length=60)
    message = models.CharField(_("提示"), max_length=200)
    message_en = models.CharField(_("英文提示"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0, validators=[MAX_POSITION])

    version_path = "bundle__version"

    class Meta:
        verbose_name = _("表单校验规则")
        verbose_name_plural = pgettext_lazy("plural", "表单校验规则")
        ordering = ["bundle", "position", "id"]

    def __str__(self):
        return f"{self.field} {self.get_operator_display()} {self.other}"

    @property
    def display_message(self) -> str:
        return in_language(self.message, self.message_en)

    def holds(self, value, other) -> bool:
        """Whether the rule holds for two values of the same kind (ISO dates compare as text)."""
        return {
            self.Operator.GT: value > other,
            self.Operator.GTE: value >= other,
            self.Operator.LT: value < other,
            self.Operator.LTE: value <= other,
        }[self.operator]

    def catalog_version(self):
        return self.bundle.version


# Guards that `VersionedRow.save()`/`delete()` alone cannot give (found while building the importer):
# a queryset delete or a cascade from a deleted version never calls the rows' `delete()`, and many-to-many
# changes (rule and form-field items, `bundle.items.add()`) never call `save()`. Without these, deleting a
# published version would silently take all its rows with it, and a published rule's items could be changed.
# `sciencecity.catalog.compiled` keeps a published version for the life of a process on the strength of these
# guards. What no model code sees is beyond them, as for any Django model: `QuerySet.update()`,
# `bulk_create()`/`bulk_update()`, rows of the automatic link tables written through their own managers (Django
# sends no signal for them) and raw SQL. Nothing in the platform writes a published version's rows that way.


@receiver(pre_delete, sender=CatalogVersion)
def _refuse_deleting_published_version(sender, instance, **kwargs):
    if CatalogVersion.objects.filter(pk=instance.pk, status=CatalogVersion.Status.PUBLISHED).exists():
        raise PublishedVersionError(_("目录版本 v%(number)s 已发布,不能删除。") % {"number": instance.number})


def _refuse_deleting_published_row(sender, instance, origin=None, **kwargs):
    # Deleting a draft version takes its rows with it; the version's own guard has already run, so the
    # rows need not each ask again (that would cost one query per row).
    if isinstance(origin, CatalogVersion):
        return
    instance._refuse_if_published()


def _refuse_changing_published_links(sender, instance, action, reverse=False, model=None, pk_set=None, **kw):
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    if not reverse:
        instance._refuse_if_published()
        return
    # From the item's side (`item.selected_by_rules.add(rule)`): the item, and the bundles, rules or form
    # fields whose links change, those named or, for a clear, those linked now.
    owners = model._base_manager.filter(pk__in=pk_set) if pk_set is not None else model._base_manager
    if pk_set is None:
        owners = owners.filter(items=instance)
    number = _published_number(
        models.Q(pk=instance.version_id), models.Q(pk__in=owners.values(model.version_path))
    )
    if number is not None:
        raise PublishedVersionError(_published_message(number))


for _model in (
    MaterialSpec,
    ServiceItem,
    ItemStep,
    ItemMaterial,
    ReplacedItem,
    Bundle,
    BundleItem,
    SituationQuestion,
    SituationRule,
    ItemDependency,
    FormField,
    FormRule,
):
    pre_delete.connect(
        _refuse_deleting_published_row, sender=_model, dispatch_uid=f"catalog-row-{_model.__name__}"
    )
for _through in (Bundle.items.through, SituationRule.items.through, FormField.items.through):
    m2m_changed.connect(
        _refuse_changing_published_links, sender=_through, dispatch_uid=f"catalog-m2m-{_through.__name__}"
    )


@receiver(m2m_changed, sender=ReplacedItem, dispatch_uid="catalog-m2m-ReplacedItem")
def _refuse_changing_published_replacements(sender, instance, action, pk_set=None, **kwargs):
    # `item.replaces.add(other)` and `other.replaced_by.add(item)` write ReplacedItem rows without their save():
    # the items on both sides (both of one version when valid) must belong to drafts.
    if action not in ("pre_add", "pre_remove", "pre_clear"):
        return
    others = (
        ServiceItem._base_manager.filter(pk__in=pk_set)
        if pk_set is not None
        else ServiceItem._base_manager.none()
    )
    number = _published_number(models.Q(pk=instance.version_id), models.Q(pk__in=others.values("version")))
    if number is not None:
        raise PublishedVersionError(_published_message(number))


# The devolved municipal powers (下放市级行政权力) are catalog data of their own, not versioned: their models
# live in `catalog.powers` and are loaded with the catalog's.
from .powers import models as _power_models  # noqa: E402, F401
