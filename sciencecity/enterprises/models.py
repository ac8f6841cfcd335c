"""The enterprise file (一企一档): the registry row, what the enterprise keeps up to date itself (size, chain,
people, yearly figures), its qualifications with their validity, and the innovation platforms it hosts."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant
from sciencecity.workdays import clock

from .validators import validate_credit_code


class EnterpriseQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if is_civil_servant(user):
            return self.all()
        if user.is_authenticated and user.enterprise_id:
            return self.filter(pk=user.enterprise_id)
        return self.none()


class Size(models.TextChoices):
    """By the national classification (工信部联企业〔2011〕300号)."""

    LARGE = "large", _("大型")
    MEDIUM = "medium", _("中型")
    SMALL = "small", _("小型")
    MICRO = "micro", _("微型")


class Chain(models.TextChoices):
    """The zone's industrial chains."""

    INFORMATION = "information", _("新一代信息技术")
    BIOMEDICINE = "biomedicine", _("生物医药与大健康")
    EQUIPMENT = "equipment", _("高端装备与智能制造")
    MATERIALS = "materials", _("新材料")
    ENERGY = "energy", _("新能源与节能环保")
    SERVICES = "services", _("科技服务")


class Enterprise(models.Model):
    class Status(models.TextChoices):
        OPERATING = "operating", _("存续")
        MOVED_OUT = "moved_out", _("迁出")
        CANCELLED = "cancelled", _("注销")
        REVOKED = "revoked", _("吊销")

    name = models.CharField(_("企业名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=60)
    industry = models.CharField(_("所属行业"), max_length=100, blank=True)
    is_high_tech = models.BooleanField(_("高新技术企业"), default=False, db_index=True)
    is_tech_based = models.BooleanField(_("科技型企业"), default=False, db_index=True)
    address = models.CharField(_("地址"), max_length=300, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    # What the enterprise keeps up to date itself (`profile.update_profile`).
    size = models.CharField(_("企业规模"), max_length=10, choices=Size.choices, blank=True)
    chain = models.CharField(_("所属产业链"), max_length=20, choices=Chain.choices, blank=True)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    registered_capital = models.DecimalField(
        _("注册资本(万元)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    employees = models.PositiveIntegerField(
        _("从业人员"), null=True, blank=True, validators=[MaxValueValidator(1_000_000)]
    )
    rd_staff = models.PositiveIntegerField(
        _("研发人员"), null=True, blank=True, validators=[MaxValueValidator(1_000_000)]
    )
    status = models.CharField(_("经营状态"), max_length=20, choices=Status.choices, default=Status.OPERATING)
    profile_updated_at = models.DateTimeField(_("档案更新时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = pgettext_lazy("plural", "企业")
        ordering = ["name"]
        permissions = [("keep_own_file", _("维护本企业档案"))]
        indexes = [models.Index(fields=["name"], name="enterprise_name_idx")]

    def __str__(self):
        return self.name


class EnterpriseYear(models.Model):
    """An enterprise's figures of one year (年度经营数据), kept by the enterprise: read through its file."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    revenue = models.DecimalField(
        _("营业收入(万元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    rd_spending = models.DecimalField(
        _("研发投入(万元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    taxes = models.DecimalField(
        _("纳税额(万元)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    recorded_at = models.DateTimeField(_("填报时间"), default=clock.now)

    class Meta:
        verbose_name = _("年度经营数据")
        verbose_name_plural = pgettext_lazy("plural", "年度经营数据")
        ordering = ["enterprise", "-year"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "year"], name="enterprise_year_once")]

    def __str__(self):
        return f"{self.enterprise_id} {self.year}"

    @property
    def rd_ratio(self):
        """R&D spending as a share of revenue (研发投入强度), None without revenue."""
        return (self.rd_spending / self.revenue) if self.revenue else None


class Qualification(models.Model):
    """A qualification the enterprise holds (资质认定), with its certificate and validity; recorded by the
    zone's administration. `Enterprise.is_high_tech` and `is_tech_based` follow the valid ones."""

    class Kind(models.TextChoices):
        HIGH_TECH = "high_tech", _("高新技术企业")
        TECH_BASED = "tech_based", _("科技型企业")
        SPECIALIZED = "specialized", _("专精特新中小企业")
        LITTLE_GIANT = "little_giant", _("专精特新“小巨人”企业")
        GAZELLE = "gazelle", _("瞪羚企业")
        UNICORN = "unicorn", _("独角兽企业")

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="qualifications")
    kind = models.CharField(_("资质"), max_length=20, choices=Kind.choices)
    certificate_number = models.CharField(_("证书编号"), max_length=60, blank=True)
    valid_from = models.DateField(_("认定日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=clock.now)

    class Meta:
        verbose_name = _("企业资质")
        verbose_name_plural = pgettext_lazy("plural", "企业资质")
        ordering = ["enterprise", "kind", "-valid_from"]
        indexes = [models.Index(fields=["kind", "valid_until"], name="qualification_kind_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.certificate_number}"

    def valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class PlatformQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """The zone's innovation platforms are public to everyone signed in."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.all()


class InnovationPlatform(models.Model):
    """An innovation platform (创新平台): a laboratory, an engineering centre, an incubator or a makerspace,
    at its level, hosted by an enterprise of the zone or by an institution (a university, an institute)."""

    class Kind(models.TextChoices):
        KEY_LAB = "key_lab", _("重点实验室")
        ENGINEERING_CENTER = "engineering_center", _("工程技术研究中心")
        TECH_CENTER = "tech_center", _("企业技术中心")
        NEW_RD = "new_rd", _("新型研发机构")
        INCUBATOR = "incubator", _("科技企业孵化器")
        MAKERSPACE = "makerspace", _("众创空间")

    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        MUNICIPAL = "municipal", _("市级")
        DISTRICT = "district", _("区级")

    name = models.CharField(_("平台名称"), max_length=200)
    kind = models.CharField(_("平台类型"), max_length=30, choices=Kind.choices)
    level = models.CharField(_("级别"), max_length=20, choices=Level.choices)
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("依托企业"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="platforms",
    )
    institution = models.CharField(
        _("依托单位"), max_length=200, blank=True, help_text=_("依托高校或科研院所时填写")
    )
    recognized_on = models.DateField(_("认定日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)

    objects = PlatformQuerySet.as_manager()

    class Meta:
        verbose_name = _("创新平台")
        verbose_name_plural = pgettext_lazy("plural", "创新平台")
        ordering = ["level", "name", "id"]
        indexes = [
            models.Index(fields=["level", "name", "id"], name="platform_level_idx"),
            models.Index(fields=["enterprise", "level"], name="platform_enterprise_idx"),
        ]

    def __str__(self):
        return self.name
