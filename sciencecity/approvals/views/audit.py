"""The audit trail as people read it: each action by its name in the current language, and each change as
"what: before → after" with the names of the recorded keys translated.

Audit events store codes ("approvals.accept_application", {"status": "submitted"}); the transitions table
names its actions already (`transitions.action_label`), the other services' actions are named here. Keys and
values without a name (material, question and form-field codes, recorded texts) are data and shown as
recorded.
"""

from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Application, ReviewTask, SubmittedMaterial
from ..transitions import action_label

ACTIONS = {
    "approvals.start_application": _("创建申请"),
    "approvals.save_answers": _("情形回答"),
    "approvals.save_form": _("保存申请表"),
    "approvals.upload_material": _("上传材料"),
    "approvals.pledge_material": _("告知承诺"),
    "approvals.record_verdicts": _("审核意见"),
    "approvals.request_correction": _("一次性告知补正"),
    "approvals.create_tasks": _("审批任务"),
    "approvals.release_task": _("启动审查"),
    "approvals.claim_task": _("认领"),
    "approvals.add_opinion": _("审查意见"),
    "approvals.record_site_inspection": _("现场勘验"),
    "approvals.request_supplement": _("要求补充材料"),
    "approvals.answer_supplement": _("答复补充材料"),
    "approvals.reassign_task": _("改派"),
    "approvals.extend_deadline": _("延长期限"),
    "approvals.escalate_task": _("督办"),
    "approvals.issue_certificate": _("出具证照"),
    "approvals.revoke_certificate": _("撤销证照"),
    "approvals.deliver_application": _("统一出件"),
    "approvals.rate_application": _("服务评价"),
    "approvals.supply_tolerated_material": _("补交容缺材料"),
    "approvals.accept_supplied_gap": _("容缺材料已补齐"),
    "approvals.reject_supplied_gap": _("退回补交材料"),
}
KEYS = {
    "status": _("状态"),
    "verdict": _("审核意见"),
    "verdict_note": _("说明"),
    "source": _("来源"),
    "assignee": _("承办人"),
    "answers": _("情形回答"),
    "number": _("办件编号"),
    "submission_count": _("提交次数"),
    "submitted_at": _("提交时间"),
    "accepted_at": _("受理时间"),
    "concluded_at": _("办结时间"),
    "closed_reason": _("原因"),
    "intake_deadline": _("受理期限"),
    "promised_deadline": _("承诺期限"),
    "legal_deadline": _("法定期限"),
    "gap_due_date": _("补交期限"),
    "item": _("事项"),
    "department": _("审批部门"),
    "project": _("项目"),
    "bundle": _("一件事"),
    "spec": _("材料"),
    "text": _("内容"),
    "score": _("评分"),
    "comment": _("评价内容"),
    "method": _("出件方式"),
    "certificate": _("证照"),
    "tasks": _("审批任务"),
    "depends": _("前置事项"),
}
# Recorded values that are codes of a choice, shown by the choice's label.
VALUES = {
    **dict(Application.Status.choices),
    **dict(ReviewTask.Status.choices),
    **dict(SubmittedMaterial.Verdict.choices),
    **dict(SubmittedMaterial.Source.choices),
}


def audit_action_label(action: str) -> str:
    """The action's name; a transition recorded as "approvals.<action>_application" or "_task" is named by
    the transitions table; an action nobody named yet is shown as its code."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    name = action.removeprefix("approvals.").removesuffix("_application").removesuffix("_task")
    label = action_label(name)
    # The transitions table's labels are its msgids; translating them here works whether it is lazy or not.
    return gettext(label) if label != name else action


@dataclass
class Change:
    label: str  # the key's name, or "" when the key is data (a code) shown in `key`
    key: str
    text: str  # "before → after", as recorded


def _short(value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, str) and value in VALUES:
        return str(VALUES[value])
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def summary(before, after) -> list[Change]:
    """The audit event's change in a few lines: before → after for what changed, the value for what was only
    recorded on one side. Long values are cut."""
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    changes = []
    for key in list(dict.fromkeys([*before, *after])):
        if key in before and key in after:
            if before[key] == after[key]:
                continue
            text = f"{_short(before[key])} → {_short(after[key])}"
        elif key in after:
            text = _short(after[key])
        else:
            text = f"{_short(before[key])} → —"
        label = str(KEYS[key]) if key in KEYS else ""
        changes.append(Change(label=label, key="" if label else key, text=text))
    return changes
