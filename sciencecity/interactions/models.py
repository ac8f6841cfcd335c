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
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.scoping import ScopedQuerySet, _roles, is_civil_servant, sees_everything
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
