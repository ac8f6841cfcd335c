"""Policies for enterprises (惠企政策, the "金凤凰" measures) as data: the measure's text and the fields of a
policy guide, its amount and budget, and its eligibility as condition rows (fact, operator, value) that officers
edit and that are stored and evaluated as JSONLogic (`services.conditions`); and each enterprise's stored
verdict for each policy (`PolicyMatch`), refreshed in the background (`services.matching`)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant
from sciencecity.workdays import clock


class PolicyQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Published policies are public to everyone signed in; drafts to the officers who keep them."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.has_perm("policies.change_policy"):
            return self.all()
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
    time_limit_days = models.PositiveSmallIntegerField(_("兑现时限(工作日)"), default=20)
    address = models.CharField(_("受理地址"), max_length=300, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=40, blank=True)
    mode = models.CharField(_("条件组合"), max_length=10, choices=Mode.choices, default=Mode.ALL)
    rule = models.JSONField(_("资格规则(JSONLogic)"), default=dict, blank=True)
    is_published = models.BooleanField(_("已发布"), default=False)
    created_at = models.DateTimeField(_("创建时间"), default=clock.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("惠企政策")
        verbose_name_plural = pgettext_lazy("plural", "惠企政策")
        ordering = ["area", "code"]
        indexes = [models.Index(fields=["is_published", "area", "code"], name="policy_area_idx")]

    def __str__(self):
        return self.title


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
