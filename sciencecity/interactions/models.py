"""The government–business interaction register (政商交往正面清单): what officials record of each visit, meeting
or event with an enterprise, the positive and negative lists it is recorded against, and what supervisors
(纪检) find.

A record is evidence: it is not edited after it is entered. It is flagged to the supervisors when it touches
an item of the negative list (`forbidden`) or was entered later than the set number of working days after
the interaction (`late`); both are stored when the record is made, so "flagged" is an indexed filter. The
enterprise visited may confirm the record or dispute it (`services.TRANSITIONS`).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.scoping import ScopedQuerySet, _roles, is_civil_servant, sees_everything
from sciencecity.choices import label_of
from sciencecity.workdays import clock


class ListItem(models.Model):
    """One item of the positive list (interactions officials are encouraged to have) or of the negative list
    (what they must not do). Administrators keep the lists in the admin; an item in use is retired, not
    deleted, so that old records keep their meaning."""

    class Kind(models.TextChoices):
        ENCOURAGED = "encouraged", _("鼓励的交往(正面清单)")
        FORBIDDEN = "forbidden", _("禁止的行为(负面清单)")

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    kind = models.CharField(_("清单"), max_length=12, choices=Kind.choices)
    text = models.CharField(_("条目"), max_length=300)
    text_en = models.CharField(_("英文条目"), max_length=400, blank=True)
    # Bounded explicitly, so that the API schema does not depend on the database's integer range.
    order = models.PositiveSmallIntegerField(_("排序"), default=0, validators=[MaxValueValidator(1000)])
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("政商交往清单条目")
        verbose_name_plural = _("政商交往清单条目")
        ordering = ["kind", "order", "code"]

    def __str__(self):
        return self.display_text

    @property
    def display_text(self) -> str:
        from django.utils.translation import get_language

        if self.text_en and (get_language() or "").startswith("en"):
            return self.text_en
        return self.text


class InteractionQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Supervisors, leaders and administrators read every record; an official their own, a department's
        head their department's; an enterprise's people the records of visits to it."""
        if user is None or not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self.all()
        mine = Q(official=user)
        if "department_head" in _roles(user) and user.department_id:
            mine |= Q(department_id=user.department_id)
        if user.enterprise_id and not is_civil_servant(user):
            mine |= Q(enterprise_id=user.enterprise_id)
        return self.filter(mine)

    def flagged(self):
        return self.filter(Q(late=True) | Q(forbidden=True))


