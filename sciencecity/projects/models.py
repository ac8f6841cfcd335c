"""Science and industry projects (科产项目), from signing to operation."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant
from sciencecity.workdays import clock

# The national investment-project code (全国投资项目在线审批监管平台): year-region-industry-type-serial,
# e.g. 2026-500106-47-01-123456.
_project_code_format = RegexValidator(
    r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$",
    _("项目代码格式应为 年份-行政区划-行业-类型-流水号,如 2026-500106-47-01-123456。"),
    code="project_code_format",
)
FIRST_CODE_YEAR = 2014  # the national online approval platform gives codes since 2014 (国办发〔2014〕59号)


def validate_project_code(value: str) -> None:
    """The national format, with a year the platform could have given it in (not 0000, not 9999)."""
    _project_code_format(value)
    year = int(value[:4])
    if not FIRST_CODE_YEAR <= year <= clock.today().year + 1:
        raise ValidationError(
            _("项目代码的年份 %(year)s 无效:应在 %(first)s 年至明年之间。")
            % {"year": value[:4], "first": FIRST_CODE_YEAR},
            code="project_code_year",
        )


class ProjectQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if is_civil_servant(user):
            return self.all()
        if user.is_authenticated and user.enterprise_id:
            return self.filter(enterprise_id=user.enterprise_id)
        return self.none()


class Project(models.Model):
    class InvestmentType(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业投资")
        GOVERNMENT = "government", _("政府投资")

    class Phase(models.TextChoices):
        SIGNED = "signed", _("签约")
        LAND_SUPPLIED = "land_supplied", _("供地")
        APPROVAL = "approval", _("审批")
        STARTED = "started", _("开工")
        UNDER_CONSTRUCTION = "under_construction", _("在建")
        COMPLETED = "completed", _("竣工")
        IN_OPERATION = "in_operation", _("投用")

    code = models.CharField(_("项目代码"), max_length=24, unique=True, validators=[validate_project_code])
    name = models.CharField(_("项目名称"), max_length=200)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("建设单位"),
        on_delete=models.PROTECT,
        related_name="projects",
        db_index=False,  # project_enterprise_idx leads with enterprise and serves the list in its order
    )
    investment_type = models.CharField(
        _("投资类型"), max_length=20, choices=InvestmentType.choices, default=InvestmentType.ENTERPRISE
    )
    total_investment = models.DecimalField(
        _("总投资(万元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    land_area = models.DecimalField(
        _("用地面积(平方米)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    floor_area = models.DecimalField(
        _("建筑面积(平方米)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    location = models.CharField(_("建设地点"), max_length=300)
    phase = models.CharField(_("阶段"), max_length=30, choices=Phase.choices, default=Phase.SIGNED)
    is_key = models.BooleanField(_("重点项目"), default=False)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = pgettext_lazy("plural", "项目")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Each list filters on its leading columns and reads newest first, as the default ordering does.
            models.Index(fields=["enterprise", "-created_at", "-id"], name="project_enterprise_idx"),
            models.Index(fields=["phase", "is_key", "-created_at", "-id"], name="project_phase_key_idx"),
            models.Index(fields=["is_key", "-created_at", "-id"], name="project_key_idx"),
        ]

    def __str__(self):
        return f"{self.name}({self.code})"
