"""The power list's rows: a devolved power and the service items (by code) that implement it.

A power is not versioned with the catalog: the list is a document of the municipal government, amended by
its own decisions, and a power outlives any catalog version. It links to the items that implement it by
item code, which every version keeps for the same item. Rows change only through `powers.services`.
"""

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet
from sciencecity.catalog.models import TranslatedName
from sciencecity.choices import label_of


class PowerKind(models.TextChoices):
    """The kinds of administrative power of a Chinese power list (权力清单), in the order lists use."""

    LICENSE = "license", _("行政许可")
    PENALTY = "penalty", _("行政处罚")
    COERCION = "coercion", _("行政强制")
    LEVY = "levy", _("行政征收")
    PAYMENT = "payment", _("行政给付")
    INSPECTION = "inspection", _("行政检查")
    CONFIRMATION = "confirmation", _("行政确认")
    REWARD = "reward", _("行政奖励")
    ADJUDICATION = "adjudication", _("行政裁决")
    OTHER = "other", _("其他行政权力")


class DevolvedPowerQuerySet(ScopedQuerySet):
    def for_user(self, user):
        # A power list is a published document (政务公开): everyone reads every power, withdrawn ones
        # included. How much each is used is for civil servants only (`approvals.power_usage`).
        return self.all()

    def in_force(self):
        return self.filter(status=DevolvedPower.Status.IN_FORCE)


class DevolvedPower(TranslatedName):
    """下放市级行政权力: one power of the list, exercised by a department of the zone."""

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("有效")
        WITHDRAWN = "withdrawn", _("已收回")

    code = models.SlugField(
        _("权力编码"), max_length=40, unique=True, help_text=_("清单中的编码,如 CF-001;字母、数字、连字符")
    )
    position = models.PositiveIntegerField(
        _("序号"), default=0, validators=[MaxValueValidator(99999)], help_text=_("在清单中的顺序")
    )
    kind = models.CharField(_("权力类型"), max_length=20, choices=PowerKind.choices)
    law = models.CharField(_("法律依据"), max_length=200, help_text=_("法律、法规或规章的名称"))
    article = models.CharField(_("条款"), max_length=100, blank=True, help_text=_("如 第四十条第一款"))
    basis = models.TextField(_("依据条文"), blank=True)
    original_authority = models.CharField(
        _("原实施机关"), max_length=100, help_text=_("下放前行使该权力的市级部门")
    )
    decision_number = models.CharField(_("下放文件文号"), max_length=100)
    decision_title = models.CharField(_("下放文件名称"), max_length=200, blank=True)
    devolved_on = models.DateField(_("下放日期"))
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("实施部门"),
        on_delete=models.PROTECT,
        related_name="devolved_powers",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.IN_FORCE, editable=False
    )
    withdrawn_on = models.DateField(_("收回日期"), null=True, blank=True, editable=False)
    status_note = models.CharField(_("状态说明"), max_length=300, blank=True, editable=False)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = DevolvedPowerQuerySet.as_manager()

    class Meta:
        verbose_name = _("下放权力")
        verbose_name_plural = pgettext_lazy("plural", "下放权力")
        ordering = ["position", "code"]
        permissions = [("withdraw_devolvedpower", _("可以收回或恢复下放权力"))]
        indexes = [
            # The list in the document's order, and its filters (the list is hundreds of rows).
            models.Index(fields=["position", "code"], name="power_position_idx"),
            models.Index(fields=["department", "kind"], name="power_department_idx"),
            models.Index(fields=["kind", "status"], name="power_kind_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="in_force", withdrawn_on__isnull=True)
                | models.Q(status="withdrawn", withdrawn_on__isnull=False),
                name="power_withdrawn_has_date",
            ),
        ]

    def get_status_display(self):
        return label_of(self.Status, self.status)

    def get_kind_display(self):
        return label_of(PowerKind, self.kind)

    @property
    def basis_display(self) -> str:
        """《law》article, as lists write the basis."""
        law = self.law if self.law.startswith("《") else f"《{self.law}》"
        return f"{law}{self.article}"

    @property
    def is_in_force(self) -> bool:
        return self.status == self.Status.IN_FORCE

    @property
    def item_codes(self) -> list[str]:
        """The codes of the items implementing it (from a prefetch of `item_links` when there is one)."""
        return sorted(link.item_code for link in self.item_links.all())


class PowerItem(models.Model):
    """A service item (by its code, in any catalog version) that implements a power."""

    power = models.ForeignKey(
        DevolvedPower, verbose_name=_("下放权力"), on_delete=models.CASCADE, related_name="item_links"
    )
    item_code = models.SlugField(_("事项编码"), max_length=60, db_index=True)

    class Meta:
        verbose_name = _("实施事项")
        verbose_name_plural = pgettext_lazy("plural", "实施事项")
        ordering = ["power", "item_code"]
        constraints = [models.UniqueConstraint(fields=["power", "item_code"], name="power_item_unique")]

    def __str__(self):
        return f"{self.power.code}: {self.item_code}"
