"""The invest-first fund (先投后股): a tech enterprise's application, the task force's due diligence, the
committee's votes and decision, the agreement (amount, tranches with their milestones, conversion terms and
the repayment date if it never converts), each tranche disbursed once its milestone is met, and the end —
conversion into equity, repayment or write-off. The states are tables in `services.investments` on the shared
workflow core; the portfolio's figures are sums over these rows (`selectors.portfolio`)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sciencecity.accounts.scoping import ScopedQuerySet, is_civil_servant, sees_everything
from sciencecity.workdays import clock

MONEY = {"max_digits": 12, "decimal_places": 2}


class InvestmentQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """An enterprise reads its own; the fund's task force (its managers) and committee (voters), leaders,
        supervisors and administrators read every investment; other civil servants none."""
        if user is None or not user.is_authenticated:
            return self.none()
        if sees_everything(user) or user.has_perm("fund.manage_fund") or user.has_perm("fund.vote_fund"):
            return self.all()
        if user.enterprise_id and not is_civil_servant(user):
            return self.filter(enterprise_id=user.enterprise_id)
        return self.none()


class Investment(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("已申请")
        DUE_DILIGENCE = "due_diligence", _("尽职调查中")
        COMMITTEE = "committee", _("待投委会决策")
        APPROVED = "approved", _("投委会已通过")
        INVESTED = "invested", _("已签约投资")
        CONVERTED = "converted", _("已转股")
        REPAID = "repaid", _("已回收")
        WRITTEN_OFF = "written_off", _("已核销")
        REJECTED = "rejected", _("未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Trigger(models.TextChoices):
        NEXT_ROUND = "next_round", _("下一轮融资")
        MILESTONE = "milestone", _("约定里程碑")
        BY_DATE = "by_date", _("约定日期")

    number = models.CharField(_("项目编号"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.PROTECT,
        related_name="fund_investments",
    )
    title = models.CharField(_("项目名称"), max_length=200)
    summary = models.TextField(_("项目简介"))
    requested = models.DecimalField(_("申请金额(万元)"), validators=[MinValueValidator(1)], **MONEY)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.APPLIED)
    applied_by = models.ForeignKey(
        "accounts.User", verbose_name=_("申请人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    applied_at = models.DateTimeField(_("申请时间"), default=clock.now)
    # Due diligence by the task force.
    diligence_report = models.TextField(_("尽职调查报告"), blank=True)
    diligence_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("尽调负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    diligence_at = models.DateTimeField(_("尽调完成时间"), null=True, blank=True)
    # The committee's decision.
    decided_at = models.DateTimeField(_("决策时间"), null=True, blank=True)
    decision_note = models.TextField(_("决策意见"), blank=True)
    # The agreement.
    amount = models.DecimalField(_("投资金额(万元)"), null=True, blank=True, **MONEY)
    signed_on = models.DateField(_("签约日期"), null=True, blank=True)
    trigger = models.CharField(_("转股触发条件"), max_length=20, choices=Trigger.choices, blank=True)
    trigger_note = models.CharField(_("触发条件说明"), max_length=300, blank=True)
    valuation_cap = models.DecimalField(
        _("估值上限(万元)"), null=True, blank=True, max_digits=14, decimal_places=2
    )
    discount = models.DecimalField(
        _("转股折扣(%)"),
        null=True,
        blank=True,
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
    )
    repayment_date = models.DateField(_("未转股时的还款日期"), null=True, blank=True)
    # The end.
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    equity_percent = models.DecimalField(
        _("转股比例(%)"),
        null=True,
        blank=True,
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    converted = models.DecimalField(_("已转股金额(万元)"), default=0, **MONEY)
    repaid = models.DecimalField(_("已回收金额(万元)"), default=0, **MONEY)
    written_off = models.DecimalField(_("核销金额(万元)"), default=0, **MONEY)
    end_note = models.TextField(_("结束说明"), blank=True)

    objects = InvestmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("先投后股项目")
        verbose_name_plural = pgettext_lazy("plural", "先投后股项目")
        ordering = ["-applied_at", "-id"]
        permissions = [
            ("apply_fund", _("为本企业申请先投后股")),
            ("manage_fund", _("管理先投后股基金(尽调、签约、拨付、退出)")),
            ("vote_fund", _("作为投委会委员投票")),
        ]
        indexes = [
            models.Index(fields=["status", "repayment_date"], name="investment_status_idx"),
            models.Index(fields=["enterprise", "applied_at"], name="investment_enterprise_idx"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class Vote(models.Model):
    """A committee member's vote on an investment, one per member."""

    class Choice(models.TextChoices):
        FOR = "for", _("同意")
        AGAINST = "against", _("反对")
        ABSTAIN = "abstain", _("弃权")

    investment = models.ForeignKey(Investment, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(
        "accounts.User", verbose_name=_("委员"), on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(_("表决"), max_length=10, choices=Choice.choices)
    comment = models.TextField(_("意见"), blank=True)
    voted_at = models.DateTimeField(_("表决时间"), default=clock.now)

    class Meta:
        verbose_name = _("投委会表决")
        verbose_name_plural = pgettext_lazy("plural", "投委会表决")
        ordering = ["investment", "voted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["investment", "member"], name="fund_vote_once")]

    def __str__(self):
        return f"{self.investment_id}/{self.member_id}: {self.choice}"


class Tranche(models.Model):
    """One part of the agreed amount, paid once its milestone is met (`services.investments.TRANCHES`)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("待达成里程碑")
        MET = "met", _("里程碑已达成")
        DISBURSED = "disbursed", _("已拨付")

    investment = models.ForeignKey(Investment, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField(
        _("批次"), validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    amount = models.DecimalField(_("金额(万元)"), validators=[MinValueValidator(1)], **MONEY)
    milestone = models.CharField(_("拨付里程碑"), max_length=300)
    expected_on = models.DateField(_("预计达成日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    evidence = models.TextField(_("里程碑达成说明"), blank=True)
    met_at = models.DateTimeField(_("达成确认时间"), null=True, blank=True)
    disbursed_at = models.DateTimeField(_("拨付时间"), null=True, blank=True)
    reference = models.CharField(_("拨付凭证号"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("投资批次")
        verbose_name_plural = pgettext_lazy("plural", "投资批次")
        ordering = ["investment", "number"]
        constraints = [models.UniqueConstraint(fields=["investment", "number"], name="fund_tranche_once")]

    def __str__(self):
        return f"{self.investment_id}#{self.number}"
