"""Rivers, their monitoring sections (断面) and the sections' monthly readings.

The rows belong to the problems app (`problems.models` imports this module): river patrols (河长巡河) find
problems on these rivers, and a patrol's problem names the section it was found at (`Problem.section`).
What a reader sees of a section's status — this month against the target, the run of years better than it,
the trend — is computed from the readings by `status`, never typed.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet
from sciencecity.choices import label_of
from sciencecity.i18n import in_language
from sciencecity.workdays import clock

from .standard import SHORT, WaterClass, class_label

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", _("编码只能包含字母、数字、连字符和下划线。"), code="invalid_code"
)


class PublicToStaffQuerySet(ScopedQuerySet):
    """Rivers, sections and readings: the water quality of the zone is public information (the environment
    department publishes it monthly), read by everyone signed in — the river patrols, the departments, the
    dispatch centre, the leaders, the enterprises. Nobody signed out lists them."""

    def for_user(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.all()


class River(models.Model):
    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("河流名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    flows_into = models.CharField(_("汇入"), max_length=50, blank=True, help_text=_("如:嘉陵江"))
    length_km = models.DecimalField(
        _("园区内长度(公里)"),
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    chief = models.CharField(
        _("河长"), max_length=100, blank=True, help_text=_("姓名和职务,如:区级河长 张某(管委会副主任)")
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("河长制办公室或牵头治理的部门"),
    )
    description = models.TextField(_("简介"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = PublicToStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("河流")
        verbose_name_plural = pgettext_lazy("plural", "河流")
        ordering = ["order", "code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_en)


class MonitoringSection(models.Model):
    """A place on a river where the water is sampled every month, with the class it must reach (考核目标,
    GB 3838-2002) and who answers for it: the river chief of its reach and the department that enters its
    readings."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("国控断面")
        MUNICIPAL = "municipal", _("市控断面")
        DISTRICT = "district", _("区控断面")
        ZONE = "zone", _("园区自设断面")

    river = models.ForeignKey(
        River, verbose_name=_("河流"), on_delete=models.PROTECT, related_name="sections"
    )
    code = models.CharField(_("断面编码"), max_length=40, unique=True, validators=[CODE_VALIDATOR])
    name = models.CharField(_("断面名称"), max_length=50)
    name_en = models.CharField(_("英文名称"), max_length=100, blank=True)
    level = models.CharField(_("断面级别"), max_length=20, choices=Level.choices, default=Level.DISTRICT)
    assessed = models.BooleanField(
        _("考核断面"), default=True, help_text=_("河流的连续达标年数按其考核断面计算")
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    area = models.CharField(_("区域"), max_length=40, blank=True, editable=False)
    target_class = models.PositiveSmallIntegerField(
        _("考核目标"),
        choices=WaterClass.choices,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_("GB 3838-2002 水质类别"),
    )
    chief = models.CharField(_("河段长"), max_length=100, blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("录入该断面监测数据、对水质达标负责的部门"),
    )
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = PublicToStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("监测断面")
        verbose_name_plural = pgettext_lazy("plural", "监测断面")
        ordering = ["river__order", "river__code", "order", "code"]
        indexes = [models.Index(fields=["river", "order"], name="section_river_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(target_class__gte=1, target_class__lte=6), name="section_target_is_a_class"
            ),
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="section_point_on_earth",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_en)

    @property
    def target_label(self) -> str:
        return class_label(self.target_class)

    @property
    def target_short(self) -> str:
        return SHORT[self.target_class]


class WaterReading(models.Model):
    """A section's water quality in one month: the class measured and, when the monitoring report gives them,
    the key indicators (mg/L). One per section and month (a correction changes it, audited)."""

    class Source(models.TextChoices):
        ENTERED = "entered", _("逐条录入")
        IMPORTED = "imported", _("表格导入")

    section = models.ForeignKey(
        MonitoringSection, verbose_name=_("监测断面"), on_delete=models.PROTECT, related_name="readings"
    )
    month = models.DateField(_("监测月份"), help_text=_("该月第一天"))
    water_class = models.PositiveSmallIntegerField(
        _("水质类别"), choices=WaterClass.choices, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    cod = models.DecimalField(_("化学需氧量(mg/L)"), max_digits=7, decimal_places=2, null=True, blank=True)
    ammonia_nitrogen = models.DecimalField(
        _("氨氮(mg/L)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    total_phosphorus = models.DecimalField(
        _("总磷(mg/L)"), max_digits=7, decimal_places=3, null=True, blank=True
    )
    dissolved_oxygen = models.DecimalField(
        _("溶解氧(mg/L)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    note = models.CharField(_("备注"), max_length=500, blank=True)
    source = models.CharField(_("录入方式"), max_length=20, choices=Source.choices, default=Source.ENTERED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("录入时间"), default=clock.now)
    corrected_at = models.DateTimeField(_("更正时间"), null=True, blank=True)

    objects = PublicToStaffQuerySet.as_manager()

    class Meta:
        verbose_name = _("水质监测数据")
        verbose_name_plural = pgettext_lazy("plural", "水质监测数据")
        ordering = ["section", "month"]
        permissions = [("record_water_quality", _("录入水质监测数据"))]
        indexes = [
            # The zone's readings of a month (the import's duplicates, the cockpit's latest month).
            models.Index(fields=["month"], name="water_reading_month_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["section", "month"], name="water_reading_one_per_month"),
            models.CheckConstraint(
                condition=Q(water_class__gte=1, water_class__lte=6), name="water_reading_is_a_class"
            ),
            models.CheckConstraint(
                condition=(Q(cod__isnull=True) | Q(cod__gte=0))
                & (Q(ammonia_nitrogen__isnull=True) | Q(ammonia_nitrogen__gte=0))
                & (Q(total_phosphorus__isnull=True) | Q(total_phosphorus__gte=0))
                & (Q(dissolved_oxygen__isnull=True) | Q(dissolved_oxygen__gte=0)),
                name="water_reading_indicators_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.section.code} {self.month:%Y-%m} {SHORT.get(self.water_class, '')}"

    def get_water_class_display(self):
        return label_of(WaterClass, self.water_class)

    @property
    def class_short(self) -> str:
        return SHORT.get(self.water_class, "")
