"""政策找企业: the honouring department tells the enterprises that qualify for a policy, each once.

The eligible enterprises are read from the stored verdicts (`PolicyMatch`), so a notice goes only where the
platform's own data says the enterprise qualifies; a `PolicyNotice` row per policy and enterprise (unique in
the database) makes a second send to the same enterprise impossible, and lets the officer's list tell who was
already told. The notifications reach the enterprise's people in their own language.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sciencecity.audit import record
from sciencecity.enterprises.selectors import people_of
from sciencecity.notifications import services as notifications
from sciencecity.workdays import clock

from ..models import Policy, PolicyMatch, PolicyNotice
from ..notifications import PolicyNoticeKind
from . import claims, matching
from .policies import may_serve

MAX_PER_SEND = 5000


def not_yet_told(policy: Policy):
    """The enterprises eligible for `policy` that have not been told of it (a queryset of matches)."""
    return PolicyMatch.objects.filter(policy=policy, verdict=PolicyMatch.Verdict.ELIGIBLE).exclude(
        enterprise_id__in=PolicyNotice.objects.filter(policy=policy).values("enterprise_id")
    )


def notify_enterprises(user, policy: Policy, enterprise_ids=None) -> int:
    """Tell the eligible enterprises not told yet (all of them, or those of `enterprise_ids`) of `policy`;
    returns how many were told. Only the honouring department's people (or administrators) may."""
    if not may_serve(user, policy):
        raise PermissionDenied(_("只有政策兑现部门的工作人员可以推送政策。"))
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        if not matching.in_force(clock.today()).filter(pk=policy.pk).exists():
            raise ValidationError(_("政策未发布或不在有效期内,不能推送。"))
        targets = not_yet_told(policy)
        if enterprise_ids is not None:
            targets = targets.filter(enterprise_id__in=list(enterprise_ids))
        ids = list(targets.order_by("enterprise_id").values_list("enterprise_id", flat=True)[:MAX_PER_SEND])
        if not ids:
            return 0
        now = clock.now()
        PolicyNotice.objects.bulk_create(
            [PolicyNotice(policy=policy, enterprise_id=pk, sent_by=user, sent_at=now) for pk in ids],
            batch_size=1000,
        )
        values = {"policy": policy.title, "amount": policy.amount_text or ""}
        automatic = policy.automatic

        def compose():
            if automatic:
                return (
                    _("政策推送:%(policy)s") % values,
                    _(
                        "根据企业档案,贵企业符合“%(policy)s”的条件,免申即享:平台已为您填好兑现申请,确认即可。%(amount)s"
                    )
                    % values,
                )
            return (
                _("政策推送:%(policy)s") % values,
                _("根据企业档案,贵企业符合“%(policy)s”的申报条件。%(amount)s 请在平台查看政策并申请兑现。")
                % values,
            )

        people = people_of(ids)
        notifications.send(
            notifications.build(
                [person for pk in ids for person in people.get(pk, [])],
                PolicyNoticeKind.ELIGIBLE,
                compose,
                about=policy,
            )
        )
        # 免申即享: the platform fills in each told enterprise's claim; the enterprise only confirms it.
        offered = claims.offer_claims(policy, ids)
        record(
            user, "policies.notify_enterprises", policy, after={"enterprises": len(ids), "offered": offered}
        )
    return len(ids)
