from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {
    "partybuilding.found": pgettext_lazy("audit", "成立党组织"),
    "partybuilding.rename": pgettext_lazy("audit", "党组织更名"),
    "partybuilding.move": pgettext_lazy("audit", "调整党组织隶属关系"),
    "partybuilding.merge": pgettext_lazy("audit", "合并党组织"),
    "partybuilding.dissolve": pgettext_lazy("audit", "撤销党组织"),
    "partybuilding.appoint": pgettext_lazy("audit", "任命党务职务"),
    "partybuilding.relieve": pgettext_lazy("audit", "免去党务职务"),
    "partybuilding.register": pgettext_lazy("audit", "登记党员"),
    "partybuilding.update_member": pgettext_lazy("audit", "修改党员信息"),
    "partybuilding.confirm_full": pgettext_lazy("audit", "预备党员转正"),
    "partybuilding.transfer": pgettext_lazy("audit", "转接组织关系"),
    "partybuilding.reveal_id": pgettext_lazy("audit", "查看党员身份证号码"),
    "partybuilding.form_team": pgettext_lazy("audit", "组建红岩先锋队"),
    "partybuilding.link": pgettext_lazy("audit", "先锋队联系对象"),
    "partybuilding.unlink": pgettext_lazy("audit", "取消先锋队联系对象"),
    "partybuilding.enlist": pgettext_lazy("audit", "先锋队加入队员"),
    "partybuilding.dismiss": pgettext_lazy("audit", "先锋队队员退出"),
    "partybuilding.form_alliance": pgettext_lazy("audit", "成立项目党建联盟"),
    "partybuilding.join_alliance": pgettext_lazy("audit", "加入项目党建联盟"),
    "partybuilding.record_activity": pgettext_lazy("audit", "记录党组织活动"),
    "partybuilding.define_scheme": pgettext_lazy("audit", "制定评定方案"),
    "partybuilding.open_scheme": pgettext_lazy("audit", "启动年度评定"),
    "partybuilding.submit_evaluation": pgettext_lazy("audit", "提交评定自评"),
    "partybuilding.review_evaluation": pgettext_lazy("audit", "审核评定"),
    "partybuilding.return_evaluation": pgettext_lazy("audit", "退回评定自评"),
    "partybuilding.publish_evaluations": pgettext_lazy("audit", "公布评定结果"),
}


def party_action_name(action: str) -> str | None:
    return str(ACTIONS[action]) if action in ACTIONS else None


class PartyBuildingConfig(AppConfig):
    name = "sciencecity.partybuilding"
    verbose_name = _("党建引领(红岩先锋)")

    def ready(self):
        from sciencecity.audit import labels

        from . import notifications, reminders, workbench  # noqa: F401 - kinds, the morning duty, the menu

        notifications.register()
        labels.register(party_action_name)
