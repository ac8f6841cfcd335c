"""Policies for enterprises (惠企政策, the "金凤凰" measures) as data: the measure's text and the fields of a
policy guide, its amount and budget, and its eligibility as condition rows (fact, operator, value) that officers
edit and that are stored and evaluated as JSONLogic (`services.conditions`); and each enterprise's stored
verdict for each policy (`PolicyMatch`), refreshed in the background (`services.matching`)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant, sees_everything
from sciencecity.workdays import clock


class PolicyQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Published policies are public to everyone signed in; drafts to the officers who keep them (their
        own department's; administrators every department's)."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.has_perm("policies.keep_any_policy"):
            return self.all()
        if user.has_perm("policies.change_policy") and user.department_id:
            return self.filter(models.Q(is_published=True) | models.Q(department_id=user.department_id))
        return self.filter(is_published=True)


class Policy(models.Model):
    class Area(models.TextChoices):
        TALENT = "talent", _("人才")
        INNOVATION = "innovation", _("创新")
        INDUSTRY = "industry", _("产业")
        FINANCE = "finance", _("金融")

    class Mode(models.TextChoices):
        ALL = "all", _("全部条件均满足")
        ANY = "any", _("满足任一条件")

    code = models.SlugField(_("政策编号"), max_length=40, unique=True)
    title = models.CharField(_("政策名称"), max_length=200)
    area = models.CharField(_("政策领域"), max_length=20, choices=Area.choices)
    text = models.TextField(_("政策原文"))
    beneficiaries = models.CharField(_("惠及对象"), max_length=300)
    requirements = models.TextField(_("申报条件"))
    amount = models.DecimalField(
        _("兑现金额(万元)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    amount_text = models.CharField(_("兑现标准"), max_length=300, blank=True)
    budget = models.DecimalField(
        _("政策预算(万元)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    valid_from = models.DateField(_("施行日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    department = models.ForeignKey(
        "accounts.Department", verbose_name=_("兑现部门"), on_delete=models.PROTECT, related_name="+"
    )
    time_limit_days = models.PositiveSmallIntegerField(
        _("兑现时限(工作日)"), default=20, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    address = models.CharField(_("受理地址"), max_length=300, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    mode = models.CharField(_("条件组合"), max_length=10, choices=Mode.choices, default=Mode.ALL)
    # 免申即享: an enterprise whose file shows it eligible only confirms a claim the platform fills in; without
    # it (or where the file lacks data) the enterprise applies with `materials` (快申快享).
    automatic = models.BooleanField(_("免申即享"), default=False)
    materials = models.JSONField(
        _("申报材料"), default=list, blank=True, help_text=_("每项材料:名称、接受的格式、大小上限(MB)。")
    )
    rule = models.JSONField(_("资格规则(JSONLogic)"), default=dict, blank=True)
    is_published = models.BooleanField(_("已发布"), default=False)
    # How many enterprises each verdict holds, kept by the matching (`services.matching`), so that lists of
    # policies show them without counting millions of verdicts.
    eligible_count = models.PositiveIntegerField(
        _("符合条件的企业"), default=0, validators=[MinValueValidator(0), MaxValueValidator(2**31 - 1)]
    )
    unknown_count = models.PositiveIntegerField(
        _("资料不全的企业"), default=0, validators=[MinValueValidator(0), MaxValueValidator(2**31 - 1)]
    )
    # The budget spent: approved claims' amounts (committed) and those paid, kept by the claims' services
    # under the policy's lock, so that no approval goes past the budget.
    committed = models.DecimalField(_("已核准金额(万元)"), max_digits=14, decimal_places=2, default=0)
    paid = models.DecimalField(_("已拨付金额(万元)"), max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("惠企政策")
        verbose_name_plural = pgettext_lazy("plural", "惠企政策")
        ordering = ["area", "code"]
        indexes = [models.Index(fields=["is_published", "area", "code"], name="policy_area_idx")]
        permissions = [
            ("keep_any_policy", _("编辑各部门的惠企政策")),
            ("serve_policy", _("为本部门政策推送企业、办理兑现")),
        ]

    def __str__(self):
        return self.title

    @property
    def remaining(self):
        """What the budget still allows (None: no budget set)."""
        return None if self.budget is None else self.budget - self.committed


class Condition(models.Model):
    """One row of a policy's eligibility: a fact of the enterprise file, an operator and a value."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="conditions")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)
    fact = models.CharField(_("条件项"), max_length=40)
    operator = models.CharField(_("比较"), max_length=10)
    value = models.JSONField(_("值"))

    class Meta:
        verbose_name = _("申报条件")
        verbose_name_plural = pgettext_lazy("plural", "申报条件")
        ordering = ["policy", "order", "id"]

    def __str__(self):
        return f"{self.fact} {self.operator} {self.value}"


class PolicyMatchQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """An enterprise reads its own verdicts; civil servants read every enterprise's."""
        if user is None or not user.is_authenticated:
            return self.none()
        if is_civil_servant(user):
            return self.all()
        if user.enterprise_id:
            return self.filter(enterprise_id=user.enterprise_id)
        return self.none()


class PolicyMatch(models.Model):
    """An enterprise's verdict for a policy, as last computed: eligible, not eligible (the conditions it
    fails) or unknown (the facts its file lacks)."""

    class Verdict(models.TextChoices):
        ELIGIBLE = "eligible", _("符合条件")
        INELIGIBLE = "ineligible", _("不符合条件")
        UNKNOWN = "unknown", _("资料不全")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="matches")
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="policy_matches"
    )
    verdict = models.CharField(_("结果"), max_length=20, choices=Verdict.choices)
    failed = models.JSONField(_("不满足的条件"), default=list, blank=True)
    missing = models.JSONField(_("缺少的资料"), default=list, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), default=clock.now)

    objects = PolicyMatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("政策匹配结果")
        verbose_name_plural = pgettext_lazy("plural", "政策匹配结果")
        ordering = ["policy", "enterprise"]
        constraints = [models.UniqueConstraint(fields=["policy", "enterprise"], name="policy_match_once")]
        indexes = [
            models.Index(fields=["policy", "verdict", "enterprise"], name="policy_match_verdict_idx"),
            models.Index(fields=["enterprise", "verdict"], name="policy_match_enterprise_idx"),
        ]

    def __str__(self):
        return f"{self.policy_id}/{self.enterprise_id}: {self.verdict}"


class PolicyNoticeQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Civil servants read who was told of which policy; an enterprise the notices it received."""
        if user is None or not user.is_authenticated:
            return self.none()
        if is_civil_servant(user):
            return self.all()
        if user.enterprise_id:
            return self.filter(enterprise_id=user.enterprise_id)
        return self.none()


class PolicyNotice(models.Model):
    """An enterprise told of a policy it qualifies for (政策找企业): once per policy and enterprise."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="notices")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    sent_by = models.ForeignKey(
        "accounts.User", verbose_name=_("推送人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("推送时间"), default=clock.now)

    objects = PolicyNoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("政策推送")
        verbose_name_plural = pgettext_lazy("plural", "政策推送")
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["policy", "enterprise"], name="policy_notice_once")]
        indexes = [models.Index(fields=["enterprise", "sent_at"], name="policy_notice_enterprise_idx")]

    def __str__(self):
        return f"{self.policy_id}→{self.enterprise_id}"


class ClaimQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """An enterprise reads its own claims; the paying department its policies' claims; leaders,
        supervisors and administrators every claim."""
        if user is None or not user.is_authenticated:
            return self.none()
        if sees_everything(user):
            return self.all()
        if user.enterprise_id and not is_civil_servant(user):
            return self.filter(enterprise_id=user.enterprise_id)
        if user.department_id and user.has_perm("policies.serve_policy"):
            return self.filter(policy__department_id=user.department_id)
        return self.none()