class Interaction(models.Model):
    class Kind(models.TextChoices):
        VISIT = "visit", _("走访企业")
        MEETING = "meeting", _("座谈会议")
        EVENT = "event", _("活动")
        INSPECTION = "inspection", _("调研检查")
        SERVICE = "service", _("上门服务")
        OTHER = "other", _("其他")

    class Response(models.TextChoices):
        PENDING = "pending", _("待企业确认")
        CONFIRMED = "confirmed", _("企业已确认")
        DISPUTED = "disputed", _("企业有异议")

    number = models.CharField(_("登记编号"), max_length=20, unique=True)
    official = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("所在部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("交往方式"), max_length=12, choices=Kind.choices)
    occurred_on = models.DateField(_("交往日期"))
    place = models.CharField(_("地点"), max_length=200)
    purpose = models.TextField(_("事由"), max_length=2000)
    items = models.ManyToManyField(ListItem, verbose_name=_("对应清单条目"), related_name="+")
    officials_present = models.CharField(_("参加的公职人员"), max_length=500)
    enterprise_attendees = models.CharField(_("企业参加人员"), max_length=500, blank=True)
    outcome = models.TextField(_("结果"), max_length=2000, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), default=clock.now)
    due_on = models.DateField(_("应登记日期"), help_text=_("交往后规定工作日数的最后一天"))
    late = models.BooleanField(_("逾期登记"), default=False)
    forbidden = models.BooleanField(_("涉及负面清单"), default=False)
    # The service event (对话会, 宣讲会, 对接会 …) this record is the register's entry of, where there is one:
    # an event's meeting with each enterprise enters the register through `record_interaction` like any
    # other, once per enterprise.
    service_event = models.ForeignKey(
        "ServiceEvent",
        verbose_name=_("服务活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    response = models.CharField(
        _("企业确认"), max_length=10, choices=Response.choices, default=Response.PENDING
    )
    response_note = models.TextField(_("企业意见"), max_length=2000, blank=True)
    responded_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InteractionQuerySet.as_manager()

    class Meta:
        verbose_name = _("政商交往登记")
        verbose_name_plural = _("政商交往登记")
        permissions = [
            ("record_interaction", _("登记政商交往")),
            ("respond_interaction", _("确认或反馈本企业的交往登记")),
            ("supervise_interaction", _("对交往登记提出监督意见")),
        ]
        indexes = [
            models.Index(fields=["-occurred_on", "-id"], name="interaction_recent_idx"),
            models.Index(fields=["official", "-occurred_on"], name="interaction_official_idx"),
            models.Index(fields=["department", "-occurred_on"], name="interaction_department_idx"),
            models.Index(fields=["enterprise", "-occurred_on"], name="interaction_enterprise_idx"),
            models.Index(
                fields=["-occurred_on", "-id"],
                name="interaction_flagged_idx",
                condition=Q(late=True) | Q(forbidden=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["service_event", "enterprise"],
                condition=Q(service_event__isnull=False),
                name="interaction_one_per_event_enterprise",
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def flagged(self) -> bool:
        return self.late or self.forbidden


class Finding(models.Model):
    """What a supervisor found on a record: a note, a concern to look into, or that the matter is cleared."""

    class Kind(models.TextChoices):
        NOTE = "note", _("备注")
        CONCERN = "concern", _("需核查")
        CLEARED = "cleared", _("已核查无问题")

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="findings")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("监督人员"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("意见类别"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("监督意见"), max_length=4000)
    written_at = models.DateTimeField(_("时间"), default=clock.now)

    class Meta:
        verbose_name = _("监督意见")
        verbose_name_plural = _("监督意见")
        indexes = [models.Index(fields=["interaction", "written_at"], name="finding_interaction_idx")]

    def __str__(self):
        return f"{self.interaction} {self.kind}"


# --- service events for enterprises (惠企服务活动) -------------------------------------------------------------

VIEW_EVENTS = "interactions.view_serviceevent"


def _reads_events_as_staff(user) -> bool:
    return is_civil_servant(user) and user.has_perm(VIEW_EVENTS)


class ServiceEventQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Civil servants who read the events (`view_serviceevent`) read them all; an enterprise's people the
        events their enterprise takes part in."""
        if user is None or not user.is_authenticated:
            return self.none()
        if _reads_events_as_staff(user):
            return self.all()
        if user.enterprise_id and user.has_perm(VIEW_EVENTS):
            return self.filter(
                Exists(
                    EventParticipant.objects.filter(event_id=OuterRef("pk"), enterprise_id=user.enterprise_id)
                )
            )
        return self.none()


class ServiceEvent(models.Model):
    """A service event the zone holds for enterprises: a scientist–entrepreneur–escort dialogue (科学家·创业者·
    陪跑人交流对话会), a policy briefing (政策宣讲), a matchmaking meeting (对接会), a group's door-to-door visit
    (组团上门服务). Its participants, the demands enterprises raise there (each a closed-loop problem of source
    企业诉求, `EventDemand`) and its outcome belong to it; the figures of its demands (raised, closed, open,
    overdue) are read from those problems, never stored here.

    States (`service_events.services.TRANSITIONS`): scheduled → held when its outcome is recorded (recorded
    again while held, to amend it); scheduled → cancelled."""

    class Kind(models.TextChoices):
        DIALOGUE = "dialogue", _("交流对话会")
        POLICY_BRIEFING = "policy_briefing", _("政策宣讲会")
        MATCHMAKING = "matchmaking", _("对接会")
        GROUP_VISIT = "group_visit", _("组团上门服务")
        OTHER = "other", _("其他活动")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("已安排")
        HELD = "held", _("已举办")
        CANCELLED = "cancelled", _("已取消")

    number = models.CharField(_("活动编号"), max_length=20, unique=True)
    kind = models.CharField(_("活动类型"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("活动名称"), max_length=120)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    place = models.CharField(_("地点"), max_length=200)
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("组织部门"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("活动内容"), max_length=4000, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), default=clock.now)
    # The outcome (活动成果): what came of it, and the agreements and follow-ups (one per line).
    summary = models.TextField(_("活动成果"), max_length=4000, blank=True)
    agreements = models.TextField(
        _("达成的意向和后续事项"), max_length=4000, blank=True, help_text=_("每行一项")
    )
    outcome_recorded_at = models.DateTimeField(_("成果记录时间"), null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("成果记录人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cancel_reason = models.TextField(_("取消原因"), max_length=2000, blank=True)

    objects = ServiceEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务活动")
        verbose_name_plural = _("服务活动")
        ordering = ["-starts_at", "-id"]
        permissions = [("hold_serviceevent", _("组织服务活动"))]
        indexes = [
            models.Index(fields=["-starts_at", "-id"], name="service_event_recent_idx"),
            models.Index(fields=["department", "-starts_at"], name="service_event_department_idx"),
            models.Index(fields=["kind", "-starts_at"], name="service_event_kind_idx"),
            models.Index(fields=["status", "starts_at"], name="service_event_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="service_event_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_status_display(self):
        return label_of(self.Status, self.status)

    def get_kind_display(self):
        return label_of(self.Kind, self.kind)

    @property
    def agreement_lines(self) -> list[str]:
        return [line.strip() for line in self.agreements.splitlines() if line.strip()]


class EventParticipant(models.Model):
    """Who took part: an enterprise with its representatives, a scientist or expert (by name and institution,
    no account), or one of the zone's escort staff (陪跑人, a user)."""

    class Role(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        EXPERT = "expert", _("科学家/专家")
        ESCORT = "escort", _("陪跑人员")

    event = models.ForeignKey(ServiceEvent, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(_("身份"), max_length=12, choices=Role.choices)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    representatives = models.CharField(_("企业参加人员"), max_length=300, blank=True)
    name = models.CharField(_("姓名"), max_length=60, blank=True)
    institution = models.CharField(_("单位"), max_length=120, blank=True)
    title = models.CharField(_("职务或职称"), max_length=60, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("工作人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("添加人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    added_at = models.DateTimeField(_("添加时间"), default=clock.now)

    class Meta:
        verbose_name = _("活动参加者")
        verbose_name_plural = _("活动参加者")
        ordering = ["role", "id"]
        constraints = [
            # One row per enterprise and per staff member; also the index of "the events it took part in".
            models.UniqueConstraint(
                fields=["enterprise", "event"],
                condition=Q(enterprise__isnull=False),
                name="event_participant_enterprise_once",
            ),
            models.UniqueConstraint(
                fields=["user", "event"], condition=Q(user__isnull=False), name="event_participant_user_once"
            ),
            models.CheckConstraint(
                condition=(
                    Q(role="enterprise", enterprise__isnull=False, user__isnull=True)
                    | Q(role="expert", enterprise__isnull=True, user__isnull=True)
                    | Q(role="escort", enterprise__isnull=True, user__isnull=False)
                ),
                name="event_participant_role_fields",
            ),
        ]

    def __str__(self):
        return f"{self.event_id} {self.display_name}"

    def get_role_display(self):
        return label_of(self.Role, self.role)

    @property
    def display_name(self) -> str:
        if self.role == self.Role.ENTERPRISE:
            return self.enterprise.name if self.enterprise_id else ""
        if self.role == self.Role.ESCORT:
            return str(self.user) if self.user_id else ""
        return self.name


class EventDemandQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """The staff who read the events read every demand raised at them; an enterprise its own."""
        if user is None or not user.is_authenticated:
            return self.none()
        if _reads_events_as_staff(user):
            return self.all()
        if user.enterprise_id and user.has_perm(VIEW_EVENTS):
            return self.filter(enterprise_id=user.enterprise_id)
        return self.none()


class EventDemand(models.Model):
    """A demand an enterprise raised at the event: a closed-loop problem of source 企业诉求, opened through
    `problems.services` with the enterprise; its state, deadline and closing are the problem's."""

    event = models.ForeignKey(ServiceEvent, on_delete=models.CASCADE, related_name="demands")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("企业"), on_delete=models.PROTECT, related_name="+"
    )
    problem = models.OneToOneField(
        "problems.Problem", verbose_name=_("问题"), on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(_("提出时间"), default=clock.now)

    objects = EventDemandQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动诉求")
        verbose_name_plural = _("活动诉求")
        ordering = ["raised_at", "id"]
        indexes = [
            models.Index(fields=["event", "raised_at"], name="event_demand_event_idx"),
            models.Index(fields=["enterprise", "-raised_at"], name="event_demand_enterprise_idx"),
        ]

    def __str__(self):
        return f"{self.event_id} {self.problem_id}"
