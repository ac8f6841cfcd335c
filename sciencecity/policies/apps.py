from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {
    "policies.save_policy": pgettext_lazy("audit", "保存惠企政策"),
    "policies.notify_enterprises": pgettext_lazy("audit", "推送政策给符合条件的企业"),
    "policies.start_claim": pgettext_lazy("audit", "发起政策兑现申请"),
    "policies.attach_claim_material": pgettext_lazy("audit", "上传兑现材料"),
    "policies.confirm_claim": pgettext_lazy("audit", "确认享受政策"),
    "policies.submit_claim": pgettext_lazy("audit", "提交兑现申请"),
    "policies.withdraw_claim": pgettext_lazy("audit", "撤回兑现申请"),
    "policies.return_claim": pgettext_lazy("audit", "退回兑现申请补正"),
    "policies.approve_claim": pgettext_lazy("audit", "核准政策兑现"),
    "policies.refuse_claim": pgettext_lazy("audit", "不予政策兑现"),
    "policies.pay_claim": pgettext_lazy("audit", "登记政策资金拨付"),
    "policies.recount_claim_due_date": pgettext_lazy("audit", "重算兑现办理期限"),
}


def policies_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


class PoliciesConfig(AppConfig):
    name = "sciencecity.policies"
    verbose_name = _("惠企政策")

    def ready(self):
        from sciencecity.audit import labels
        from sciencecity.enterprises.profile import file_changed
        from sciencecity.workdays import clock, recount

        from . import notifications, provisional, sections, workbench  # noqa: F401 - registers the menu and the file's section
        from .services import matching

        notifications.register()
        recount.register(provisional.KIND)

        def refresh_enterprise(sender, enterprise_id, **kwargs):
            # The verdicts of every policy in force for the enterprise whose file changed, in the background;
            # nothing to do while no policy is in force (a new zone, the demo building its files).
            if matching.in_force(clock.today()).exists():
                matching.refresh_matches.enqueue(None, [enterprise_id])

        file_changed.connect(refresh_enterprise, dispatch_uid="policies.refresh_enterprise", weak=False)
        labels.register(policies_action_name)