class Claim(models.Model):
    """A claim to be paid under a policy (兑现) for one period (a year): pre-filled and only confirmed where
    the file shows the enterprise eligible and the policy pays without application (免申即享), else applied
    for with materials (快申快享); reviewed by the paying department within the policy's working-day limit;
    approved against the budget, paid, or refused with a reason. Its states are `services.claims.TRANSITIONS`.
    A policy pays an enterprise at most once per period: the database refuses a second live claim."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("待企业确认")
        DRAFT = "draft", _("填报中")
        SUBMITTED = "submitted", _("待审核")
        APPROVED = "approved", _("已核准")
        PAID = "paid", _("已拨付")
        REFUSED = "refused", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Route(models.TextChoices):
        AUTOMATIC = "automatic", _("免申即享")
        APPLY = "apply", _("快申快享")

    ENDED = (Status.REFUSED, Status.WITHDRAWN)

    number = models.CharField(_("申请编号"), max_length=20, unique=True)
    policy = models.ForeignKey(
        Policy, verbose_name=_("惠企政策"), on_delete=models.PROTECT, related_name="claims"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="policy_claims",
    )
    period = models.PositiveSmallIntegerField(
        _("兑现年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    route = models.CharField(_("兑现方式"), max_length=10, choices=Route.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    amount = models.DecimalField(
        _("申请金额(万元)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    approved_amount = models.DecimalField(
        _("核准金额(万元)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    facts = models.JSONField(_("企业档案数据"), default=dict, blank=True)
    missing = models.JSONField(_("需以材料证明的资料"), default=list, blank=True)
    note = models.TextField(_("申请说明"), blank=True)
    reason = models.TextField(_("审核意见"), blank=True)
    payment_reference = models.CharField(_("拨付凭证号"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    due_on_provisional = models.BooleanField(_("期限为暂定"), default=False)
    decided_by = models.ForeignKey(
        "accounts.User", verbose_name=_("审核人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("兑现申请")
        verbose_name_plural = pgettext_lazy("plural", "兑现申请")
        ordering = ["-created_at", "-id"]
        permissions = [("claim_policy", _("为本企业申请政策兑现"))]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "enterprise", "period"],
                condition=~models.Q(status__in=["refused", "withdrawn"]),
                name="claim_once_per_period",
            )
        ]
        indexes = [
            models.Index(fields=["enterprise", "created_at"], name="claim_enterprise_idx"),
            models.Index(fields=["policy", "status"], name="claim_policy_status_idx"),
            models.Index(fields=["status", "due_on"], name="claim_queue_idx"),
            # The cockpit's claims submitted and paid in a period.
            models.Index(
                fields=["submitted_at"],
                name="claim_submitted_idx",
                condition=models.Q(submitted_at__isnull=False),
            ),
            models.Index(
                fields=["paid_at"], name="claim_paid_idx", condition=models.Q(paid_at__isnull=False)
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_overdue(self) -> bool:
        return (
            self.status == self.Status.SUBMITTED and self.due_on is not None and self.due_on < clock.today()
        )


class ClaimMaterial(models.Model):
    """A material of a claim (快申快享), one per material the policy asks for; checked by content like the
    approvals' uploads."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="claim_materials")
    code = models.CharField(_("材料代码"), max_length=40)
    name = models.CharField(_("材料名称"), max_length=200)
    file = models.FileField(_("文件"), upload_to="claims/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    size = models.PositiveIntegerField(
        _("大小"), default=0, validators=[MinValueValidator(0), MaxValueValidator(2**31 - 1)]
    )
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"), default=clock.now)

    class Meta:
        verbose_name = _("兑现材料")
        verbose_name_plural = pgettext_lazy("plural", "兑现材料")
        ordering = ["claim", "code"]
        constraints = [models.UniqueConstraint(fields=["claim", "code"], name="claim_material_once")]

    def __str__(self):
        return f"{self.claim_id}/{self.code}"
