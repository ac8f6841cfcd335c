"""Science and industry projects (科产项目), from signing to operation."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant, sees_everything
from sciencecity.i18n import in_language
from sciencecity.workdays import clock

# The national investment-project code (全国投资项目在线审批监管平台): year-region-industry-type-serial,
# e.g. 2026-500106-47-01-123456.
_project_code_format = RegexValidator(
    r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$",
    _("项目代码格式应为 年份-行政区划-行业-类型-流水号,如 2026-500106-47-01-123456。"),
    code="project_code_format",
)
FIRST_CODE_YEAR = 2014
# Bounds of counts the API shows, explicit so that the schema is the same on SQLite and PostgreSQL.
MAX_COUNT = 100_000_000  # the national online approval platform gives codes since 2014 (国办发〔2014〕59号)


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


class Level(models.TextChoices):
    """The colour of a project's monthly warning (红黄绿灯)."""

    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


LEVEL_ORDER = {Level.GREEN: 0, Level.YELLOW: 1, Level.RED: 2}


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
    # The schedule: its type (whose milestones it tracks), the task force (专班) escorting it, the investment
    # completed before its first monthly report and to date (kept by `services.reports`).
    project_type = models.ForeignKey(
        "projects.ProjectType",
        verbose_name=_("项目类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    task_force = models.CharField(_("工作专班"), max_length=100, blank=True)
    prior_investment = models.DecimalField(
        _("此前累计完成投资(万元)"),
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    investment_to_date = models.DecimalField(
        _("累计完成投资(万元)"), max_digits=14, decimal_places=2, default=0
    )
    # The monthly warning (`services.warnings`): its colour, the reasons (rule measures with their values,
    # worded when shown) and the day it was computed.
    warning_level = models.CharField(_("预警"), max_length=10, choices=Level.choices, default=Level.GREEN)
    warning_reasons = models.JSONField(_("预警原因"), default=list, blank=True)
    warned_on = models.DateField(_("预警计算日期"), null=True, blank=True)
    # Red 0, yellow 1, green 2, kept by the database itself: the key projects' list reads reddest first by
    # an index (`project_key_order_idx`) instead of sorting every key project by a CASE on each view.
    warning_order = models.GeneratedField(
        expression=models.Case(
            models.When(warning_level="red", then=models.Value(0)),
            models.When(warning_level="yellow", then=models.Value(1)),
            default=models.Value(2),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = pgettext_lazy("plural", "项目")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("inspect_project", _("检查项目质量安全")),
            ("manage_escort", _("组建项目护航团队")),
            ("supervise_project", _("跟进监督重点项目")),
        ]
        indexes = [
            # Each list filters on its leading columns and reads newest first, as the default ordering does.
            models.Index(fields=["enterprise", "-created_at", "-id"], name="project_enterprise_idx"),
            models.Index(fields=["phase", "is_key", "-created_at", "-id"], name="project_phase_key_idx"),
            models.Index(fields=["is_key", "-created_at", "-id"], name="project_key_idx"),
            models.Index(
                fields=["warning_level", "is_key", "-created_at", "-id"], name="project_warning_idx"
            ),
            models.Index(fields=["task_force", "-created_at", "-id"], name="project_task_force_idx"),
            models.Index(
                fields=["is_key", "warning_order", "-created_at", "-id"], name="project_key_order_idx"
            ),
        ]

    def __str__(self):
        return f"{self.name}({self.code})"


# --- the schedule: project types and their milestones, phases of a multi-phase project, dated history ---------


class ProjectType(models.Model):
    """A kind of project (a building, a road or tunnel …) with the milestones its schedule tracks, in order.
    A project without a type uses the default type (`DEFAULT_TYPE`)."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("项目类型")
        verbose_name_plural = pgettext_lazy("plural", "项目类型")
        ordering = ["order", "code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_en)


class MilestoneKind(models.Model):
    """One milestone of a project type's schedule (用地, 开工, 基础完工, 主体封顶, 竣工验收, 投用 …). `marks` names the
    milestone the warning rules read: the start (开工) is the one a late start is measured by."""

    class Mark(models.TextChoices):
        NONE = "", _("无")
        LAND = "land", _("用地")
        START = "start", _("开工")
        COMPLETION = "completion", _("竣工")
        OPERATION = "operation", _("投用")

    project_type = models.ForeignKey(
        ProjectType, verbose_name=_("项目类型"), on_delete=models.CASCADE, related_name="milestones"
    )
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    marks = models.CharField(_("标志"), max_length=20, choices=Mark.choices, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("里程碑")
        verbose_name_plural = pgettext_lazy("plural", "里程碑")
        ordering = ["project_type", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["project_type", "code"], name="milestone_kind_unique"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_en)


class YearCategory(models.TextChoices):
    """The category of a project in a year's plan (年度计划)."""

    NEW = "new", _("新开工")
    CONTINUING = "continuing", _("续建")
    COMPLETING = "completing", _("竣工")
    PREPARING = "preparing", _("预备")


class ProjectStage(models.Model):
    """One phase (分期) of a multi-phase project, e.g. the first of an aero-engine base's three phases; each
    has its own milestone dates."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="stages"
    )
    number = models.PositiveSmallIntegerField(_("期次"), validators=[MinValueValidator(1)])
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("项目分期")
        verbose_name_plural = pgettext_lazy("plural", "项目分期")
        ordering = ["project", "number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="project_stage_unique")]

    def __str__(self):
        return self.name


class Milestone(models.Model):
    """The planned and actual date of one milestone of a project (or of one of its phases)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="milestones"
    )
    stage = models.ForeignKey(
        ProjectStage,
        verbose_name=_("分期"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    kind = models.ForeignKey(
        MilestoneKind, verbose_name=_("里程碑"), on_delete=models.PROTECT, related_name="+"
    )
    planned_on = models.DateField(_("计划日期"), null=True, blank=True)
    actual_on = models.DateField(_("实际日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("项目里程碑")
        verbose_name_plural = pgettext_lazy("plural", "项目里程碑")
        ordering = ["project", "stage__number", "kind__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind"], condition=Q(stage__isnull=True), name="milestone_project_unique"
            ),
            models.UniqueConstraint(
                fields=["project", "stage", "kind"],
                condition=Q(stage__isnull=False),
                name="milestone_stage_unique",
            ),
        ]

    def __str__(self):
        return f"{self.project_id} {self.kind}"


class PhaseChange(models.Model):
    """The dated history of a project's phase: each change with the day it happened (which may be earlier
    than the day it was recorded) and who recorded it."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="phase_changes"
    )
    from_phase = models.CharField(_("原阶段"), max_length=30, choices=Project.Phase.choices, blank=True)
    to_phase = models.CharField(_("新阶段"), max_length=30, choices=Project.Phase.choices)
    changed_on = models.DateField(_("变更日期"))
    note = models.CharField(_("说明"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=clock.now)

    class Meta:
        verbose_name = _("阶段变更")
        verbose_name_plural = pgettext_lazy("plural", "阶段变更")
        ordering = ["project", "changed_on", "id"]

    def __str__(self):
        return f"{self.changed_on} {self.get_to_phase_display()}"


class InvestmentPlan(models.Model):
    """A project's plan for one year (年度计划): its category that year and the investment to complete, with
    what the monthly reports have completed so far (kept by `services.reports`, so lists and warnings read
    one row)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="plans"
    )
    year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    category = models.CharField(_("年度类别"), max_length=20, choices=YearCategory.choices)
    planned = models.DecimalField(
        _("年度计划投资(万元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    completed = models.DecimalField(_("年度已完成投资(万元)"), max_digits=14, decimal_places=2, default=0)
    goal = models.CharField(_("年度形象进度目标"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("年度投资计划")
        verbose_name_plural = pgettext_lazy("plural", "年度投资计划")
        ordering = ["project", "-year"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="investment_plan_unique")]
        indexes = [models.Index(fields=["year", "category"], name="plan_year_category_idx")]

    def __str__(self):
        return f"{self.project_id} {self.year}"

    @property
    def completion_percent(self):
        if not self.planned:
            return None
        return round(float(self.completed) * 100 / float(self.planned), 1)


# --- monthly reports ------------------------------------------------------------------------------------------


class MonthlyReport(models.Model):
    """The project unit's report of one month (项目月报): investment completed that month, visual progress (形象
    进度) in per cent and words, workforce on site, photos, and the problems met — each a closed-loop problem
    (`problems`). Due by `settings.PROJECT_REPORT_DAY` of the month."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="reports"
    )
    month = models.DateField(_("月份"), help_text=_("该月的第一天"))
    investment = models.DecimalField(
        _("本月完成投资(万元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    progress_percent = models.PositiveSmallIntegerField(_("形象进度(%)"), validators=[MaxValueValidator(100)])
    progress_text = models.TextField(_("形象进度说明"))
    # Bounded as the service checks it (and so that the API schema does not depend on the database's range).
    workforce = models.PositiveIntegerField(
        _("在场施工人数"), default=0, validators=[MaxValueValidator(100_000)]
    )
    problems = models.ManyToManyField(
        "problems.Problem", verbose_name=_("反映的问题"), blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报送人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("报送时间"), default=clock.now)
    is_late = models.BooleanField(_("逾期报送"), default=False)

    class Meta:
        verbose_name = _("项目月报")
        verbose_name_plural = pgettext_lazy("plural", "项目月报")
        ordering = ["project", "-month"]
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="monthly_report_unique")]
        indexes = [models.Index(fields=["month", "project"], name="report_month_idx")]

    def __str__(self):
        return f"{self.project_id} {self.month:%Y-%m}"


class ReportPhoto(models.Model):
    """A site photo of a monthly report, re-encoded without its metadata (as problems' photos are)."""

    report = models.ForeignKey(
        MonthlyReport, verbose_name=_("项目月报"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("照片"), upload_to="project-reports/%Y/%m/")

    class Meta:
        verbose_name = _("月报照片")
        verbose_name_plural = pgettext_lazy("plural", "月报照片")
        ordering = ["report", "id"]

    def __str__(self):
        return self.image.name


# --- quality and safety inspections -------------------------------------------------------------------------


class Inspection(models.Model):
    """A quality or safety inspection of a project's site by an inspector: a score out of 100, what was seen,
    and the findings, each a closed-loop problem (source 质量检查 / 安全检查) routed to its department. The
    campaign's scoring reads the scores."""

    class Kind(models.TextChoices):
        QUALITY = "quality", _("质量检查")
        SAFETY = "safety", _("安全检查")

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="inspections"
    )
    kind = models.CharField(_("检查类型"), max_length=20, choices=Kind.choices)
    inspected_on = models.DateField(_("检查日期"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(_("得分"), validators=[MaxValueValidator(100)])
    summary = models.TextField(_("检查情况"))
    problems = models.ManyToManyField(
        "problems.Problem", verbose_name=_("发现的问题"), blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=clock.now)

    class Meta:
        verbose_name = _("质量安全检查")
        verbose_name_plural = pgettext_lazy("plural", "质量安全检查")
        ordering = ["project", "-inspected_on", "-id"]
        indexes = [
            models.Index(fields=["project", "-inspected_on", "-id"], name="inspection_project_idx"),
            models.Index(fields=["kind", "inspected_on"], name="inspection_kind_day_idx"),
        ]

    def __str__(self):
        return f"{self.inspected_on} {self.get_kind_display()}"


# --- the escort team "1+N+5" ----------------------------------------------------------------------------------


class EscortMember(models.Model):
    """A member of a key project's escort team: the "1" (the responsible leading official or the head of the
    task force, 专班), the "N" service specialists of the departments the project needs, and the party-building
    instructor (党建指导员)."""

    class Role(models.TextChoices):
        LEAD = "lead", _("牵头负责人")
        SPECIALIST = "specialist", _("服务专员")
        INSTRUCTOR = "instructor", _("党建指导员")

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="escort_members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="escorts"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    duty = models.CharField(_("职责"), max_length=200, blank=True)
    since = models.DateField(_("起始日期"), default=clock.today)

    class Meta:
        verbose_name = _("护航团队成员")
        verbose_name_plural = pgettext_lazy("plural", "护航团队成员")
        ordering = ["project", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="escort_member_unique"),
            models.UniqueConstraint(fields=["project"], condition=Q(role="lead"), name="escort_one_lead"),
        ]
        indexes = [models.Index(fields=["user", "role"], name="escort_user_idx")]

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class EscortConsent(models.Model):
    """The enterprise's recorded consent to help-and-do (帮办代办) for a project: while it is in force, the
    project's escort specialists may prepare applications for it; the enterprise still reviews and submits
    each itself."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="consents"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("授权人"), on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(_("授权时间"), default=clock.now)
    scope = models.CharField(_("授权范围"), max_length=300)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤回人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("帮办代办授权")
        verbose_name_plural = pgettext_lazy("plural", "帮办代办授权")
        ordering = ["project", "-granted_at", "-id"]

    def __str__(self):
        return f"{self.project_id} {self.granted_at:%Y-%m-%d}"

    def in_force(self, today=None) -> bool:
        today = today or clock.today()
        return self.revoked_at is None and (self.valid_until is None or self.valid_until >= today)


class ServiceLog(models.Model):
    """One escort service (the "5" of "1+N+5"): door-to-door guidance, help-and-do, coordinating a problem,
    supervising progress, or the enterprise's evaluation of the service."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("上门指导")
        HELP = "help", _("帮办代办")
        COORDINATE = "coordinate", _("协调问题")
        SUPERVISE = "supervise", _("督促进度")
        EVALUATION = "evaluation", _("企业评价")

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="service_logs"
    )
    kind = models.CharField(_("服务类型"), max_length=20, choices=Kind.choices)
    served_on = models.DateField(_("服务日期"))
    note = models.TextField(_("服务内容"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=clock.now)
    # What the service was about: the problem coordinated, the application prepared (by id: approvals sits
    # above projects in the layers), the score the enterprise gave (1–5).
    problem = models.ForeignKey(
        "problems.Problem",
        verbose_name=_("协调的问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    application_id = models.PositiveBigIntegerField(_("代办的办件"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(
        _("评分"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )

    class Meta:
        verbose_name = _("护航服务记录")
        verbose_name_plural = pgettext_lazy("plural", "护航服务记录")
        ordering = ["project", "-served_on", "-id"]
        indexes = [
            models.Index(fields=["project", "-served_on", "-id"], name="service_log_project_idx"),
            models.Index(fields=["actor", "-served_on"], name="service_log_actor_idx"),
        ]

    def __str__(self):
        return f"{self.served_on} {self.get_kind_display()}"


class SupervisionNote(models.Model):
    """A supervisor's (纪检) note on a key project they follow (跟进监督)."""

    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="supervision_notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(_("记录时间"), default=clock.now)
    text = models.TextField(_("监督记录"))

    class Meta:
        verbose_name = _("监督记录")
        verbose_name_plural = pgettext_lazy("plural", "监督记录")
        ordering = ["project", "-written_at", "-id"]

    def __str__(self):
        return f"{self.project_id} {self.written_at:%Y-%m-%d}"


# --- warnings -------------------------------------------------------------------------------------------------


class WarningRule(models.Model):
    """A rule of the monthly warning (红黄绿灯预警), as data administrators edit: what it measures, from which
    value it turns a project yellow and from which red (empty: never red). The measures:

    - `start_delay`: months a project has not started after its planned start (开工);
    - `investment_lag`: points by which the year's investment completion is behind the time schedule;
    - `report_missing`: monthly reports missing since the last one (counting the month just due);
    - `overdue_problem`: the project's problems past their deadline;
    - `milestone_delay`: months the most delayed milestone other than the start is behind its plan.
    """

    class Measure(models.TextChoices):
        START_DELAY = "start_delay", _("开工滞后(月)")
        INVESTMENT_LAG = "investment_lag", _("投资完成滞后于时序进度(百分点)")
        REPORT_MISSING = "report_missing", _("月报未报(月)")
        OVERDUE_PROBLEM = "overdue_problem", _("超期未办结问题(个)")
        MILESTONE_DELAY = "milestone_delay", _("节点滞后(月)")

    measure = models.CharField(_("指标"), max_length=30, choices=Measure.choices, unique=True)
    yellow_from = models.DecimalField(
        _("黄灯起点"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("指标大于零且不小于该值时亮黄灯"),
    )
    red_from = models.DecimalField(
        _("红灯起点"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("指标超过该值时亮红灯;留空表示该指标不亮红灯"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = pgettext_lazy("plural", "预警规则")
        ordering = ["measure"]

    def __str__(self):
        return str(self.get_measure_display())

    def clean(self):
        if self.red_from is not None and self.red_from < self.yellow_from:
            raise ValidationError({"red_from": _("红灯起点不能小于黄灯起点。")})

    def level_for(self, value) -> str:
        if self.red_from is not None and value > self.red_from:
            return Level.RED
        if value >= self.yellow_from and value > 0:
            return Level.YELLOW
        return Level.GREEN


# --- the project ledger (项目台账) imported from Excel -----------------------------------------------------


class LedgerImportQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """An import is its uploader's, and administrators' (who answer for what came into the ledger)."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.has_role("administrator"):
            return self.all()
        return self.filter(uploaded_by=user)


class LedgerImport(models.Model):
    """One upload of the project ledger (项目台账) in Excel: the stored file, its progress and its outcome.

    Checked and written by `ledger.run_import` in a background task (or the `import_ledger` command): nothing
    is written when any row is wrong, and the per-row errors are kept here to show."""

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        VALIDATING = "validating", _("校验中")
        IMPORTING = "importing", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=clock.now)
    # Under MEDIA_ROOT, which no URL serves: the file is read by the import only.
    file = models.FileField(_("文件"), upload_to="ledger-imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(
        _("总行数"), default=0, validators=[MaxValueValidator(MAX_COUNT)]
    )
    processed_rows = models.PositiveIntegerField(
        _("已处理行数"), default=0, validators=[MaxValueValidator(MAX_COUNT)]
    )
    created = models.PositiveIntegerField(_("新增"), default=0, validators=[MaxValueValidator(MAX_COUNT)])
    updated = models.PositiveIntegerField(_("更新"), default=0, validators=[MaxValueValidator(MAX_COUNT)])
    # Each error: {"sheet", "row", "column", "message"} (row and column empty for a file-level error).
    errors = models.JSONField(_("错误"), default=list, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # The uploader's language: the background task words the errors in it.
    language = models.CharField(_("语言"), max_length=10, blank=True)

    objects = LedgerImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = pgettext_lazy("plural", "台账导入")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["uploaded_by", "-uploaded_at", "-id"], name="ledger_import_user_idx")]

    def __str__(self):
        return f"{self.original_name or self.file.name} · {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)


# --- the "三比一争" campaign: rounds, scoring rules as data, rankings ------------------------------------------


RUN_CAMPAIGN = "projects.run_campaign"


def _organizes(user) -> bool:
    """Organizers and the zone-wide readers see rounds before they are published."""
    return user.has_perm(RUN_CAMPAIGN) or user.has_perm("projects.supervise_project") or sees_everything(user)


class CampaignQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Every signed-in person may read what campaigns the zone runs and their rules."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.all()


class CampaignRoundQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Published rounds for everyone signed in; scored rounds also for organizers and supervisors."""
        if user is None or not user.is_authenticated:
            return self.none()
        if _organizes(user):
            return self.all()
        return self.filter(status=CampaignRound.Status.PUBLISHED)


class RoundScoreQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Civil servants read published rankings whole; an enterprise reads the pioneers (the honour list is
        public) and its own projects' places, not the others' bottom places."""
        if user is None or not user.is_authenticated:
            return self.none()
        if _organizes(user):
            return self.all()
        published = self.filter(round__status=CampaignRound.Status.PUBLISHED)
        if is_civil_servant(user):
            return published
        own = Q(project__enterprise_id=user.enterprise_id) if user.enterprise_id else Q(pk__in=[])
        return published.filter(Q(distinction=RoundScore.Distinction.PIONEER) | own)


class Campaign(models.Model):
    """A campaign comparing key projects (“三比一争”: 比质量、比安全、比进度,争先进): its period cut into rounds
    (each calendar month, or a hundred days at a time), its scoring rules (`ScoringRule`) and how many top
    places are named pioneers (红旗) and bottom places called to a talk (约谈). The projects compared are the
    key projects under construction (of one task force, if it names one) when a round is scored."""

    class RoundLength(models.TextChoices):
        MONTH = "month", _("每月一轮")
        HUNDRED_DAYS = "hundred_days", _("百日一轮")

    name = models.CharField(_("活动名称"), max_length=100)
    description = models.TextField(_("活动说明"), blank=True)
    round_length = models.CharField(_("轮次"), max_length=20, choices=RoundLength.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    task_force = models.CharField(
        _("工作专班"), max_length=100, blank=True, help_text=_("留空表示全部重点项目")
    )
    pioneer_places = models.PositiveSmallIntegerField(
        _("红旗名额"), default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    bottom_places = models.PositiveSmallIntegerField(
        _("约谈名额"), default=3, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("“三比一争”活动")
        verbose_name_plural = pgettext_lazy("plural", "“三比一争”活动")
        ordering = ["-starts_on", "-id"]
        permissions = [("run_campaign", _("组织“三比一争”评比"))]

    def __str__(self):
        return self.name


class ScoringRule(models.Model):
    """One measure a campaign scores, with its weight: the score of a project is the weighted mean of its
    measures' scores (each 0–100); a measure without data for a project (no inspection in the round, no plan
    for the year) scores `missing_score`. The measures:

    - `quality_inspection` / `safety_inspection`: the mean score of the round's quality / safety inspections;
    - `investment_progress`: the year's investment completed by the round's end against the time schedule
      (100 when on or ahead of schedule);
    - `report_timeliness`: monthly reports due in the round — on time 100, late 50, missing 0;
    - `warning_level`: the project's warning colour when scored — green 100, yellow 60, red 20.
    """

    class Dimension(models.TextChoices):
        QUALITY = "quality", _("比质量")
        SAFETY = "safety", _("比安全")
        PROGRESS = "progress", _("比进度")

    class Measure(models.TextChoices):
        QUALITY_INSPECTION = "quality_inspection", _("质量检查得分")
        SAFETY_INSPECTION = "safety_inspection", _("安全检查得分")
        INVESTMENT_PROGRESS = "investment_progress", _("投资完成对时序进度")
        REPORT_TIMELINESS = "report_timeliness", _("月报按时报送")
        WARNING_LEVEL = "warning_level", _("预警颜色")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rules")
    measure = models.CharField(_("指标"), max_length=30, choices=Measure.choices)
    weight = models.DecimalField(
        _("权重"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("权重为 0 的指标不计分"),
    )
    missing_score = models.DecimalField(
        _("缺数据时得分"),
        max_digits=5,
        decimal_places=2,
        default=60,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("评分规则")
        verbose_name_plural = pgettext_lazy("plural", "评分规则")
        ordering = ["campaign", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "measure"], name="scoring_rule_once_per_campaign")
        ]

    def __str__(self):
        return f"{self.get_measure_display()} × {self.weight}"

    @property
    def dimension(self) -> str:
        return MEASURE_DIMENSIONS[self.measure]

    def get_dimension_display(self) -> str:
        return str(ScoringRule.Dimension(self.dimension).label)


# Which of the three comparisons each measure scores.
MEASURE_DIMENSIONS = {
    ScoringRule.Measure.QUALITY_INSPECTION: ScoringRule.Dimension.QUALITY,
    ScoringRule.Measure.SAFETY_INSPECTION: ScoringRule.Dimension.SAFETY,
    ScoringRule.Measure.INVESTMENT_PROGRESS: ScoringRule.Dimension.PROGRESS,
    ScoringRule.Measure.REPORT_TIMELINESS: ScoringRule.Dimension.PROGRESS,
    ScoringRule.Measure.WARNING_LEVEL: ScoringRule.Dimension.PROGRESS,
}


class CampaignRound(models.Model):
    """One round of a campaign: open while it runs, scored once it has ended (by the morning scan, or again by
    an organizer), then published — a published ranking never changes. The rules it was scored by are kept
    with it, so the history across rounds reads as it was published."""

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        SCORED = "scored", _("已评分")
        PUBLISHED = "published", _("已公布")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField(
        _("轮次"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.OPEN)
    rules = models.JSONField(_("评分规则"), default=list, blank=True)
    participants = models.PositiveIntegerField(
        _("参评项目数"), default=0, validators=[MaxValueValidator(MAX_COUNT)]
    )
    scored_at = models.DateTimeField(_("评分时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("公布人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = CampaignRoundQuerySet.as_manager()

    class Meta:
        verbose_name = _("评比轮次")
        verbose_name_plural = pgettext_lazy("plural", "评比轮次")
        ordering = ["campaign", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="campaign_round_number")]
        indexes = [models.Index(fields=["status", "ends_on"], name="campaign_round_due_idx")]

    def __str__(self):
        return _("%(campaign)s 第%(number)s轮") % {"campaign": self.campaign.name, "number": self.number}

    @property
    def has_ended(self) -> bool:
        return self.ends_on < clock.today()

    @property
    def state_label(self) -> str:
        """The status as people read it: an open round is "not started" before its first day."""
        if self.status == self.Status.OPEN and self.starts_on > clock.today():
            return str(_("未开始"))
        return str(self.get_status_display())


class RoundScore(models.Model):
    """A project's place in a scored round: its total and the score of each dimension (the measures behind
    them in `details`), and whether it is a pioneer (红旗) or called to a talk (约谈)."""

    class Distinction(models.TextChoices):
        PIONEER = "pioneer", _("红旗")
        BOTTOM = "bottom", _("约谈")

    round = models.ForeignKey(CampaignRound, on_delete=models.CASCADE, related_name="scores")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="campaign_scores")
    rank = models.PositiveIntegerField(_("名次"), validators=[MaxValueValidator(MAX_COUNT)])
    total = models.DecimalField(_("总分"), max_digits=6, decimal_places=2)
    quality = models.DecimalField(_("质量"), max_digits=6, decimal_places=2, null=True)
    safety = models.DecimalField(_("安全"), max_digits=6, decimal_places=2, null=True)
    progress = models.DecimalField(_("进度"), max_digits=6, decimal_places=2, null=True)
    details = models.JSONField(_("指标得分"), default=dict)
    distinction = models.CharField(_("评比结果"), max_length=10, choices=Distinction.choices, blank=True)

    objects = RoundScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("评比得分")
        verbose_name_plural = pgettext_lazy("plural", "评比得分")
        ordering = ["round", "rank", "project_id"]
        constraints = [models.UniqueConstraint(fields=["round", "project"], name="round_score_once")]
        indexes = [
            models.Index(fields=["round", "rank", "project"], name="round_score_rank_idx"),
            models.Index(fields=["project", "round"], name="round_score_project_idx"),
        ]

    def __str__(self):
        return f"{self.round_id}#{self.rank} {self.project_id}"


# --- mass starts (集中开工) ------------------------------------------------------------------------------------


RECORD_MASS_START = "projects.record_mass_start"


class MassStartQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """A mass start is a public announcement: every signed-in person reads the event and its totals."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.all()


class MassStartProjectQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """The projects of an event as the reader's project scope allows: civil servants every one, an
        enterprise its own (the event's totals stay on the event)."""
        if user is None or not user.is_authenticated:
            return self.none()
        if is_civil_servant(user):
            return self.all()
        if user.enterprise_id:
            return self.filter(project__enterprise_id=user.enterprise_id)
        return self.none()


class MassStart(models.Model):
    """An event that starts many projects together (集中开工), e.g. the zone's mobilisation meeting of
    2020-09-11 that started 79 major projects. Its projects, each with its investment in the event, are
    `MassStartProject` rows; the count and the total are kept by `services.mass_starts` from those rows, never
    typed. Recording a project in an event dates its start (its 开工 milestone and phase) if nothing did before."""

    name = models.CharField(_("活动名称"), max_length=200)
    held_on = models.DateField(_("开工日期"))
    place = models.CharField(_("活动地点"), max_length=200)
    organizer = models.CharField(_("主办单位"), max_length=200)
    description = models.TextField(_("活动说明"), blank=True)
    # Under MEDIA_ROOT, served by `mass_start_views.photo` to signed-in readers, re-encoded without metadata.
    photo = models.ImageField(_("活动照片"), upload_to="mass-starts/%Y/", blank=True)
    project_count = models.PositiveIntegerField(
        _("开工项目数"), default=0, validators=[MaxValueValidator(MAX_COUNT)]
    )
    total_investment = models.DecimalField(_("总投资(万元)"), max_digits=16, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=clock.now)

    objects = MassStartQuerySet.as_manager()

    class Meta:
        verbose_name = _("集中开工活动")
        verbose_name_plural = pgettext_lazy("plural", "集中开工活动")
        ordering = ["-held_on", "-id"]
        permissions = [("record_mass_start", _("登记集中开工活动"))]
        indexes = [models.Index(fields=["-held_on", "-id"], name="mass_start_day_idx")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.name}"

    @property
    def investment_yi(self):
        """The total in 亿元 (hundred millions of yuan), as announcements state it."""
        return (self.total_investment / 10000).quantize(Decimal("0.01"))


class MassStartProject(models.Model):
    """A project started at a mass start, with its investment in the event (its total investment unless the
    event started a part of it). A project starts once: it is in at most one event. `started_here` says whether
    the event dated the project's start, or found it dated already."""

    event = models.ForeignKey(
        MassStart, verbose_name=_("集中开工活动"), on_delete=models.CASCADE, related_name="entries"
    )
    project = models.ForeignKey(
        Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="mass_starts"
    )
    investment = models.DecimalField(
        _("开工投资(万元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    started_here = models.BooleanField(_("由本次活动记为开工"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("登记时间"), default=clock.now)

    objects = MassStartProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("集中开工项目")
        verbose_name_plural = pgettext_lazy("plural", "集中开工项目")
        ordering = ["event", "id"]
        constraints = [models.UniqueConstraint(fields=["project"], name="mass_start_project_once")]
        indexes = [models.Index(fields=["event", "id"], name="mass_start_entry_idx")]

    def __str__(self):
        return f"{self.event_id} {self.project_id}"
