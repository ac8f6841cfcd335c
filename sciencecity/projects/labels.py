"""The names of the projects' audited actions (registered with `audit.labels` in `ProjectsConfig.ready`), in the
context "audit": the trail names what was done ("Monthly report submitted") where a button with the same Chinese
words asks for it ("Submit the monthly report")."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS = {
    "projects.register_project": pgettext_lazy("audit", "登记项目"),
    "projects.update_project": pgettext_lazy("audit", "修改项目信息"),
    "projects.change_project_phase": pgettext_lazy("audit", "变更项目阶段"),
    "projects.set_milestone": pgettext_lazy("audit", "设置里程碑日期"),
    "projects.add_stage": pgettext_lazy("audit", "增加项目分期"),
    "projects.set_plan": pgettext_lazy("audit", "设置年度计划"),
    "projects.set_escort_member": pgettext_lazy("audit", "设置护航团队成员"),
    "projects.remove_escort_member": pgettext_lazy("audit", "移出护航团队"),
    "projects.grant_consent": pgettext_lazy("audit", "授权帮办代办"),
    "projects.revoke_consent": pgettext_lazy("audit", "撤回帮办代办授权"),
    "projects.log_service": pgettext_lazy("audit", "记录护航服务"),
    "projects.add_supervision_note": pgettext_lazy("audit", "记录监督意见"),
    "projects.submit_report": pgettext_lazy("audit", "报送月报"),
    "projects.correct_report": pgettext_lazy("audit", "修改月报"),
    "projects.warn": pgettext_lazy("audit", "预警变化"),
    "projects.record_inspection": pgettext_lazy("audit", "质量安全检查"),
    "projects.upload_ledger": pgettext_lazy("audit", "上传项目台账"),
    "projects.import_ledger": pgettext_lazy("audit", "导入项目台账"),
    "projects.create_campaign": pgettext_lazy("audit", "创建“三比一争”活动"),
    "projects.set_scoring_rules": pgettext_lazy("audit", "修改评分规则"),
    "projects.score_round": pgettext_lazy("audit", "评比评分排名"),
    "projects.publish_round": pgettext_lazy("audit", "公布评比结果"),
    "projects.record_mass_start": pgettext_lazy("audit", "登记集中开工活动"),
    "projects.update_mass_start": pgettext_lazy("audit", "修改集中开工活动"),
    "projects.add_mass_start_projects": pgettext_lazy("audit", "增加集中开工项目"),
    "projects.remove_mass_start_project": pgettext_lazy("audit", "移出集中开工项目"),
}


def projects_action_name(action: str) -> str | None:
    label = ACTIONS.get(action)
    return str(label) if label is not None else None


def register_trail_readings() -> None:
    """How the audit trail names and reads what the project services record beside the project's own fields
    (dates of a milestone, a plan's year, a service's kind …): by these labels, in the reader's language."""
    from sciencecity.audit import trail
    from sciencecity.audit.trail import Formatter, TrailReader

    from .models import EscortMember, Inspection, Project, ServiceLog, WarningRule, YearCategory

    def text(value, reader):
        return TrailReader.read_text(value)

    def date(value, reader):
        return TrailReader.read_date(value) if value else "—"

    def number(value, reader):
        return TrailReader.read_number(value)

    def choice(choices):
        read = TrailReader.choice_reader(choices)
        return lambda value, reader: read(value)

    def measures(value, reader):
        read = TrailReader.choice_reader(WarningRule.Measure.choices)
        return [item for measure in value or [] for item in read(measure)] or "—"

    readings = {
        "on": Formatter(date, _("变更日期")),
        "note": Formatter(text, _("说明")),
        "milestone": Formatter(text, _("里程碑")),
        "stage": Formatter(number, _("分期")),
        "planned_on": Formatter(date, _("计划日期")),
        "actual_on": Formatter(date, _("实际日期")),
        "year": Formatter(number, _("年度")),
        "category": Formatter(choice(YearCategory.choices), _("年度类别")),
        "planned": Formatter(number, _("年度计划投资(万元)")),
        "goal": Formatter(text, _("年度形象进度目标")),
        "name": Formatter(text, _("名称")),
        "role": Formatter(choice(EscortMember.Role.choices), _("团队角色")),
        "duty": Formatter(text, _("职责")),
        "scope": Formatter(text, _("授权范围")),
        "valid_until": Formatter(date, _("有效期至")),
        "kind": Formatter(choice([*ServiceLog.Kind.choices, *Inspection.Kind.choices]), _("类型")),
        "inspected_on": Formatter(date, _("检查日期")),
        "served_on": Formatter(date, _("服务日期")),
        "score": Formatter(number, _("评分")),
        "month": Formatter(text, _("月份")),
        "investment": Formatter(number, _("本月完成投资(万元)")),
        "progress_percent": Formatter(number, _("形象进度(%)")),
        "workforce": Formatter(number, _("在场施工人数")),
        "reasons": Formatter(measures, _("预警原因")),
    }
    for key, formatter in readings.items():
        trail.register(Project, key, formatter)
    for key in (
        "user",
        "consent",
        "service_log",
        "problem",
        "problems",
        "application",
        "revoked",
        "prepared_for",
    ):
        trail.register(Project, key, trail.HIDDEN)
    _register_mass_start_readings(trail, Formatter, text, number)


def _register_mass_start_readings(trail, Formatter, text, number) -> None:
    """What a mass start's trail records beside its own fields: the projects added or taken out (by code),
    their investment in the event, whether a photo is kept."""
    from .models import MassStart

    def codes(value, reader):
        return "、".join(str(code) for code in value or []) or "—"

    def flag(value, reader):
        return trail.Value(str(_("有")) if value else str(_("无")))

    trail.register(MassStart, "projects", Formatter(codes, _("项目")))
    trail.register(MassStart, "investment", Formatter(number, _("开工投资(万元)")))
    trail.register(MassStart, "photo", Formatter(flag, _("活动照片")))
