"""The names of the enterprise file's audited actions (registered with `audit.labels` in
`EnterprisesConfig.ready`), in the context "audit" like the other apps' (what was done)."""

from django.utils.translation import pgettext_lazy

ACTIONS = {
    "enterprises.register_enterprise": pgettext_lazy("audit", "登记企业"),
    "enterprises.update_enterprise": pgettext_lazy("audit", "修改企业登记信息"),
    "enterprises.update_profile": pgettext_lazy("audit", "更新企业档案"),
    "enterprises.set_year_figures": pgettext_lazy("audit", "填报年度经营数据"),
    "enterprises.add_qualification": pgettext_lazy("audit", "登记企业资质"),
    "enterprises.follow_qualifications": pgettext_lazy("audit", "资质有效期变化"),
    "enterprises.register_platform": pgettext_lazy("audit", "登记创新平台"),
}


def enterprises_action_name(action: str) -> str | None:
    label = ACTIONS.get(action)
    return str(label) if label is not None else None
