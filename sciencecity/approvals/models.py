"""Bundled approval (一件事一次办): applications, their materials, intake, review tasks, certificates, delivery,
ratings, and the kinds of notification they send (the notifications themselves are `sciencecity.notifications`).

Rows here change only through the functions of `sciencecity.approvals.services` (ARCHITECTURE.md rule 1);
their states move only along the tables of `sciencecity.approvals.transitions` (rule 2). Deadlines are
computed once from the working-day calendar and stored (rule 4), so "overdue" is an indexed filter.
"""

import hashlib
import secrets

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from sciencecity.accounts.scoping import ScopedQuerySet, sees_everything
from sciencecity.choices import label_of
from sciencecity.i18n import in_language
from sciencecity.workdays import clock


def _roles(user) -> frozenset[str]:
    return user.role_codes() if user.is_authenticated else frozenset()


class ApplicationQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Applicants see their enterprise's applications; the window and leaders all; a department the
        applications in which it has a review task."""
        if not user.is_authenticated:
            return self.none()
        roles = _roles(user)
        if sees_everything(user) or "window_clerk" in roles:
            return self.all()
        scope = Q(pk__in=[])
        if user.enterprise_id and "applicant" in roles:
            scope |= Q(enterprise_id=user.enterprise_id)
        if "project_specialist" in roles:
            scope |= Q(prepared_by=user)  # the drafts they prepared by help-and-do, and what became of them
        if user.department_id and roles & {"department_reviewer", "department_head"}:
            scope |= Q(
                pk__in=ReviewTask.objects.filter(department_id=user.department_id).values("application_id")
            )
        return self.filter(scope)


class Application(models.Model):
    """办件: one enterprise's application for one bundle (一件事) of one project."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("待受理")
        CORRECTION = "correction", _("待补正")
        IN_REVIEW = "in_review", _("审批中")
        CONCLUDED = "concluded", _("已办结")
        DELIVERED = "delivered", _("已出件")
        REFUSED = "refused", _("不予受理")
        WITHDRAWN = "withdrawn", _("已撤回")
        CANCELLED = "cancelled", _("已作废")

    OPEN_STATUSES = (Status.SUBMITTED, Status.CORRECTION, Status.IN_REVIEW)

    number = models.CharField(_("办件编号"), max_length=32, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("申请企业"),
        on_delete=models.PROTECT,
        related_name="applications",
        db_index=False,  # application_enterprise_idx
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="applications"
    )
    bundle = models.ForeignKey(
        "catalog.Bundle",
        verbose_name=_("一件事"),
        on_delete=models.PROTECT,
        related_name="applications",
        help_text=_("所依据的已发布目录版本中的一件事"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    # Help-and-do (帮办代办): the escort specialist who prepared the draft with the enterprise's consent. The
    # applicant is still the enterprise's person who consented; only the enterprise submits.
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("代办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prepared_applications",
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(_("情形回答"), default=dict, blank=True)
    form_data = models.JSONField(_("表单内容"), default=dict, blank=True)
    creation_key = models.CharField(_("创建幂等键"), max_length=80, blank=True)
    submission_key = models.CharField(_("提交幂等键"), max_length=80, blank=True)
    submission_count = models.PositiveSmallIntegerField(_("提交次数"), default=0)

    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    concluded_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("出件时间"), null=True, blank=True)
    closed_reason = models.TextField(_("不予受理/撤回/作废原因"), blank=True)

    intake_deadline = models.DateField(_("受理期限"), null=True, blank=True)
    promised_deadline = models.DateField(_("承诺办结期限"), null=True, blank=True)
    # A deadline counted over a year whose official schedule is not published yet (workdays.calendar).
    intake_deadline_provisional = models.BooleanField(_("受理期限为暂定"), default=False)
    promised_deadline_provisional = models.BooleanField(_("承诺办结期限为暂定"), default=False)
    # The day the results are delivered on, for a bundle that asks for one (交地即领证: the land handover day,
    # `Bundle.target_date_label`): named by the applicant, moved by the window (`services.target_dates`).
    target_date = models.DateField(_("目标交付日期"), null=True, blank=True)
    # Stored when the application concludes (rule 4), so the leaders' overview aggregates stored values:
    # working days from the (last) submission to the conclusion, paused days not counted
    # (`services.elapsed`). Empty until concluded, or while the calendar does not know the year.
    working_days_elapsed = models.PositiveIntegerField(
        _("办结用时(工作日)"), null=True, blank=True, editable=False
    )
    # The notifications about this application (not those about its tasks): deleted with it, and reachable
    # from a notification query as `application` (Notification.objects.filter(application=...)).
    notifications = GenericRelation(
        "notifications.Notification",
        content_type_field="about_type",
        object_id_field="about_id",
        related_query_name="application",
    )

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("办件")
        verbose_name_plural = pgettext_lazy("plural", "办件")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("submit_application", _("可以提交、补正、撤回本企业的办件")),
            ("intake_application", _("可以受理办件(综合窗口)")),
            ("deliver_application", _("可以统一出件")),
            ("cancel_application", _("可以作废办件")),
            ("rate_application", _("可以评价办件")),
            ("prepare_application", _("可以经企业授权帮办代办(代为准备申请)")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "creation_key"],
                condition=~Q(creation_key=""),
                name="application_creation_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "-created_at", "-id"], name="application_enterprise_idx"),
            models.Index(fields=["status", "intake_deadline"], name="application_intake_queue_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="application_status_idx"),
            # The leaders' list of all applications, newest first (make bench: 1M applications).
            models.Index(fields=["-created_at", "-id"], name="application_created_idx"),
            models.Index(fields=["bundle", "status"], name="application_bundle_idx"),
            # The window's delivery queue, the longest waiting first: its first page without reading and
            # sorting every concluded application (the load test saw it grow with them).
            models.Index(
                fields=["concluded_at", "id"],
                name="application_delivery_idx",
                condition=Q(status="concluded"),
            ),
            # The cockpit's applications submitted in a period (make bench: a month of 1M applications).
            models.Index(
                fields=["submitted_at"],
                name="application_submitted_idx",
                condition=Q(submitted_at__isnull=False),
            ),
            # Applications with a target date not yet delivered, by that date: the few the at-risk list and
            # the handover list read (`target_dates`), whatever the number of applications.
            models.Index(
                fields=["target_date", "id"],
                name="application_target_idx",
                condition=Q(target_date__isnull=False)
                & Q(status__in=["submitted", "correction", "in_review", "concluded"]),
            ),
            # The recount of provisional deadlines after a year is confirmed reads only these few rows.
            models.Index(
                fields=["id"],
                name="application_provisional_idx",
                condition=Q(intake_deadline_provisional=True) | Q(promised_deadline_provisional=True),
            ),
            # The overview's working days elapsed: one index-only scan of the window's concluded rows.
            models.Index(
                fields=["concluded_at"],
                include=["bundle", "status", "submitted_at", "working_days_elapsed"],
                condition=Q(concluded_at__isnull=False),
                name="application_concluded_idx",
            ),
        ]

    def __str__(self):
        return self.number

    def get_status_display(self):
        return label_of(self.Status, self.status)  # the lists show it on every row: `sciencecity.choices`


class ApplicationItem(models.Model):
    """An item of the bundle that this application applies for (mandatory, or selected by the answers)."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("办理中")
        APPROVED = "approved", _("准予许可")
        APPROVED_ON_PLEDGE = "approved_pledge", _("告知承诺准予许可")
        REJECTED = "rejected", _("不予许可")
        NOT_STARTED = "not_started", _("前置事项未通过,未办理")
        CANCELLED = "cancelled", _("已终止")

    application = models.ForeignKey(
        Application, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="items"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("办理结果"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)

    class Meta:
        verbose_name = _("办件事项")
        verbose_name_plural = pgettext_lazy("plural", "办件事项")
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="application_item_unique")
        ]

    def __str__(self):
        return f"{self.application.number} · {self.item.code}"

    def get_status_display(self):
        return label_of(self.Status, self.status)  # the lists show it on every row: `sciencecity.choices`


# The notes the platform writes on materials, stored untranslated (the stored text does not depend on the
# language of whoever acted) and shown by `SubmittedMaterial.shown_note`.
HELD_NOTE = gettext_noop("平台已有信息,免于提交")
TOLERATED_NOTE = gettext_noop("容缺受理,须于 %(date)s 前补交")


class SubmittedMaterial(models.Model):
    """One material of an application as the applicant provided it (a file, data the platform holds, an
    earlier certificate, or a pledge), with the window's verdict. A re-upload during correction adds a new
    row and retires the old one, so the history of what was handed in is kept."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("上传")
        ENTERPRISE = "enterprise", _("企业信息")
        PROJECT = "project", _("项目信息")
        CERTIFICATE = "certificate", _("已有证照")
        PLEDGE = "pledge", _("承诺代替")

    class Verdict(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACCEPTED = "accepted", _("符合要求")
        REJECTED = "rejected", _("需补正")
        TOLERATED = "tolerated", _("容缺待补")

    application = models.ForeignKey(
        Application, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="materials"
    )
    spec = models.ForeignKey(
        "catalog.MaterialSpec", verbose_name=_("材料"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.UPLOAD)
    file = models.FileField(_("文件"), upload_to="materials/%Y/%m/", blank=True)
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("大小(字节)"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    certificate = models.ForeignKey(
        "approvals.Certificate",
        verbose_name=_("复用的证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data_value = models.CharField(_("取用的数据"), max_length=300, blank=True)
    is_current = models.BooleanField(_("当前有效"), default=True)
    verdict = models.CharField(_("审核意见"), max_length=20, choices=Verdict.choices, default=Verdict.PENDING)
    verdict_note = models.CharField(_("审核说明"), max_length=500, blank=True)
    gap_due_date = models.DateField(_("容缺补交期限"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("提交时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = pgettext_lazy("plural", "申请材料")
        ordering = ["application", "spec__code", "-uploaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "spec"],
                condition=Q(is_current=True),
                name="one_current_material_per_spec",
            ),
        ]
        indexes = [
            models.Index(
                fields=["verdict", "gap_due_date"], name="material_gap_idx", condition=Q(verdict="tolerated")
            ),
            # The window's gaps to follow up, by due date: the few current gaps not yet accepted, whatever the
            # number of materials (the load test saw the page scan them all).
            models.Index(
                fields=["gap_due_date", "id"],
                name="material_open_gap_idx",
                condition=Q(is_current=True, gap_due_date__isnull=False) & ~Q(verdict="accepted"),
            ),
        ]

    def __str__(self):
        return f"{self.application.number} · {self.spec.code}"

    @property
    def preview_kind(self) -> str:
        """How a page shows the file in place: "pdf" (a frame), "image", or "" (a link only)."""
        if not self.file:
            return ""
        content_type = self.content_type or ""
        if content_type == "application/pdf" or (self.original_name or "").lower().endswith(".pdf"):
            return "pdf"
        return "image" if content_type.startswith("image/") else ""

    @property
    def shown_note(self) -> str:
        """The verdict note in the reader's language. The notes the platform writes itself are stored as
        their Chinese message ids (`HELD_NOTE`, `TOLERATED_NOTE`) and translated here; a clerk's own words
        have no translation and are shown as written."""
        if self.verdict == self.Verdict.TOLERATED and self.gap_due_date:
            return gettext(TOLERATED_NOTE) % {"date": self.gap_due_date.isoformat()}
        return gettext(self.verdict_note) if self.verdict_note else ""


class CorrectionNotice(models.Model):
    """补正告知: every problem of an application, listed once."""

    application = models.ForeignKey(
        Application, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="correction_notices"
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("告知人"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("告知时间"), default=clock.now, editable=False)
    problems = models.JSONField(_("问题清单"), help_text=_('[{"material": 编码或空, "problem": 说明}]'))
    note = models.TextField(_("补充说明"), blank=True)
    answered_at = models.DateTimeField(_("补正提交时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("补正告知")
        verbose_name_plural = pgettext_lazy("plural", "补正告知")
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.application.number} · {self.issued_at:%Y-%m-%d}"


class ReviewTaskQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Reviewers and heads see their department's tasks; applicants their enterprise's; leaders and the
        window all."""
        if not user.is_authenticated:
            return self.none()
        roles = _roles(user)
        if sees_everything(user) or "window_clerk" in roles:
            return self.all()
        scope = Q(pk__in=[])
        if user.department_id and roles & {"department_reviewer", "department_head"}:
            scope |= Q(department_id=user.department_id)
        if user.enterprise_id and "applicant" in roles:
            scope |= Q(application__enterprise_id=user.enterprise_id)
        return self.filter(scope)

    def open(self):
        return self.filter(status__in=ReviewTask.OPEN_STATUSES)


class ReviewTask(models.Model):
    """分类审批: one item of an application, reviewed by the item's department against stored deadlines."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("等待前置事项")
        PENDING = "pending", _("待认领")
        IN_REVIEW = "in_review", _("审查中")
        SUPPLEMENT = "supplement", _("待补充材料")
        APPROVED = "approved", _("准予许可")
        APPROVED_ON_PLEDGE = "approved_pledge", _("告知承诺准予许可")
        REJECTED = "rejected", _("不予许可")
        NOT_STARTED = "not_started", _("前置事项未通过")
        CANCELLED = "cancelled", _("已终止")

    OPEN_STATUSES = (Status.WAITING, Status.PENDING, Status.IN_REVIEW, Status.SUPPLEMENT)
    RUNNING_STATUSES = (Status.PENDING, Status.IN_REVIEW, Status.SUPPLEMENT)
    DECIDED_STATUSES = (Status.APPROVED, Status.APPROVED_ON_PLEDGE, Status.REJECTED)

    class Warning(models.IntegerChoices):
        NONE = 0, _("正常")
        YELLOW = 1, _("临期预警")
        RED = 2, _("已超期")
        ESCALATED = 3, _("已督办")

    application = models.ForeignKey(
        Application, verbose_name=_("办件"), on_delete=models.CASCADE, related_name="tasks"
    )
    application_item = models.OneToOneField(
        ApplicationItem, verbose_name=_("办件事项"), on_delete=models.CASCADE, related_name="task"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("事项"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name=_("审批部门"),
        on_delete=models.PROTECT,
        related_name="review_tasks",
        db_index=False,  # task_worklist_idx
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.WAITING)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_tasks",
    )
    depends_on = models.ManyToManyField(
        "self", verbose_name=_("前置任务"), symmetrical=False, related_name="dependents", blank=True
    )
    started_on = models.DateField(_("起算日"), null=True, blank=True)
    promised_deadline = models.DateField(_("承诺期限"), null=True, blank=True)
    legal_deadline = models.DateField(_("法定期限"), null=True, blank=True)
    promised_deadline_provisional = models.BooleanField(_("承诺期限为暂定"), default=False)
    legal_deadline_provisional = models.BooleanField(_("法定期限为暂定"), default=False)
    extension_days = models.PositiveSmallIntegerField(_("延长工作日"), default=0)
    warning_level = models.PositiveSmallIntegerField(
        _("预警级别"), choices=Warning.choices, default=Warning.NONE
    )
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("决定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decision_reason = models.TextField(_("决定理由"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    # The notifications about this task: deleted with it, reachable as `task` from a notification query.
    notifications = GenericRelation(
        "notifications.Notification",
        content_type_field="about_type",
        object_id_field="about_id",
        related_query_name="task",
    )

    objects = ReviewTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("审批任务")
        verbose_name_plural = pgettext_lazy("plural", "审批任务")
        ordering = ["promised_deadline", "id"]
        permissions = [
            ("review_task", _("可以认领并审查本部门的审批任务")),
            ("manage_department_tasks", _("可以改派本部门任务、延长期限")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["application", "item"], name="task_item_unique_in_application"),
        ]
        indexes = [
            # The department worklist: open tasks of a department by deadline.
            models.Index(fields=["department", "status", "promised_deadline"], name="task_worklist_idx"),
            # The worklist's first page in its order (deadline, nulls last, then id) without sorting every
            # open task of the department: only open tasks, so it stays small however long the history.
            models.Index(
                fields=["department", "promised_deadline", "id"],
                name="task_open_worklist_idx",
                condition=Q(status__in=["waiting", "pending", "in_review", "supplement"]),
                # The overview's open, overdue and escalated tasks by department read the index alone.
                include=["status", "warning_level"],
            ),
            models.Index(fields=["assignee", "status", "promised_deadline"], name="task_assignee_idx"),
            # The recount of provisional deadlines after a year is confirmed reads only these few rows.
            models.Index(
                fields=["id"],
                name="task_provisional_idx",
                condition=Q(promised_deadline_provisional=True) | Q(legal_deadline_provisional=True),
            ),
            # Deadline scans and the leaders' overdue list read only open tasks.
            models.Index(
                fields=["promised_deadline"],
                name="task_open_deadline_idx",
                condition=Q(status__in=["pending", "in_review", "supplement"]),
            ),
            # The devolved powers' usage (`power_usage`): the tasks started in a period, by item, read from
            # the index alone on PostgreSQL.
            models.Index(
                fields=["started_on", "item"],
                name="task_started_idx",
                condition=Q(started_on__isnull=False),
                include=["application", "status", "decided_at", "legal_deadline", "promised_deadline"],
            ),
        ]

    def __str__(self):
        return f"{self.application.number} · {self.item.code}"

    def get_status_display(self):
        return label_of(self.Status, self.status)  # the lists show it on every row: `sciencecity.choices`

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TaskPause(models.Model):
    """Days a task's clock stood still (a supplement request awaiting the applicant, expert review)."""

    task = models.ForeignKey(
        ReviewTask, verbose_name=_("审批任务"), on_delete=models.CASCADE, related_name="pauses"
    )
    reason = models.CharField(_("原因"), max_length=300)
    started_on = models.DateField(_("开始日"))
    ended_on = models.DateField(_("结束日"), null=True, blank=True, help_text=_("为空表示仍在暂停"))

    class Meta:
        verbose_name = _("计时暂停")
        verbose_name_plural = pgettext_lazy("plural", "计时暂停")
        ordering = ["task", "started_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=Q(ended_on__isnull=True), name="one_open_pause_per_task"
            ),
        ]

    def __str__(self):
        return f"{self.task} {self.started_on}–{self.ended_on or '…'}"


class TaskEvent(models.Model):
    """What happened on a task that people read as its history: opinions, site inspections, supplement
    requests and answers, extensions, reassignments. State changes are in the audit trail as well."""

    class Kind(models.TextChoices):
        OPINION = "opinion", _("审查意见")
        INSPECTION = "inspection", _("现场勘查")
        SUPPLEMENT_REQUEST = "supplement_request", _("补充材料要求")
        SUPPLEMENT_ANSWER = "supplement_answer", _("补充材料答复")
        EXTENSION = "extension", _("延长期限")
        REASSIGNMENT = "reassignment", _("改派")

    task = models.ForeignKey(
        ReviewTask, verbose_name=_("审批任务"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("内容"))
    data = models.JSONField(_("附加信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("任务记录")
        verbose_name_plural = pgettext_lazy("plural", "任务记录")
        ordering = ["task", "created_at", "id"]

    def __str__(self):
        return f"{self.task} {self.get_kind_display()}"


def _verification_code() -> str:
    # 128 bits from the OS's CSPRNG: a certificate's public page cannot be found by guessing.
    return secrets.token_urlsafe(16)


# The short check code printed beside a certificate's number, for a person to read out or type: 8 symbols of
# an alphabet with nothing that reads as another (no 0/O, 1/I/L), 40 bits derived from the verification code.
CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CHECK_LENGTH = 8


def check_code_of(verification_code: str) -> str:
    """The certificate's check code, "ABCD-EFGH" (about 2^39 values: with the number, not to be guessed)."""
    value = int.from_bytes(hashlib.sha256(verification_code.encode()).digest()[:8], "big")
    symbols = []
    for _position in range(CHECK_LENGTH):
        value, index = divmod(value, len(CHECK_ALPHABET))
        symbols.append(CHECK_ALPHABET[index])
    return "".join(symbols[:4]) + "-" + "".join(symbols[4:])


class CertificateQuerySet(ScopedQuerySet):
    def for_user(self, user):
        if not user.is_authenticated:
            return self.none()
        roles = _roles(user)
        if sees_everything(user) or "window_clerk" in roles:
            return self.all()
        scope = Q(pk__in=[])
        if user.enterprise_id and "applicant" in roles:
            # 窗口统一出件: the window hands the results of an application out together; until then the
            # applicant follows each item's decision, not its documents.
            scope |= Q(enterprise_id=user.enterprise_id, application__status=Application.Status.DELIVERED)
        if user.department_id and roles & {"department_reviewer", "department_head"}:
            # Its own, and those of the projects it reviews: a task needs the certificates the platform holds
            # for the project (a prerequisite's, issued in the same application or reused from an earlier one).
            reviewed = ReviewTask.objects.filter(department_id=user.department_id).values(
                "application__project_id"
            )
            scope |= Q(department_id=user.department_id) | Q(project_id__in=reviewed)
        return self.filter(scope)

    def valid(self):
        return self.filter(status=Certificate.Status.VALID)


class Certificate(models.Model):
    """电子证照: the result of an approved item, verifiable by anyone through its unguessable code."""

    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        REVOKED = "revoked", _("已撤销")

    class Kind(models.TextChoices):
        ITEM = "item", _("事项证照")
        # 一业一证: issued at unified delivery for the whole application, listing the permits it stands for.
        INDUSTRY_LICENCE = "industry_licence", _("行业综合许可证")

    number = models.CharField(_("证照编号"), max_length=40, unique=True)
    certificate_code = models.SlugField(_("证照类型编码"), max_length=60)
    kind = models.CharField(_("证照种类"), max_length=20, choices=Kind.choices, default=Kind.ITEM)
    name = models.CharField(_("证照名称"), max_length=200)
    # The English name of a certificate that no item names (an industry licence: its bundle's), taken at issue.
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    application = models.ForeignKey(
        Application, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="certificates"
    )
    task = models.OneToOneField(
        ReviewTask,
        verbose_name=_("审批任务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificate",
        help_text=_("事项证照所属的审批任务;行业综合许可证为空"),
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("持证企业"),
        on_delete=models.PROTECT,
        related_name="certificates",
        db_index=False,  # certificate_reuse_idx
    )
    project = models.ForeignKey(
        "projects.Project", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="certificates"
    )
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("发证部门"), on_delete=models.PROTECT, related_name="+"
    )
    on_pledge = models.BooleanField(_("告知承诺方式取得"), default=False)
    issued_at = models.DateTimeField(_("发证时间"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.VALID)
    verification_code = models.CharField(
        _("核验码"), max_length=32, unique=True, default=_verification_code, editable=False
    )
    pdf = models.FileField(_("证照文件"), upload_to="certificates/%Y/%m/", blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("电子证照")
        verbose_name_plural = pgettext_lazy("plural", "电子证照")
        ordering = ["-issued_at", "-id"]
        indexes = [
            # Reuse (免提交): a valid certificate of a type held by an enterprise for a project.
            models.Index(fields=["enterprise", "certificate_code", "status"], name="certificate_reuse_idx"),
        ]
        constraints = [
            # An item's certificate belongs to its approved task; an industry licence to the application.
            models.CheckConstraint(
                condition=(Q(kind="item") & Q(task__isnull=False))
                | (Q(kind="industry_licence") & Q(task__isnull=True)),
                name="certificate_task_by_kind",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(kind="industry_licence"),
                name="one_industry_licence_per_application",
            ),
        ]

    def __str__(self):
        return f"{self.name} {self.number}"

    @property
    def is_industry_licence(self) -> bool:
        return self.kind == self.Kind.INDUSTRY_LICENCE

    @property
    def display_name(self) -> str:
        """The name in the active language: the item's certificate name for an item's certificate (read through
        its task, select it), the stored names for an industry licence."""
        if self.task_id is not None:
            item = self.task.item
            english = item.certificate_name_en if item.certificate_name else item.name_en
            return in_language(self.name, english)
        return in_language(self.name, self.name_en)

    def get_status_display(self):
        return label_of(self.Status, self.status)  # the lists show it on every row: `sciencecity.choices`

    @property
    def check_code(self) -> str:
        return check_code_of(self.verification_code)


class LicencePermit(models.Model):
    """一业一证: a permit that an industry licence stands for — an item of its application that was granted, with
    the item's own certificate where the item issues one (that certificate stays valid and verifiable)."""

    licence = models.ForeignKey(
        Certificate, verbose_name=_("行业综合许可证"), on_delete=models.CASCADE, related_name="permits"
    )
    item = models.ForeignKey(
        "catalog.ServiceItem", verbose_name=_("许可事项"), on_delete=models.PROTECT, related_name="+"
    )
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("事项证照"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="licence_entries",
    )
    on_pledge = models.BooleanField(_("告知承诺方式取得"), default=False)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("行业综合许可证载明的许可")
        verbose_name_plural = pgettext_lazy("plural", "行业综合许可证载明的许可")
        ordering = ["licence", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["licence", "item"], name="licence_permit_unique")]

    def __str__(self):
        return f"{self.licence.number} · {self.item.code}"


class Delivery(models.Model):
    """统一出件: the window hands over all results of an application at once."""

    class Method(models.TextChoices):
        ELECTRONIC = "electronic", _("电子送达")
        POST = "post", _("邮寄")
        WINDOW = "window", _("窗口领取")

    application = models.OneToOneField(
        Application, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="delivery"
    )
    method = models.CharField(_("出件方式"), max_length=20, choices=Method.choices)
    recipient = models.CharField(_("领取人/收件人"), max_length=100, blank=True)
    address = models.CharField(_("邮寄地址"), max_length=300, blank=True)
    tracking_number = models.CharField(_("快递单号"), max_length=60, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("出件人"), on_delete=models.PROTECT, related_name="+"
    )
    delivered_at = models.DateTimeField(_("出件时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("出件记录")
        verbose_name_plural = pgettext_lazy("plural", "出件记录")

    def __str__(self):
        return f"{self.application.number} {self.get_method_display()}"


class Rating(models.Model):
    """好差评: the applicant's rating of the whole service, once per application."""

    application = models.OneToOneField(
        Application, verbose_name=_("办件"), on_delete=models.PROTECT, related_name="rating"
    )
    score = models.PositiveSmallIntegerField(_("评分"), choices=[(n, str(n)) for n in range(1, 6)])
    comment = models.TextField(_("评价内容"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("评价人"), on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(_("评价时间"), default=clock.now, editable=False)

    class Meta:
        verbose_name = _("服务评价")
        verbose_name_plural = pgettext_lazy("plural", "服务评价")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5")
        ]

    def __str__(self):
        return f"{self.application.number} {self.score}"


class NotificationKind(models.TextChoices):
    """The kinds of notification the services send, each with the name its group has on the notifications page
    (`Notification.kind` stores the value; registered with `notifications.kinds` in `ApprovalsConfig.ready`).
    Ordered as the kind filter lists them: the applicant's, the window's, the departments', then the deadline
    warnings."""

    APPLICATION_PREPARED = "application_prepared", _("代办申请待确认")
    APPLICATION_SUBMITTED = "application_submitted", _("新办件待受理")
    APPLICATION_ACCEPTED = "application_accepted", _("办件已受理")
    CORRECTION_REQUESTED = "correction_requested", _("补正告知")
    APPLICATION_REFUSED = "application_refused", _("不予受理")
    APPLICATION_WITHDRAWN = "application_withdrawn", _("申请已撤回")
    APPLICATION_CANCELLED = "application_cancelled", _("办件已作废")
    GAP_SUPPLIED = "gap_supplied", _("容缺材料已补交")
    GAP_CLOSED = "gap_closed", _("容缺材料已补齐")
    GAP_REJECTED = "gap_rejected", _("补交材料需重交")
    TASK_RELEASED = "task_released", _("新审批任务待认领")
    TASK_ASSIGNED = "task_assigned", _("审批任务改派")
    TASK_DECIDED = "task_decided", _("审批决定")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("需补充材料")
    SUPPLEMENT_ANSWERED = "supplement_answered", _("已补充材料")
    DEADLINE_EXTENDED = "deadline_extended", _("期限延长")
    APPLICATION_CONCLUDED = "application_concluded", _("办件已办结")
    DELIVERED = "delivered", _("证照已送达")
    # Sent before a poor rating opened a problem (the problems' notices now): kept so that old rows keep
    # their names.
    RATING_FOLLOW_UP = "rating_follow_up", _("差评整改")
    RATING_FOLLOW_UP_CLOSED = "rating_follow_up_closed", _("差评整改反馈")
    CERTIFICATE_REVOKED = "certificate_revoked", _("证照撤销")
    INTAKE_DUE_SOON = "intake_due_soon", _("受理临期预警")
    INTAKE_OVERDUE = "intake_overdue", _("受理超期")
    TASK_DUE_SOON = "task_due_soon", _("审批临期预警")
    TASK_OVERDUE = "task_overdue", _("审批超期")
    TASK_ESCALATED = "task_escalated", _("超期督办")
    GAP_OVERDUE = "gap_overdue", _("容缺材料逾期")
    DEADLINE_RECOUNTED = "deadline_recounted", _("期限按正式日历调整")
    TARGET_DATE_CHANGED = "target_date_changed", _("目标交付日期调整")


class ApplicationCountSnapshot(models.Model):
    """The number of applications per bundle and status at one moment, counted by the background worker
    (`overview_tasks`) so that the leaders' overview does not count every application on each visit. The
    overview says "as of" and counts live when the newest snapshot is missing or stale
    (`dashboard.application_counts`). Only the newest few are kept."""

    taken_at = models.DateTimeField(_("统计时间"), db_index=True)
    counts = models.JSONField(_("办件数"), default=list)  # [[bundle id, status, count], ...]
    seconds = models.FloatField(_("统计用时(秒)"), default=0)

    class Meta:
        verbose_name = _("办件统计快照")
        verbose_name_plural = pgettext_lazy("plural", "办件统计快照")

    def __str__(self):
        return f"{self.taken_at:%Y-%m-%d %H:%M:%S}"
