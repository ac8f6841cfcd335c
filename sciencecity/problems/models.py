"""Closed-loop problems (问题闭环): what the zone finds wrong — on a river patrol, a site inspection, a
supervision, an enterprise's demand, a citizen's report, an escort team's visit or a poor service rating — and
closes in a loop: dispatched to the responsible department, rectified, verified, closed.

Categories and their routing rules are data that administrators edit (audited); the state machine is one
transition table (`transitions.py`); every write is a function in `services/`; deadlines are stored working-day
dates (`due_date`), so "overdue" is an indexed filter.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, _roles, sees_everything
from sciencecity.choices import label_of
from sciencecity.i18n import in_language
from sciencecity.workdays import clock

# Who reads every problem of the zone besides leaders, supervisors and administrators: the dispatch centre
# (指挥中心) routes them and inspectors verify them wherever they are.
ZONE_WIDE_PROBLEM_ROLES = frozenset({"dispatcher", "inspector"})
DEPARTMENT_ROLES = frozenset({"department_reviewer", "department_head", "project_specialist"})

# The follow-up code a reporter without an account keeps: 8 symbols without 0/O/1/I/L, read aloud on the phone.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8

# The system category of the problems that poor service ratings open (made by migration 0003, and again by
# the first poor rating if an administrator deleted it): five working days, verified by the rater (回访).
SERVICE_RATING_CATEGORY = "service-rating"
SERVICE_RATING_DEFAULTS = {
    "name": "服务差评整改",
    "name_en": "Poor service rating follow-up",
    "description": "企业对办件评价 2 分及以下时自动生成,由牵头部门整改,评价人回访核查。",
    "deadline_days": 5,
    "verifier": "reporter",
    "evidence_required": False,
    "reopen_days": 15,
    "order": 900,
}


def new_follow_up_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class ProblemCategoryQuerySet(models.QuerySet):
    def reportable(self):
        """The categories a person reports under: the active ones but the system's own (a poor service rating's
        problems are opened by the rating, not reported)."""
        return self.filter(is_active=True).exclude(code=SERVICE_RATING_CATEGORY)


class ProblemCategory(models.Model):
    """A kind of problem with how it is handled: the deadline, who verifies, whether evidence photos are
    required, how long its reporter may reopen it. The department comes from the routing rules."""

    class Verifier(models.TextChoices):
        REPORTER = "reporter", _("报告人核查")
        INSPECTOR = "inspector", _("巡查人员核查")
        DISPATCH = "dispatch", _("指挥中心核查")

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    description = models.TextField(_("说明"), blank=True)
    deadline_days = models.PositiveSmallIntegerField(
        _("办理时限(工作日)"), default=5, validators=[MinValueValidator(1), MaxValueValidator(250)]
    )
    verifier = models.CharField(
        _("核查方"), max_length=20, choices=Verifier.choices, default=Verifier.DISPATCH
    )
    evidence_required = models.BooleanField(_("整改须附照片"), default=True)
    reopen_days = models.PositiveSmallIntegerField(
        _("可重新打开天数"),
        default=15,
        help_text=_("办结后报告人在这么多个自然日内可以重新打开"),
        validators=[MaxValueValidator(365)],
    )
    in_remediation_ledger = models.BooleanField(
        _("列入散乱污整治台账"), default=False, help_text=_("该类问题的整改记入“散乱污”整治台账")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = ProblemCategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题类别")
        verbose_name_plural = pgettext_lazy("plural", "问题类别")
        ordering = ["order", "code"]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return in_language(self.name, self.name_en)


class RoutingRule(models.Model):
    """Category × area → responsible department. A rule without an area serves every area of its category;
    a rule naming the area wins over it. A problem no rule matches waits for the dispatch centre."""

    category = models.ForeignKey(
        ProblemCategory, verbose_name=_("问题类别"), on_delete=models.CASCADE, related_name="rules"
    )
    area = models.CharField(_("区域编码"), max_length=40, blank=True, help_text=_("留空表示所有区域"))
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("派遣规则")
        verbose_name_plural = pgettext_lazy("plural", "派遣规则")
        constraints = [
            models.UniqueConstraint(fields=["category", "area"], name="routing_rule_unique"),
        ]

    def __str__(self):
        return f"{self.category} {self.area or '*'} → {self.department}"


class ProblemQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        roles = _roles(user)
        if sees_everything(user) or roles & ZONE_WIDE_PROBLEM_ROLES:
            return self.all()
        mine = Q(reporter=user)
        if roles & DEPARTMENT_ROLES and user.department_id:
            mine |= Q(department_id=user.department_id)
        if user.enterprise_id:
            mine |= Q(enterprise_id=user.enterprise_id)
        return self.filter(mine)

    def open(self):
        return self.filter(status__in=OPEN_STATES)

    def overdue(self, today=None):
        return self.filter(status__in=CLOCKED_STATES, due_date__lt=today or clock.today())


class Problem(models.Model):
    class Source(models.TextChoices):
        RIVER_PATROL = "river_patrol", _("河长巡河")
        QUALITY_INSPECTION = "quality_inspection", _("质量检查")
        SAFETY_INSPECTION = "safety_inspection", _("安全检查")
        SUPERVISION = "supervision", _("督查")
        ENTERPRISE_DEMAND = "enterprise_demand", _("企业诉求")
        CITIZEN = "citizen", _("群众反映")
        ESCORT_TEAM = "escort_team", _("项目护航")
        PROJECT_REPORT = "project_report", _("项目月报")
        SERVICE_RATING = "service_rating", _("服务差评")
        OPEN311 = "open311", _("Open311 接入")

    class Status(models.TextChoices):
        REPORTED = "reported", _("待派遣")
        DISPATCHED = "dispatched", _("待签收")
        RETURNED = "returned", _("已退回")
        RECTIFYING = "rectifying", _("整改中")
        RECTIFIED = "rectified", _("待核查")
        SPLIT = "split", _("已拆分")
        CLOSED = "closed", _("已办结")
        MERGED = "merged", _("已合并")
        DISMISSED = "dismissed", _("不予受理")

    number = models.CharField(_("问题编号"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("问题描述"))
    category = models.ForeignKey(
        ProblemCategory, verbose_name=_("问题类别"), on_delete=models.PROTECT, related_name="problems"
    )
    source = models.CharField(_("来源"), max_length=30, choices=Source.choices)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.REPORTED)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Where: a point in the zone, its address, and the area (街道/镇) the point lies in (`geo.area_at`). A
    # problem without a place (an enterprise's demand, a poor service rating) has no point.
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    area = models.CharField(_("区域"), max_length=40, blank=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("相关企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("相关项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )
    # Who: an account, or a citizen's name and phone with the follow-up code they keep.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报告人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_problems",
    )
    reporter_name = models.CharField(_("报告人姓名"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    follow_up_code = models.CharField(_("查询码"), max_length=CODE_LENGTH, unique=True)
    # The poor service rating this problem follows up (source SERVICE_RATING), by id: problems sit below
    # approvals in the layers and know no application.
    rating_id = models.PositiveBigIntegerField(_("服务评价"), null=True, blank=True, unique=True)
    # When: each step's moment, and the stored deadline (working days from dispatch, moved by returns and by a
    # long-term plan).
    reported_at = models.DateTimeField(_("报告时间"), default=clock.now)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    rectified_at = models.DateTimeField(_("整改完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    due_date = models.DateField(_("办理期限"), null=True, blank=True)
    # The count behind `due_date`: this many working days after this day (returns add the days they waited),
    # kept so that a provisional deadline is counted again when its year's calendar is confirmed.
    clock_started_on = models.DateField(_("计时起始日"), null=True, blank=True)
    clock_days = models.PositiveSmallIntegerField(_("计时工作日数"), null=True, blank=True)
    due_date_provisional = models.BooleanField(_("期限为暂定"), default=False)
    warned_at = models.DateTimeField(_("临期预警时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("督办时间"), null=True, blank=True)
    long_term = models.BooleanField(_("长期整改"), default=False)
    long_term_plan = models.TextField(_("长期整改方案"), blank=True)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重新打开次数"), default=0)
    closed_on_time = models.BooleanField(_("按期办结"), null=True, blank=True)
    working_days = models.PositiveIntegerField(_("办理用时(工作日)"), null=True, blank=True)
    resolution = models.TextField(_("办理结果"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并到"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # The monitoring section (断面) a river patrol's problem was found at (`rivers`): the section's page
    # lists its problems.
    section = models.ForeignKey(
        "problems.MonitoringSection",
        verbose_name=_("监测断面"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
    )

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = pgettext_lazy("plural", "问题")
        ordering = ["-reported_at", "-id"]
        permissions = [
            ("report_problem", _("报告问题")),
            ("dispatch_problem", _("派遣问题")),
            ("handle_problem", _("办理问题")),
            ("verify_problem", _("核查问题")),
        ]
        indexes = [
            # The department's worklist by state and deadline; the dispatch queue; lights and escalation.
            models.Index(fields=["department", "status", "due_date"], name="problem_department_idx"),
            models.Index(fields=["status", "reported_at"], name="problem_status_idx"),
            models.Index(fields=["status", "due_date"], name="problem_due_idx"),
            models.Index(fields=["reporter", "-reported_at"], name="problem_reporter_idx"),
            models.Index(fields=["enterprise", "-reported_at"], name="problem_enterprise_idx"),
            models.Index(fields=["category", "status"], name="problem_category_idx"),
            # Open311's GET requests by service_code over a period, newest first.
            models.Index(fields=["category", "-reported_at"], name="problem_category_time_idx"),
            models.Index(fields=["area", "status"], name="problem_area_idx"),
            models.Index(fields=["-reported_at", "-id"], name="problem_recent_idx"),
            models.Index(fields=["closed_at"], name="problem_closed_idx"),
            # Partial indexes read in the lists' order, so that a first page stops after its rows: the
            # dispatch queue (waiting and returned problems, oldest first) and a department's open problems by
            # deadline. Without them the planner walks the time index past a million closed problems.
            # (The states: QUEUE and OPEN below, spelled out because they are defined after the class.)
            models.Index(
                fields=["reported_at", "id"],
                name="problem_queue_idx",
                condition=Q(status__in=["reported", "returned"]),
            ),
            models.Index(
                fields=["department", "due_date", "id"],
                name="problem_open_due_idx",
                condition=Q(
                    status__in=["reported", "dispatched", "returned", "rectifying", "rectified", "split"]
                ),
            ),
            models.Index(
                fields=["id"], name="problem_provisional_idx", condition=Q(due_date_provisional=True)
            ),
            models.Index(fields=["parent"], name="problem_parent_idx", condition=Q(parent__isnull=False)),
            models.Index(
                fields=["section", "-reported_at"],
                name="problem_section_idx",
                condition=Q(section__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="problem_point_on_earth",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_status_display(self):
        return label_of(self.Status, self.status)  # the lists show it on every row: `sciencecity.choices`

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    def light(self, today=None, warn_until=None) -> str:
        """green / yellow / red for a problem on the clock; "" for one that is not (waiting at the dispatch
        centre has its own queue; closed, merged and dismissed ones are done)."""
        if self.status not in CLOCKED_STATES or self.due_date is None:
            return ""
        today = today or clock.today()
        if self.due_date < today:
            return "red"
        if warn_until is not None and self.due_date <= warn_until:
            return "yellow"
        return "green"


S = Problem.Status
# On the department's clock: the deadline runs.
CLOCKED_STATES = (S.DISPATCHED, S.RECTIFYING, S.RECTIFIED)
# Not finished: counted as open in the statistics and the Open311 status.
OPEN_STATES = (S.REPORTED, S.DISPATCHED, S.RETURNED, S.RECTIFYING, S.RECTIFIED, S.SPLIT)
DONE_STATES = (S.CLOSED, S.MERGED, S.DISMISSED)
QUEUE_STATES = (S.REPORTED, S.RETURNED)


class ProblemEvent(models.Model):
    """One step of a problem's history, shown as its timeline: the action, the states before and after, the
    note the actor wrote (a return's reason, a progress note, a verification's finding) and the photos with
    it. The audit trail records the same step for supervisors; this row is what the reporter and the pages
    read, and what the rework and reopen statistics count."""

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("操作"), max_length=30)
    status_before = models.CharField(_("原状态"), max_length=20, blank=True)
    status_after = models.CharField(_("新状态"), max_length=20)
    note = models.TextField(_("说明"), blank=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("时间"), default=clock.now)

    class Meta:
        verbose_name = _("问题处理记录")
        verbose_name_plural = pgettext_lazy("plural", "问题处理记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["problem", "created_at"], name="problem_event_idx")]

    def __str__(self):
        return f"{self.problem_id} {self.action}"


def photo_path(instance, filename: str) -> str:
    # Named by the platform, never by the uploader: the original name may carry personal data.
    return f"problems/{clock.today():%Y/%m}/{secrets.token_hex(12)}.jpg"


class ProblemPhoto(models.Model):
    """A photo of the problem (at the report), of progress, or the evidence of its rectification — always
    re-encoded by the platform (`services.photos`)."""

    class Kind(models.TextChoices):
        REPORT = "report", _("问题照片")
        PROGRESS = "progress", _("整改进展")
        EVIDENCE = "evidence", _("整改佐证")
        VERIFICATION = "verification", _("核查照片")

    problem = models.ForeignKey(
        Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="photos"
    )
    event = models.ForeignKey(
        ProblemEvent,
        verbose_name=_("处理记录"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    image = models.ImageField(_("照片"), upload_to=photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(_("宽"), default=0)
    height = models.PositiveIntegerField(_("高"), default=0)
    keeps_metadata = models.BooleanField(_("保留拍摄信息"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=clock.now)

    class Meta:
        verbose_name = _("问题照片")
        verbose_name_plural = pgettext_lazy("plural", "问题照片")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["problem", "kind"], name="problem_photo_idx")]

    def __str__(self):
        return f"{self.problem_id} {self.get_kind_display()}"


class ProblemFigureSnapshot(models.Model):
    """The zone's problem statistics as the background worker counted them at one moment (`figures`): the
    counts per (category, department, area, source) with the histogram of working days, and the trend's
    months. The statistics page reads the newest instead of counting every problem on each visit."""

    taken_at = models.DateTimeField(_("统计时间"), db_index=True)
    # [[category_id, department_id, area, source, {reported, closed, …, days: {working days: count}}], …]
    groups = models.JSONField(_("分组统计"), default=list)
    # [["YYYY-MM", category_id, department_id, area, source, reported, closed], …]
    trend = models.JSONField(_("月度趋势"), default=list)
    seconds = models.FloatField(_("统计用时(秒)"), default=0)

    class Meta:
        verbose_name = _("问题统计快照")
        verbose_name_plural = pgettext_lazy("plural", "问题统计快照")

    def __str__(self):
        return f"{self.taken_at:%Y-%m-%d %H:%M}"


# The rivers' rows are the problems app's (river patrols find problems at their sections).
from .rivers.models import MonitoringSection, River, WaterReading  # noqa: E402, F401
