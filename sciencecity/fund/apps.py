from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {
    "fund.apply": pgettext_lazy("audit", "申请先投后股"),
    "fund.start_diligence": pgettext_lazy("audit", "开始尽职调查"),
    "fund.to_committee": pgettext_lazy("audit", "提交投委会"),
    "fund.vote": pgettext_lazy("audit", "投委会表决"),
    "fund.approve": pgettext_lazy("audit", "投委会通过"),
    "fund.reject": pgettext_lazy("audit", "先投后股未通过"),
    "fund.withdraw": pgettext_lazy("audit", "撤回先投后股申请"),
    "fund.sign": pgettext_lazy("audit", "签订先投后股协议"),
    "fund.meet_milestone": pgettext_lazy("audit", "确认里程碑达成"),
    "fund.disburse": pgettext_lazy("audit", "拨付投资批次"),
    "fund.convert": pgettext_lazy("audit", "投资转为股权"),
    "fund.repay": pgettext_lazy("audit", "投资回收"),
    "fund.write_off": pgettext_lazy("audit", "投资核销"),
}


def fund_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


class FundConfig(AppConfig):
    name = "sciencecity.fund"
    verbose_name = _("先投后股")

    def ready(self):
        from sciencecity.audit import labels

        from . import notices, sections, workbench  # noqa: F401 - the morning duty, kinds, the file, the menu

        notices.register()
        labels.register(fund_action_name)
